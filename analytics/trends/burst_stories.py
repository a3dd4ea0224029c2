"""What drove a burst: the stories inside its peak, as an analyst would name them.

For each burst (one row per run of flagged periods: its peak, the period with the most
articles of the topic), the topic's articles of that period, near duplicates included
(an outlet repeating a story is part of its weight), are grouped by what they say:
TF-IDF of the words of the title and the text's first 300 characters, with word weights
learnt from the whole stream
(inside a peak every title says "mutiny"; against the stream that word is what makes
the story), then average-linkage clustering at a cosine similarity of
``min_similarity``, so "Wagner seizes Rostov in mutiny" and "Prigozhin's mutiny: fighters
take Rostov" land together and an unrelated story of the same day does not. A
story's label is its most central title (the highest mean similarity to the others);
stories are ranked by articles, then outlets. Media Cloud calls this "top stories at an
attention peak". Pure: frames in, a ``burst_stories`` frame out.
"""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer, TfidfVectorizer

from analytics.contracts import schema

_PERIOD_DAYS = {"day": 1, "week": 7}


def burst_peaks(bursts: pl.DataFrame, *, max_bursts: int = 12) -> pl.DataFrame:
    """One row per burst run (``topic_id, period, onset``): the flagged period with the
    most articles (ties: the earliest), newest runs first, at most ``max_bursts``.
    Needs ``bursts`` rows (``level`` 'burst' only are kept)."""
    b = bursts.filter(pl.col("level") == "burst")
    if b.is_empty():
        return b.select("topic_id", "period", "period_start", "onset", "articles")
    return (
        b.sort(["articles", "period_start"], descending=[True, False])
        .group_by("topic_id", "period", "onset", maintain_order=True).first()
        .sort(["period_start", "articles", "topic_id"], descending=[True, True, False])
        .head(max_bursts)
        .select("topic_id", "period", "period_start", "onset", "articles")
    )


_BACKGROUND_MAX = 50_000  # titles the word weights are learnt from (a seeded sample beyond)


_LEAD_CHARS = 300  # of the text after the title: a headline alone is too short to compare
_TOKENS = re.compile(r"(?u)\b[^\W\d_]{2,}\b")  # words of 2+ letters


def _heads(articles: pl.DataFrame) -> pl.Expr:
    """Expression: the title and the start of the text, what stories are compared by."""
    title = pl.col("title").fill_null("")
    if "text" not in articles.columns:
        return title
    return title + " " + pl.col("text").fill_null("").str.slice(0, _LEAD_CHARS)


def _terms(text: str) -> set[str]:
    """The words of ``text`` that ``_vectorizer``'s TF-IDF keeps (its analyzer's tokens)."""
    return set(_TOKENS.findall(text.lower())) - ENGLISH_STOP_WORDS


def _vectorizer(vocabulary: list[str] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(stop_words="english", sublinear_tf=True,
                           token_pattern=_TOKENS.pattern, vocabulary=vocabulary)


def _title_vectorizer(articles: pl.DataFrame, compared: list[str]) -> TfidfVectorizer | None:
    """TF-IDF of the words of titles and leads, fitted on the stream, for the texts
    ``compared``; None without any word.

    Only the words of ``compared`` are weighed: the vectors of ``compared`` are those of
    a vectorizer fitted on the whole stream (the same idf, the columns in the same
    order, so the same floats), without counting every word of the stream."""
    heads = articles.select(head=_heads(articles))
    if heads.height > _BACKGROUND_MAX:
        heads = heads.sample(_BACKGROUND_MAX, seed=0)
    docs = heads["head"].to_list()
    wanted = set().union(*map(_terms, compared))
    found = [wanted.intersection(_TOKENS.findall(doc.lower())) for doc in docs]
    vocabulary = sorted(set().union(*found))
    if not vocabulary:  # no compared word in the stream: the full fit says what that means
        try:
            return _vectorizer().fit(docs)
        except ValueError:  # no word at all (empty titles, numbers only)
            return None
    col = {word: j for j, word in enumerate(vocabulary)}
    rows = np.repeat(np.arange(len(docs)), [len(f) for f in found])
    cols = np.fromiter((col[w] for f in found for w in f), dtype=np.int64, count=len(rows))
    presence = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(len(docs), len(vocabulary)))
    vectorizer = _vectorizer(vocabulary)
    vectorizer.idf_ = TfidfTransformer(sublinear_tf=True).fit(presence).idf_
    return vectorizer


