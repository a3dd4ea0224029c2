"""Candidate cues for a topic, mined from the articles it is tagged in.

A candidate is a term (a word, or two or three words in a row) that turns up in the
topic's articles more often than in the stream, and that none of the topic's cues covers:
what an analyst might add to ``phrases`` next. Each comes with the evidence to judge it:
how many tagged and untagged articles hold it, and sentences from the untagged ones,
which are the articles the new cue would add.

Terms are lowercased words (``\\w+``) that follow each other across white space or a
hyphen only, as the words of a taxonomy phrase do: never across punctuation, so every
term can be written as a phrase and found as written. A term never starts or ends with
an English stop word (scikit-learn's list) and holds no number-only and no one-letter
word ("minister of defence" is a term, "of the" and "u s" are not). Counts are of
articles (a term counts once per article), exact for the whole frame: no sampling.

Neighbours: every article gets its TF-IDF cosine to the centroid of the tagged articles
(words as above, stop words left out). The untagged articles closest to it, as many as
the topic has tagged articles, are its neighbours; ``near`` counts a term's untagged
articles among them, and the examples are the term's untagged articles closest to the
topic, so the first example shown is the likeliest to be on topic.
"""

from __future__ import annotations

import re

import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analytics.contracts.taxonomy import Topic
from analytics.topics.tagging import document

# The columns of ``suggest_cues``, in order.
SUGGESTIONS = {
    "term": pl.String,
    "words": pl.UInt8,
    "lift": pl.Float64,
    "topic_articles": pl.UInt32,  # tagged articles that hold the term
    "articles": pl.UInt32,  # articles that hold the term, tagged or not
    "untagged": pl.UInt32,  # articles - topic_articles: what the term as a cue would add
    "untagged_share": pl.Float64,  # untagged / articles
    "near": pl.UInt32,  # untagged articles that are neighbours of the tagged ones
    "example_1": pl.String,  # a sentence with the term from an untagged article
    "example_2": pl.String,
}
_STOP = sorted(ENGLISH_STOP_WORDS)
# Punctuation (anything but word characters, white space and hyphens) becomes a break
# token, so that no term spans it.
_BREAK = "|"
_EXAMPLE_MAX = 200  # characters of an example sentence; a longer one is cut around the term
# Cosines are rounded before neighbours are ranked: group sums may add in any order.
_DIGITS = 9


def _tokens(docs: pl.DataFrame) -> pl.DataFrame:
    """(``_row``, ``_tok``, ``_ok``, ``_edge``) per word of each document, in order.

    ``_ok``: the word may stand in a term (two letters or more, not only digits, not a
    break); ``_edge``: it may also start or end one (not a stop word)."""
    tok = pl.col("_tok")
    return (
        docs.lazy()
        .select("_row", _tok=pl.col("_doc").str.to_lowercase()
                .str.replace_all(r"[^\w\s\-]+", f" {_BREAK} ")
                .str.extract_all(rf"\w+|\{_BREAK}"))
        .explode("_tok")
        .drop_nulls("_tok")
        .with_columns(_ok=(tok.str.len_chars() > 1) & ~tok.str.contains(r"^\d+$"))
        .with_columns(_edge=pl.col("_ok") & ~tok.is_in(_STOP))
        .collect()
    )


def _ngrams(tokens: pl.LazyFrame, max_words: int) -> pl.LazyFrame:
    """(``_row``, ``term``, ``words``) for every term of 1..max_words words, repeats kept."""
    frames = []
    for n in range(1, max_words + 1):
        def at(k: int, name: str) -> pl.Expr:
            return pl.col(name).shift(-k)

        valid = at(0, "_edge") & at(n - 1, "_edge")
        for k in range(1, n):
            valid = valid & (at(k, "_row") == pl.col("_row"))
        for k in range(1, n - 1):
            valid = valid & at(k, "_ok")
        term = pl.concat_str([at(k, "_tok") for k in range(n)], separator=" ")
        frames.append(tokens.select(
            "_row", term=pl.when(valid.fill_null(False)).then(term),
            words=pl.lit(n, pl.UInt8)).drop_nulls("term"))
    return pl.concat(frames)


