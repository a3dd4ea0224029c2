"""Count taxonomy topics per article with polars expressions, keeping evidence.

One regex per topic runs over every article's document (title + text) in polars' Rust
engine; there is no per-article Python loop. Exclusion phrases are blanked out of the
document before a topic is counted, so "nuclear power plant" never counts as nuclear
deterrence. A topic does not count at all in an article whose document holds one of its
``exclude_articles`` phrases ("privately owned drones": a base's hobby-drone rules).
"""

from __future__ import annotations

import os

import polars as pl

from analytics.contracts import schema
from analytics.contracts.taxonomy import WORD_BOUNDARY, Taxonomy, Topic
from analytics.topics.regex_literals import precheck_regex, prefilter_words

# A sentence may hold full stops that are not followed by white space ("2.5%", "U.S.").
# Unbounded repetition keeps the regex on the fast DFA path; a sentence longer than
# _EVIDENCE_MAX (an unpunctuated transcript) is cut to a window around the phrase.
_SENTENCE_PART = r"(?:[^.!?\n]|[.!?]\S)"
_EVIDENCE_MAX = 400
_EVIDENCE_SIDE = 160
# The aho-corasick crate behind polars' str.extract_many builds a fast DFA for at most
# 100 patterns and a ~5x slower NFA beyond; the prefilter words go in chunks of <= 100.
_AC_MAX_PATTERNS = 100
_NEEDLE_MIN = 6


def document(articles: pl.DataFrame) -> pl.Expr:
    """Expression: the text to search, the title first unless the text starts with it."""
    title = pl.col("title").fill_null("")
    text = pl.col("text").fill_null("")
    return pl.when(text.str.starts_with(title)).then(text).otherwise(title + "\n" + text)


def _counts_in(topic: Topic) -> pl.Expr:
    """True where the topic may count in the article: its document (``_doc``, before
    exclusions are blanked) holds none of the topic's ``exclude_articles`` phrases."""
    rx = topic.exclude_articles_regex
    return pl.col("_doc").str.contains(rx).not_() if rx else pl.lit(True)


def _prechecked(frame: pl.LazyFrame, topic: Topic) -> pl.LazyFrame:
    """``frame`` without the documents (``_tdoc``) in which ``precheck_regex(topic)`` does
    not match: its regex cannot match there either. A regex with many counted gaps is slow
    on every document; its pre-check is fast and rules out most."""
    rx = precheck_regex(topic)
    return frame.filter(pl.col("_tdoc").str.contains(rx)) if rx else frame


def _counted(frame: pl.LazyFrame, topic: Topic) -> pl.LazyFrame:
    """The (candidate) documents in which ``topic`` counts, with ``_tdoc`` (exclusions
    blanked) and ``mentions`` (> 0): ``exclude_articles`` absent, pre-check passed."""
    kept = frame.filter(_counts_in(topic)).with_columns(_tdoc=_topic_doc(topic))
    return (_prechecked(kept, topic)
            .with_columns(mentions=pl.col("_tdoc").str.count_matches(topic.regex))
            .filter(pl.col("mentions") > 0))


def _topic_doc(topic: Topic) -> pl.Expr:
    doc = pl.col("_doc")
    return doc.str.replace_all(topic.exclude_regex, " ") if topic.exclude_regex else doc


def evidence_regex(topic: Topic) -> str:
    """Regex whose leftmost match is the sentence around the topic's first match."""
    b = WORD_BOUNDARY
    return rf"(?i){_SENTENCE_PART}*{b}{topic.alternation}{b}{_SENTENCE_PART}*[.!?]?"


def _mentions(frame: pl.LazyFrame, topic: Topic) -> pl.LazyFrame:
    """Mentions, first phrase and evidence of documents that mention the topic.

    Same results as ``explain``/the regex contract: the whole leftmost match (group 0) of
    ``topic.regex`` and of ``evidence_regex``; only the few sentences over
    ``_EVIDENCE_MAX`` characters are cut to a window later (``_shorten``).

    A search for the whole evidence regex is slow: its reverse search for the start runs
    the topic's alternation backwards over the sentence. Without its tail (which may match
    nothing) the regex finds the same start fast; from there the whole regex is anchored,
    and the first match lies at or after it. The slice keeps word boundaries: the character
    before the start is never a word character (else the evidence would start there).
    """
    b = WORD_BOUNDARY
    doc = pl.col("_tdoc")
    start = doc.str.find(rf"(?i){_SENTENCE_PART}*{b}{topic.alternation}{b}")
    rest = doc.cast(pl.Binary).bin.slice(start).cast(pl.String)
    sentence = rest.str.extract("^" + evidence_regex(topic), 0)
    return frame.select(
        "article_id",
        topic_id=pl.lit(topic.id),
        mentions="mentions",
        matched=rest.str.extract(topic.regex, 0),
        _sentence=sentence.str.replace_all(r"\s+", " ").str.strip_chars(),
    ).with_columns(_long=(pl.col("_sentence").str.len_chars() > _EVIDENCE_MAX).fill_null(False))