def _groups(titles: list[str], vectorizer: TfidfVectorizer | None,
            min_similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels of ``titles`` and their pairwise cosine similarities."""
    if len(titles) == 1:
        return np.zeros(1, dtype=int), np.ones((1, 1))
    if vectorizer is None:
        return np.arange(len(titles)), np.eye(len(titles))
    x = vectorizer.transform(titles)
    sim = (x @ x.T).toarray()
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average",
        distance_threshold=1.0 - min_similarity,
    ).fit_predict(np.clip(1.0 - sim, 0.0, 2.0))
    return labels, sim


def _stories_of(peak: dict, rows: pl.DataFrame, vectorizer: TfidfVectorizer | None,
                min_similarity: float, max_stories: int) -> list[dict]:
    titles = rows["title"].fill_null("").to_list()
    labels, sim = _groups(rows.select(head=_heads(rows))["head"].to_list(), vectorizer,
                          min_similarity)
    stories = []
    for label in set(labels.tolist()):
        idx = np.flatnonzero(labels == label)
        central = idx[int(np.argmax(sim[np.ix_(idx, idx)].mean(axis=1)))]
        members = rows[idx.tolist()].sort("published_at")
        outlets = members["source"].unique(maintain_order=True).to_list()
        urls = (members.filter(pl.col("url").is_not_null())
                .unique("source", keep="first", maintain_order=True)["url"].head(3).to_list())
        stories.append({
            "topic_id": peak["topic_id"], "period": peak["period"],
            "period_start": peak["period_start"], "onset": peak["onset"],
            "label": titles[central], "articles": len(idx), "sources": len(outlets),
            "outlets": outlets, "urls": urls, "first_seen": members["published_at"][0],
        })
    stories.sort(key=lambda s: (-s["articles"], -s["sources"], s["first_seen"], s["label"]))
    return [{**s, "rank": i + 1} for i, s in enumerate(stories[:max_stories])]


def burst_stories(bursts: pl.DataFrame, articles: pl.DataFrame, mentions: pl.DataFrame, *,
                  max_bursts: int = 12, max_stories: int = 3,
                  min_similarity: float = 0.2) -> pl.DataFrame:
    """``burst_stories``: per burst peak (``burst_peaks``), its ``max_stories`` largest
    stories with label, articles, outlets, up to three links and when it was first seen.

    Needs ``bursts`` (the ``bursts`` table), ``articles.article_id, source, url, title,
    published_at`` (``text`` used when present) and ``mentions.article_id, topic_id``.
    """
    peaks = burst_peaks(bursts, max_bursts=max_bursts)
    inside = []
    for peak in peaks.iter_rows(named=True):
        start = peak["period_start"]
        end = start + timedelta(days=_PERIOD_DAYS[peak["period"]])
        ids = mentions.filter(pl.col("topic_id") == peak["topic_id"]).select("article_id")
        members = (articles.join(ids, on="article_id", how="semi")
                   .filter(pl.col("published_at").dt.date().is_between(start, end,
                                                                       closed="left"))
                   .sort("published_at", "article_id"))
        if members.height:
            inside.append((peak, members))
    compared = [h for _, m in inside for h in m.select(head=_heads(m))["head"].to_list()]
    vectorizer = _title_vectorizer(articles, compared) if compared else None
    rows: list[dict] = []
    for peak, members in inside:
        rows += _stories_of(peak, members, vectorizer, min_similarity, max_stories)
    if not rows:
        return schema.empty("burst_stories")
    return schema.conform(pl.DataFrame(rows), "burst_stories")