def _closeness(tokens: pl.DataFrame, tagged_rows: pl.Series, n_docs: int) -> pl.DataFrame:
    """(``_row``, ``sim``): each document's TF-IDF cosine to the tagged documents' centroid
    (smooth idf and L2-normalised rows, as scikit-learn's TfidfVectorizer)."""
    tf = tokens.lazy().filter("_edge").group_by("_row", "_tok").agg(tf=pl.len())
    idf = tf.group_by("_tok").agg(
        idf=((1 + n_docs) / (1 + pl.len().cast(pl.Float64))).log() + 1)
    w = (tf.join(idf, on="_tok")
         .with_columns(w=pl.col("tf") * pl.col("idf"))
         .with_columns(w=pl.col("w") / (pl.col("w") ** 2).sum().over("_row").sqrt())
         .collect())
    centroid = (w.lazy().filter(pl.col("_row").is_in(tagged_rows.implode()))
                .group_by("_tok").agg(c=pl.col("w").sum() / len(tagged_rows)).collect())
    norm = float((centroid["c"] ** 2).sum()) ** 0.5 or 1.0
    return (w.lazy().join(centroid.lazy(), on="_tok")
            .group_by("_row").agg(sim=((pl.col("w") * pl.col("c")).sum() / norm)
                                  .round(_DIGITS))
            .collect())


def _subsumed(candidates: pl.DataFrame) -> list[str]:
    """Terms inside a longer candidate held by exactly the same articles ("sudanese armed"
    in "sudanese armed forces"): the longer one says the same, as a fuller phrase."""
    groups: dict[tuple[int, int], list[str]] = {}
    for term, tagged, held in candidates.select(
            "term", "topic_articles", "articles").iter_rows():
        groups.setdefault((tagged, held), []).append(term)
    out = []
    for terms in groups.values():
        if len(terms) < 2:
            continue
        padded = [f" {t} " for t in terms]
        out += [t for t in terms if any(f" {t} " in p and p != f" {t} " for p in padded)]
    return out


def term_regex(term: str) -> str:
    """A Python regex finding ``term`` as a term is counted: its words, case-insensitive,
    separated by white space or hyphens."""
    return r"(?i)(?<!\w)" + r"[\s\-]+".join(re.escape(w) for w in term.split()) + r"(?!\w)"


def example_sentence(doc: str, term: str) -> str | None:
    """The sentence of ``doc`` (a line, or a run ending in . ! or ? before white space)
    in which ``term`` first occurs, white space collapsed; over _EXAMPLE_MAX characters it
    is cut to a window around the term, between ellipses."""
    found = re.search(term_regex(term), doc)
    if found is None:
        return None
    ends = [m.end() for m in re.finditer(r"[.!?]+(?=\s)|\n", doc[:found.start()])]
    start = ends[-1] if ends else 0
    after = re.search(r"[.!?]+(?=\s|$)|\n", doc[found.end():])
    end = found.end() + (after.end() if after else len(doc) - found.end())
    sentence = doc[start:end]
    if len(sentence) > _EXAMPLE_MAX:
        side = (_EXAMPLE_MAX - (found.end() - found.start())) // 2
        lo, hi = max(start, found.start() - side), min(end, found.end() + side)
        sentence = ("…" if lo > start else "") + doc[lo:hi] + ("…" if hi < end else "")
    return " ".join(sentence.split())


