"""Page furniture of each source, found and stripped from the text that themes are fitted on.

A source's feed repeats furniture around its stories: newsletter lines ("Sign up for
Guardian Australia's free morning and afternoon email newsletters ..."), series titles
("Your Tuesday Briefing", "Financial Services Roundup: Market Talk"), list pages
("Russia-Ukraine war: List of key events, day 551"), links and bylines. Left in, their
words are the most regular words of the stream and become themes of their own. Two kinds
are found, per source:

* a *line*: a line or sentence of the text (a sentence ends in ``.!?…`` after a word of
  two lower-case letters or a digit, before a capital or a quote), compared in lower case
  with each number as 0 ("581st" too) and punctuation as spaces, that recurs in at least
  ``min_items`` and ``line_share`` of the source's items;
* a *phrase*: a run of ``phrase_words`` words inside one sentence, compared the same way,
  that recurs in at least ``min_items`` and ``phrase_share`` of the source's items and
  holds two or more terms (words the theme model counts: "at the end of the" is
  language, not furniture). A longer recurring run is covered by its overlapping runs,
  so it goes whole.

Either must also be *of this source*: its share of the source's items at least
``min_lift`` times its share of the other sources' items. That keeps the language several
outlets share ("at least 10 people were killed", "secretary of state antony blinken"),
while a phrase found in one outlet only is furniture at a share far below a story's. A
store of one source has nothing to compare with: there a line counts as above, and a
phrase only from ``alone_share`` (5%) of the items (a newsletter line in 44% of the
Guardian's items goes; "told the BBC News website", in 3% of BBC 2005's, stays).
Measured on the RSS stream (bench/README_themes.md): its furniture recurs in 0.3-4% of an
outlet's items (only the Guardian's newsletter lines pass 5%); runs of 3-4 words at 1%
and of one outlet also caught story phrases ("new south wales", "indigenous voice to
parliament"), runs of 5 did not.

Counting reads at most ``sample_items`` texts of each source (the smallest text hashes,
as ``model.stable_sample``), the counts scaled to the whole source, and one batch of
sources at a time, so the cost stays bounded on a large store. Stripping removes the
furniture's words from the text used for themes only (the stored articles and the topic
tagger keep theirs). A text without furniture is returned as it is; one with furniture
becomes its remaining words (lower case, numbers as 0), one sentence a line: the
vectoriser finds the same words in both (``\\w+`` runs), so only the furniture's terms
go. The furniture a fit found is kept with it (a ``BOILERPLATE`` frame of plain strings)
and stripped from the articles placed into that fit later. Pure polars and numpy.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from analytics.themes.model import STOP_WORDS, TOKEN_PATTERN

BOILERPLATE = {"source": pl.String, "kind": pl.String, "text": pl.String,
               "items": pl.UInt32, "share": pl.Float64}
LINE, PHRASE = "line", "phrase"
# Where a sentence ends: after a word of 2+ lower-case letters (or a digit) and its
# punctuation, before a capital or an opening quote; "U.S. officials" and "Marcos Jr.
# said" stay whole.
_SENTENCE_END = r"((?:\p{Ll}{2}|\d)[.!?…]+[\"'”’)]*)\s+(\p{Lu}|[\"'“‘(])"
_WORD = r"\w+"
_SEED = 14


def no_boilerplate() -> pl.DataFrame:
    return pl.DataFrame(schema=BOILERPLATE)


def find_boilerplate(sources: pl.Series, texts: pl.Series, *, min_items: int = 20,
                     line_share: float = 0.001, phrase_share: float = 0.01,
                     phrase_words: int = 5, min_lift: float = 100.0,
                     alone_share: float = 0.05, sample_items: int = 10_000,
                     batch_texts: int = 20_000) -> pl.DataFrame:
    """The furniture of each source in ``texts`` (``sources[i]`` is the source of
    ``texts[i]``; a null source counts as the source ""): a ``BOILERPLATE`` frame, one row
    per line or phrase (``text`` as compared: lower case, numbers as 0), with the number
    (estimated from the sample) and share of the source's items that hold it. The rules
    are in the module's docstring."""
    if phrase_words < 2:
        raise ValueError(f"phrase_words must be 2 or more, got {phrase_words!r}")
    frame = _frame(sources, texts)
    if frame.is_empty():
        return no_boilerplate()
    # The sample: each source's texts with the smallest hashes (stable as a store grows).
    frame = frame.with_columns(rank=pl.col("text").hash(seed=_SEED).rank("ordinal")
                               .over("src")).filter(pl.col("rank") <= sample_items)
    totals = (frame.group_by("src", "source").agg(m=pl.len())
              .join(_totals(sources), on="src").sort("src"))
    seen, found = [], []
    for batch in _batches(totals, batch_texts):
        rows = frame.join(batch.select("src"), on="src", how="semi")
        counts, candidates = _count(rows, batch, phrase_words=phrase_words,
                                    min_items=min_items, line_share=line_share,
                                    phrase_share=phrase_share)
        seen.append(counts)
        found.append(candidates)
    seen_all, candidates = pl.concat(seen), pl.concat(found)
    if candidates.is_empty():
        return no_boilerplate()
    # Of this source: its share here against its share in all the other sources' samples.
    elsewhere = seen_all.join(candidates.select("kind", "key", own="src"), on=["kind", "key"]) \
        .filter(pl.col("src") != pl.col("own")).group_by("kind", "key", "own").agg(
            others=pl.col("sampled").sum())
    m_all = totals.get_column("m").sum()
    kept = (candidates.join(elsewhere, left_on=["kind", "key", "src"],
                            right_on=["kind", "key", "own"], how="left")
            .join(totals.select("src", "m"), on="src")
            .with_columns(pl.col("others").fill_null(0), other_m=m_all - pl.col("m"))
            .filter(pl.when(pl.col("other_m") == 0)
                    .then((pl.col("kind") == LINE) | (pl.col("share") >= alone_share))
                    .otherwise(pl.col("share")
                               >= min_lift * pl.col("others") / pl.col("other_m"))))
    # A phrase seen only inside a furniture line of its source adds nothing to the line.
    lines = kept.filter(pl.col("kind") == LINE).select("src", line="text", line_items="items")
    inside = (kept.filter(pl.col("kind") == PHRASE).join(lines, on="src")
              .filter((" " + pl.col("line") + " ").str.contains(" " + pl.col("text") + " ",
                                                                 literal=True),
                      pl.col("items") <= pl.col("line_items"))
              .select("src", "kind", "text").unique())
    kept = kept.join(inside, on=["src", "kind", "text"], how="anti")
    return (kept.select(list(BOILERPLATE)).cast(pl.Schema(BOILERPLATE))
            .sort("source", "kind", "items", "text", descending=[False, False, True, False]))