def _window_regex(topic: Topic) -> str:
    """Regex whose leftmost match is the window kept of a long sentence (group 1)."""
    side = f".{{0,{_EVIDENCE_SIDE}}}"
    return rf"(?is)({side}{WORD_BOUNDARY}{topic.alternation}{WORD_BOUNDARY}{side})"


def _shorten(long: pl.DataFrame, topic: Topic) -> pl.DataFrame:
    """``long`` (sentences over _EVIDENCE_MAX characters) with ``evidence``: the leftmost
    match of ``_window_regex``, stripped, between ellipses.

    That regex is slow on long sentences. A window starts _EVIDENCE_SIDE characters before
    the first phrase, which its greedy prefix then reaches first: if there are that many
    characters before the phrase, the window is a plain slice around it. Otherwise it starts
    at the sentence start, where the regex is anchored.
    """
    s = pl.col("_sentence")
    before = s.cast(pl.Binary).bin.slice(0, s.str.find(topic.regex)).cast(pl.String)
    long = long.with_columns(_before=before.str.len_chars())
    far = (pl.col("_before") >= _EVIDENCE_SIDE).fill_null(False)
    sliced = long.filter(far).with_columns(_w=s.str.slice(
        pl.col("_before") - _EVIDENCE_SIDE,
        s.str.extract(topic.regex, 0).str.len_chars() + 2 * _EVIDENCE_SIDE))
    anchored = long.filter(~far).with_columns(_w=s.str.extract("^" + _window_regex(topic), 1))
    return pl.concat([sliced, anchored]).select(
        pl.exclude("_before", "_w"),
        evidence=pl.lit("…") + pl.col("_w").str.strip_chars() + pl.lit("…"))


def _needles(words: set[str]) -> dict[str, str]:
    """Each word -> the literal searched for it: the prefix its run of neighbours in sorted
    order shares, if that is at least _NEEDLE_MIN long ("ukrain" for "ukraine" and
    "ukrainian"), else the word. A word contains its needle, so no candidate is lost; fewer
    needles, fewer Aho-Corasick passes."""
    out: dict[str, str] = {}
    run: list[str] = []
    prefix = ""
    for w in sorted(words):
        shared = os.path.commonprefix([prefix, w])
        if run and len(shared) >= _NEEDLE_MIN:
            run.append(w)
            prefix = shared
            continue
        out.update(dict.fromkeys(run, prefix))
        run, prefix = [w], w
    out.update(dict.fromkeys(run, prefix))
    return out


