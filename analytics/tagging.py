"""Count taxonomy topics per article with polars expressions, keeping evidence.

One regex per topic runs over every article's document (title + text) in polars' Rust
engine; there is no per-article Python loop. Exclusion phrases are blanked out of the
document before a topic is counted, so "nuclear power plant" never counts as nuclear
deterrence.
"""

from __future__ import annotations

import polars as pl

from analytics import schema
from analytics.taxonomy import WORD_BOUNDARY, Taxonomy, Topic

# A sentence may hold full stops that are not followed by white space ("2.5%", "U.S.").
# Unbounded repetition keeps the regex on the fast DFA path; a sentence longer than
# _EVIDENCE_MAX (an unpunctuated transcript) is cut to a window around the phrase.
_SENTENCE_PART = r"(?:[^.!?\n]|[.!?]\S)"
_EVIDENCE_MAX = 400
_EVIDENCE_SIDE = 160


def document(articles: pl.DataFrame) -> pl.Expr:
    """Expression: the text to search, the title first unless the text starts with it."""
    title = pl.col("title").fill_null("")
    text = pl.col("text").fill_null("")
    return pl.when(text.str.starts_with(title)).then(text).otherwise(title + "\n" + text)


def _topic_doc(topic: Topic) -> pl.Expr:
    doc = pl.col("_doc")
    return doc.str.replace_all(topic.exclude_regex, " ") if topic.exclude_regex else doc


def evidence_regex(topic: Topic) -> str:
    """Regex whose leftmost match is the sentence around the topic's first match."""
    b = WORD_BOUNDARY
    return rf"(?i){_SENTENCE_PART}*{b}{topic.alternation}{b}{_SENTENCE_PART}*[.!?]?"


def _shorten(sentence: pl.Expr, topic: Topic) -> pl.Expr:
    """Expression: a sentence over _EVIDENCE_MAX characters cut to the phrase's window."""
    side = f".{{0,{_EVIDENCE_SIDE}}}"
    window = sentence.str.extract(
        rf"(?is)({side}{WORD_BOUNDARY}{topic.alternation}{WORD_BOUNDARY}{side})", 1
    )
    return (
        pl.when(sentence.str.len_chars() > _EVIDENCE_MAX)
        .then(pl.lit("…") + window.str.strip_chars() + pl.lit("…"))
        .otherwise(sentence)
    )


def topic_counts(articles: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """Wide counts: ``article_id`` plus one UInt32 column per topic id (mentions)."""
    docs = articles.select("article_id", _doc=document(articles))
    return docs.select(
        "article_id",
        *[_topic_doc(t).str.count_matches(t.regex).alias(t.id) for t in taxonomy.topics],
    )


def tag_topics(articles: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """``topic_mentions`` for ``articles`` (needs ``article_id``, ``title``, ``text``).

    One row per (article, topic) with at least one mention: the number of mentions, the
    first phrase matched as written, and the sentence it stands in.
    """
    if articles.is_empty():
        return schema.empty("topic_mentions")
    counts = topic_counts(articles, taxonomy)
    docs = articles.select("article_id", _doc=document(articles))
    frames = []
    for topic in taxonomy.topics:
        hits = counts.select("article_id", mentions=pl.col(topic.id)).filter(pl.col("mentions") > 0)
        if hits.is_empty():
            continue
        with_doc = hits.join(docs, on="article_id", how="left").with_columns(
            _tdoc=_topic_doc(topic)
        )
        frames.append(
            with_doc.select(
                "article_id",
                topic_id=pl.lit(topic.id),
                mentions="mentions",
                matched=pl.col("_tdoc").str.extract(f"({topic.regex})", 1),
                _sentence=pl.col("_tdoc")
                .str.extract(f"({evidence_regex(topic)})", 1)
                .str.replace_all(r"\s+", " ")
                .str.strip_chars(),
            ).with_columns(evidence=_shorten(pl.col("_sentence"), topic)).drop("_sentence")
        )
    if not frames:
        return schema.empty("topic_mentions")
    out = pl.concat(frames).sort("article_id", "topic_id")
    return schema.conform(out, "topic_mentions")


def explain(article: dict, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    """Every match in one article (a dict with ``title`` and ``text``), in topic order:
    ``(topic_id, phrase as written, the sentence it stands in)``."""
    frame = pl.DataFrame({"title": [article.get("title") or ""],
                          "text": [article.get("text") or ""]})
    doc = frame.select(_doc=document(frame))
    out = []
    for topic in taxonomy.topics:
        sentences = doc.select(
            _topic_doc(topic).str.extract_all(evidence_regex(topic))
        ).item().to_list()
        for sentence in sentences:
            phrases = pl.select(pl.lit(sentence).str.extract_all(topic.regex)).item().to_list()
            for phrase in phrases:
                out.append((topic.id, phrase, " ".join(sentence.split())))
    return out