def strip_boilerplate(sources: pl.Series, texts: pl.Series, boilerplate: pl.DataFrame, *,
                      chunk_size: int = 20_000) -> pl.Series:
    """``texts`` without the lines and phrases of ``boilerplate`` (``find_boilerplate``'s
    frame) of their source; texts without any are returned as they are (a null stays
    null). Only texts that may hold a rule (its words in a row, by a loose regex) are read
    closely, ``chunk_size`` at a time."""
    texts = texts.cast(pl.String)
    if boilerplate.is_empty() or texts.is_empty():
        return texts
    frame = _frame(sources, texts)
    names = frame.select("src", "source").unique("src")
    rules = boilerplate.join(names, on="source")
    # Only the texts that hold some rule's words in a row are read closely (most hold
    # none): one regex pass over the lower-cased texts of the sources with rules.
    pattern = "|".join(_loose(t) for t in rules.get_column("text").unique().sort())
    maybe = frame.join(rules.select("src").unique(), on="src", how="semi").filter(
        pl.col("text").str.to_lowercase().str.contains(pattern))
    if maybe.is_empty():
        return texts
    parts = [_strip(maybe.slice(start, chunk_size), rules)
             for start in range(0, maybe.height, chunk_size)]
    stripped = pl.concat(parts)
    out = texts.to_frame("text").with_row_index("doc").join(stripped, on="doc", how="left",
                                                            maintain_order="left")
    return out.select(pl.coalesce("stripped", "text")).to_series().alias(texts.name)