def suggest_cues(articles: pl.DataFrame, mentions: pl.DataFrame, topic: Topic, *, top: int = 20,
                 min_support: int = 5, min_untagged: int = 1, min_lift: float = 1.0,
                 max_words: int = 3, examples: int = 2) -> pl.DataFrame:
    """Candidate cues for ``topic``, the ``top`` with the highest lift.

    ``articles`` needs ``article_id``, ``title``, ``text``; ``mentions`` is
    ``tag_topics``' output for them (its rows of ``topic.id`` say which are tagged).

    A term is a candidate when it stands in at least ``min_support`` tagged articles and
    ``min_untagged`` untagged ones (a term only in tagged articles would add nothing),
    and the topic's regex matches none of it (a term such as "military logistics" is
    already a cue, or holds one), and its lift, P(term | tagged) / P(term | all articles),
    is over ``min_lift`` (over 1: more frequent with the topic than without); ties go by
    term. Returns the ``SUGGESTIONS`` columns, up to ``examples`` (0-2)
    example sentences from untagged articles, the closest to the topic first; an empty
    frame when no article is tagged.
    """
    if examples not in (0, 1, 2):
        raise ValueError(f"examples must be 0, 1 or 2, not {examples}")
    empty = pl.DataFrame(schema=SUGGESTIONS)
    docs = (articles.select("article_id", _doc=document(articles))
            .unique("article_id", keep="first", maintain_order=True)
            .with_row_index("_row"))
    tagged_ids = mentions.filter(pl.col("topic_id") == topic.id).get_column("article_id")
    docs = docs.with_columns(_tagged=pl.col("article_id").is_in(tagged_ids.implode()))
    n_docs, n_tagged = docs.height, int(docs["_tagged"].sum())
    if n_tagged == 0 or n_docs == 0:
        return empty

    tokens = _tokens(docs)
    tagged_rows = docs.filter("_tagged").get_column("_row")
    in_topic = (_ngrams(tokens.lazy().filter(pl.col("_row").is_in(tagged_rows.implode())),
                        max_words)
                .unique(["_row", "term"])
                .group_by("term", "words").agg(topic_articles=pl.len())
                .filter(pl.col("topic_articles") >= min_support)
                .filter(~pl.col("term").str.contains(topic.regex))
                .collect())
    if in_topic.is_empty():
        return empty
    # Every article of a candidate term, counted over the whole frame.
    holders = (_ngrams(tokens.lazy(), max_words)
               .filter(pl.col("term").is_in(in_topic["term"].implode()))
               .select("_row", "term").unique()
               .join(docs.lazy().select("_row", "_tagged"), on="_row")
               .collect())
    counts = holders.group_by("term").agg(articles=pl.len(),
                                          untagged=(~pl.col("_tagged")).sum())
    ranked = (in_topic.join(counts, on="term")
              .filter(pl.col("untagged") >= min_untagged)
              .with_columns(
                  lift=(pl.col("topic_articles").cast(pl.Float64) * n_docs)
                  / (pl.col("articles").cast(pl.Float64) * n_tagged),
                  untagged_share=pl.col("untagged") / pl.col("articles"))
              .filter(pl.col("lift") > min_lift)
              .sort(["lift", "term"], descending=[True, False]))
    ranked = ranked.filter(pl.col("term").is_in(_subsumed(ranked)).not_()).head(top)
    if ranked.is_empty():
        return empty

    sim = _closeness(tokens, tagged_rows, n_docs)
    untagged = (docs.filter(~pl.col("_tagged")).select("_row", "article_id", "_doc")
                .join(sim, on="_row", how="left").with_columns(pl.col("sim").fill_null(0.0))
                .sort(["sim", "article_id"], descending=[True, False])
                .with_row_index("_rank"))
    new = (holders.filter(~pl.col("_tagged"), pl.col("term").is_in(ranked["term"].implode()))
           .join(untagged.select("_row", "_rank"), on="_row"))
    near = new.group_by("term").agg(near=(pl.col("_rank") < n_tagged).sum())
    # A few spare candidates per term, closest first, in case a sentence repeats.
    closest = (new.sort("_rank").group_by("term", maintain_order=True).head(examples + 3)
               .join(untagged.select("_row", "_doc"), on="_row", maintain_order="left"))
    picked: dict[str, list[str]] = {}
    for row in closest.iter_rows(named=True):
        chosen = picked.setdefault(row["term"], [])
        if len(chosen) < examples:
            sentence = example_sentence(row["_doc"], row["term"])
            if sentence and sentence not in chosen:
                chosen.append(sentence)
    shown = pl.DataFrame(
        {"term": list(picked),
         "example_1": [s[0] if s else None for s in picked.values()],
         "example_2": [s[1] if len(s) > 1 else None for s in picked.values()]},
        schema={"term": pl.String, "example_1": pl.String, "example_2": pl.String})
    out = (ranked.join(near, on="term", how="left")
           .join(shown, on="term", how="left")
           .with_columns(pl.col("near").fill_null(0))
           .sort(["lift", "term"], descending=[True, False]))
    return out.select([pl.col(c).cast(t) for c, t in SUGGESTIONS.items()])