def _prefilter_words(taxonomy: Taxonomy) -> tuple[list[list[str]], pl.DataFrame, list[int]]:
    """Chunks of needles (``_needles`` of the prefilter words), a (needle, topic index) table
    keyed by the lowercased needle, and the indices of topics without prefilter words (every
    article is a candidate)."""
    topics_of: dict[str, set[int]] = {}
    unfiltered = []
    for i, topic in enumerate(taxonomy.topics):
        words = prefilter_words(topic)
        if words is None:
            unfiltered.append(i)
            continue
        for w in words:
            topics_of.setdefault(w, set()).add(i)
    needle_of = _needles(set(topics_of))
    keys: dict[str, set[int]] = {}
    for w, ids in topics_of.items():
        keys.setdefault(needle_of[w].lower(), set()).update(ids)
    ordered = sorted(set(needle_of.values()))
    n = max(1, -(-len(ordered) // _AC_MAX_PATTERNS))
    size = -(-len(ordered) // n) if ordered else 0
    chunks = [ordered[k:k + size] for k in range(0, len(ordered), size)] if ordered else []
    table = pl.DataFrame(
        [(w, i) for w, ids in keys.items() for i in sorted(ids)],
        schema={"_w": pl.String, "_t": pl.UInt32}, orient="row",
    )
    return chunks, table, unfiltered


def _candidates(docs: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """(``_row``, ``_t``): articles in which a prefilter word of topic ``_t`` occurs.

    One Aho-Corasick pass per chunk of needles, overlapping, so that no occurrence hides
    another; a topic's regex can only match in these articles (``regex_literals.prefilter_words``).
    """
    chunks, table, unfiltered = _prefilter_words(taxonomy)
    frames = [
        docs.lazy()
        .select("_row", _w=pl.col("_doc").str.extract_many(
            chunk, ascii_case_insensitive=True, overlapping=True))
        .explode("_w")
        .drop_nulls("_w")
        for chunk in chunks
    ]
    if frames:
        found = pl.concat(frames).with_columns(pl.col("_w").str.to_lowercase())
        frames = [found.join(table.lazy(), on="_w").select("_row", "_t")]
    if unfiltered:
        frames.append(docs.lazy().select("_row").join(
            pl.LazyFrame({"_t": unfiltered}, schema={"_t": pl.UInt32}), how="cross"))
    if not frames:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_t": pl.UInt32})
    return pl.concat(frames).unique().collect()


def _shorten_long(found: pl.DataFrame, topic: Topic) -> pl.DataFrame:
    short = found.filter(~pl.col("_long")).with_columns(evidence="_sentence")
    long = found.filter(pl.col("_long"))
    if long.height:
        short = pl.concat([short, _shorten(long, topic)])
    return short.drop("_sentence", "_long")


def topic_counts(articles: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """Wide counts: ``article_id`` plus one UInt32 column per topic id (mentions)."""
    docs = articles.select("article_id", _doc=document(articles)).with_row_index("_row")
    cands = _candidates(docs, taxonomy)
    out = docs.select("_row", "article_id")
    for i, t in enumerate(taxonomy.topics):
        rows = cands.filter(pl.col("_t") == i).select("_row")
        candidates = docs.lazy().join(rows.lazy(), on="_row", how="semi")
        counts = _counted(candidates, t).select("_row", pl.col("mentions").alias(t.id)).collect()
        out = out.join(counts, on="_row", how="left", maintain_order="left").with_columns(
            pl.col(t.id).fill_null(0))
    return out.drop("_row")


def tag_topics(articles: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """``topic_mentions`` for ``articles`` (needs ``article_id``, ``title``, ``text``).

    One row per (article, topic) with at least one mention: the number of mentions, the
    first phrase matched as written, and the sentence it stands in.

    A topic's regex runs only on the articles that contain one of its prefilter words
    (one Aho-Corasick pass over all articles finds them); the others cannot match. A regex
    with many counted gaps (slow in Rust's engine) first runs its pre-check
    (``regex_literals.precheck_regex``), which matches wherever the regex does.
    """
    if articles.is_empty():
        return schema.empty("topic_mentions")
    docs = articles.select("article_id", _doc=document(articles)).with_row_index("_row")
    cands = _candidates(docs, taxonomy)
    if cands.is_empty():
        return schema.empty("topic_mentions")
    parts = cands.join(docs, on="_row").partition_by("_t", as_dict=True)
    order = sorted(parts, key=lambda key: -parts[key].height)  # topics in parallel, largest first
    topics = [taxonomy.topics[key[0]] for key in order]
    plans = [
        _mentions(_counted(parts[key].lazy(), t), t)
        for key, t in zip(order, topics, strict=True)
    ]
    found = pl.collect_all(plans)
    frames = [_shorten_long(f, t) for f, t in zip(found, topics, strict=True) if not f.is_empty()]
    if not frames:
        return schema.empty("topic_mentions")
    out = pl.concat(frames).sort("article_id", "topic_id")
    return schema.conform(out, "topic_mentions")


def explain(article: dict, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    """Every match in one article (a dict with ``title`` and ``text``), in topic order:
    ``(topic_id, phrase as written, the sentence it stands in)``. A topic excluded from
    the article (``exclude_articles``) has no matches, as in ``tag_topics``."""
    frame = pl.DataFrame({"title": [article.get("title") or ""],
                          "text": [article.get("text") or ""]})
    doc = frame.select(_doc=document(frame))
    out = []
    for topic in taxonomy.topics:
        if not doc.select(_counts_in(topic)).item():
            continue
        sentences = doc.select(
            _topic_doc(topic).str.extract_all(evidence_regex(topic))
        ).item().to_list()
        for sentence in sentences:
            phrases = pl.select(pl.lit(sentence).str.extract_all(topic.regex)).item().to_list()
            for phrase in phrases:
                out.append((topic.id, phrase, " ".join(sentence.split())))
    return out


def cue_of(topic: Topic, matched: str) -> str:
    """Which of the topic's cues (phrase, pattern or rule, as ``Topic.cues`` names it)
    matches the text ``matched`` whole: what ``explain`` shows as the reason."""
    for name, rx in topic.cues:
        if pl.select(pl.lit(matched).str.contains(rf"(?i)^(?:{rx})$")).item():
            return name
    return "a cue"