def _strip(rows: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """``doc, stripped`` for the ``rows`` (doc, src, text) that hold a rule of their
    source: the words left, one sentence a line ("" when nothing is left)."""
    segments = _segments(rows)
    lines = rules.filter(pl.col("kind") == LINE).select("src", line="text", gone=pl.lit(True))
    segments = segments.join(lines, on=["src", "line"], how="left", maintain_order="left") \
        .with_columns(pl.col("gone").fill_null(False))
    tokens = _tokens(segments, keep=["gone"]).with_row_index("row")
    phrases = rules.filter(pl.col("kind") == PHRASE)
    if not phrases.is_empty():
        n = phrases.select(pl.col("text").str.count_matches(" ").max()).item() + 1
        # Each rule's key is computed as a text's is (same hash, same process).
        spelt = _gram_keys(_tokens(phrases.select(
            doc=pl.lit(0, pl.UInt32), src="src", sid=pl.int_range(pl.len(), dtype=pl.UInt32),
            line="text")).with_row_index("row"), n)
        hits = _gram_keys(tokens, n).join(spelt.select("src", "key").unique(),
                                          on=["src", "key"]).get_column("row").to_numpy()
        # The n words from a hit on are furniture (within one sentence, as keys are).
        covered = np.zeros(tokens.height, dtype=bool)
        covered[hits] = True
        first = covered.copy()
        for i in range(1, n):
            covered[i:] |= first[:-i]
        tokens = tokens.with_columns(gone=pl.col("gone") | pl.Series(covered))
    touched = tokens.group_by("doc").agg(pl.col("gone").any()).filter("gone").select("doc")
    kept = (tokens.join(touched, on="doc", how="semi").filter(~pl.col("gone"))
            .group_by("doc", "sid", maintain_order=True).agg(pl.col("word").str.join(" "))
            .group_by("doc", maintain_order=True).agg(stripped=pl.col("word").str.join("\n")))
    return touched.join(kept, on="doc", how="left").with_columns(
        pl.col("stripped").fill_null(""))


def _loose(text: str) -> str:
    """A regex matching at least wherever ``text`` (a rule, as compared) is in a lower-
    cased original text: its words in order with anything but an ASCII letter or digit
    between them, anything at all around a number (small enough to compile as one
    alternation of all the rules, unlike Unicode's ``\\W``)."""
    out = ""
    for word in text.split(" "):
        if word == "0":
            out += ".*?"
            continue
        if out and not out.endswith(".*?"):
            out += "[^a-z0-9]+"
        out += re.escape(word)
    return out


def _frame(sources: pl.Series, texts: pl.Series) -> pl.DataFrame:
    """``doc, src, source, text``: ``src`` numbers the sources (null as "")."""
    frame = pl.DataFrame({"source": sources.cast(pl.String).fill_null(""),
                          "text": texts.cast(pl.String).fill_null("")})
    return frame.with_row_index("doc").with_columns(
        src=pl.col("source").rank("dense").cast(pl.UInt32))


def _totals(sources: pl.Series) -> pl.DataFrame:
    """``src, n``: the items of each source (numbered as ``_frame`` does)."""
    return (pl.DataFrame({"source": sources.cast(pl.String).fill_null("")})
            .select(src=pl.col("source").rank("dense").cast(pl.UInt32))
            .group_by("src").agg(n=pl.len()))


def _batches(totals: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    """Consecutive groups of sources of at most ``size`` sampled texts (a larger source
    alone)."""
    group = (totals.get_column("m").cum_sum() - 1) // max(size, 1)
    return totals.with_columns(group=group).partition_by("group", maintain_order=True)


def _count(rows: pl.DataFrame, batch: pl.DataFrame, *, phrase_words: int, min_items: int,
           line_share: float, phrase_share: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """For the sampled ``rows`` of the sources of ``batch`` (src, source, m sampled, n
    items): ``kind, key, src, sampled`` for every line and phrase found in 2+ sampled
    texts (what the other sources' lift needs), and the candidates: those above this
    source's thresholds, with ``text``, ``items`` (scaled to the source) and ``share``."""
    segments = _segments(rows)
    lines = segments.filter(pl.col("line").str.contains(r"[^\W\d_]{2}")).select(
        "src", "doc", key=pl.col("line"))
    # A title repeated in the text counts once; rows stay in text order for the runs.
    tokens = _tokens(segments.unique(["doc", "line"], keep="first", maintain_order=True)) \
        .with_row_index("row")
    grams = _gram_keys(tokens, phrase_words)
    per_line = _per_key(lines.with_columns(key=pl.col("key").hash(seed=_SEED),
                                           text=pl.col("key")), batch)
    per_phrase = _per_key(grams.with_columns(text=pl.lit(None, pl.String)), batch)
    counts = pl.concat([per_line.with_columns(kind=pl.lit(LINE)),
                        per_phrase.with_columns(kind=pl.lit(PHRASE))])
    share = pl.when(pl.col("kind") == LINE).then(line_share).otherwise(phrase_share)
    candidates = counts.filter(pl.col("items") >= min_items, pl.col("share") >= share)
    # Spell each phrase out from its first occurrence.
    phrase_rows = candidates.filter(pl.col("kind") == PHRASE).get_column("row")
    words = tokens.get_column("word")
    spelt = pl.DataFrame({f"w{i}": words.gather(phrase_rows + i) for i in range(phrase_words)}
                         ).select(pl.concat_str(pl.all(), separator=" ").alias("spelt")
                                  ).with_columns(row=phrase_rows)
    # A phrase of fewer than two terms ("at the end of the", "0 0 to 0 0") makes no theme:
    # it is language, not furniture, and stays.
    candidates = candidates.join(spelt, on="row", how="left").with_columns(
        text=pl.coalesce("text", "spelt"))
    terms = candidates.get_column("text").str.extract_all(TOKEN_PATTERN).list.eval(
        pl.element().filter(~pl.element().is_in(sorted(STOP_WORDS))).len())
    candidates = candidates.filter((pl.col("kind") == LINE) | (terms.list.first() >= 2))
    return (counts.select("kind", "key", "src", "sampled"),
            candidates.select("kind", "key", "src", "source", "text", "items", "share"))


def _per_key(found: pl.DataFrame, batch: pl.DataFrame) -> pl.DataFrame:
    """``src, source, key, text, row, sampled, items, share`` of the keys of ``found``
    (src, doc, key, text, and row of an occurrence where there is one) in 2+ sampled
    texts: ``items`` scaled from the sample to the source, ``share`` of its items."""
    row = pl.col("row").min() if "row" in found.columns else pl.lit(None, pl.UInt32)
    return (found.group_by("src", "key").agg(sampled=pl.col("doc").n_unique().cast(pl.UInt32),
                                             text=pl.col("text").first(), row=row)
            .filter(pl.col("sampled") >= 2)
            .join(batch.select("src", "source", "m", "n"), on="src")
            .with_columns(share=pl.col("sampled") / pl.col("m"))
            .with_columns(items=(pl.col("share") * pl.col("n")).round().cast(pl.UInt32))
            .drop("m", "n"))


def _segments(rows: pl.DataFrame) -> pl.DataFrame:
    """``doc, src, sid, line``: each text's lines and sentences (``line`` as compared),
    ``sid`` numbering them in order."""
    return (rows.select("doc", "src", line=pl.col("text").fill_null("")
                        .str.replace_all(_SENTENCE_END, "$1\n$2").str.split("\n"))
            .explode("line")
            .with_row_index("sid")
            .with_columns(pl.col("line").str.to_lowercase().str.replace_all(r"\d\w*", "0")
                          .str.replace_all(r"[\W_]+", " ").str.strip_chars()))


def _tokens(segments: pl.DataFrame, keep: list[str] | None = None) -> pl.DataFrame:
    """``doc, src, sid, word`` (and ``keep``): every word of every segment, in order."""
    return (segments.select("doc", "src", "sid", *(keep or []),
                            word=pl.col("line").str.extract_all(_WORD))
            .explode("word").drop_nulls("word"))


def _gram_keys(tokens: pl.DataFrame, n: int) -> pl.DataFrame:
    """``row, doc, src, key``: a hash of the ``n`` words from each row on (``tokens`` has
    ``row``), where all ``n`` are in the row's segment (rows are in text order)."""
    h = pl.col("word").hash(seed=_SEED)
    return (tokens.select("row", "doc", "src", "sid",
                          key=pl.struct([h.shift(-i).alias(f"h{i}") for i in range(n)])
                          .hash(seed=_SEED),
                          last=pl.col("sid").shift(-(n - 1)))
            .filter(pl.col("last") == pl.col("sid"))
            .drop("sid", "last"))
