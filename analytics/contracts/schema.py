"""Table contracts: every table's columns and dtypes, declared once, checked at boundaries."""

from __future__ import annotations

from typing import TypeAlias

import polars as pl

# A table's columns and dtypes. A dtype is written as a class (``pl.String``) or, when it
# takes parameters, as an instance (``pl.Datetime("us", "UTC")``); polars accepts both.
TableSchema: TypeAlias = "dict[str, pl.DataType | type[pl.DataType]]"

UTC_DATETIME = pl.Datetime("us", "UTC")

# What a parser yields for one input row, before ids, normalisation and deduplication.
PARSED: TableSchema = {
    "source": pl.String,  # source id from the sources file
    "location": pl.String,  # file path, file:line, feed entry or URL
    "url": pl.String,
    "guid": pl.String,  # feed entry id, when the input has one
    "title": pl.String,
    "published_at": UTC_DATETIME,
    "text": pl.String,
    "language": pl.String,
    "metadata": pl.String,  # JSON object of the input's other fields (tables), else null
}

ARTICLES: TableSchema = {
    "article_id": pl.String,
    "source": pl.String,
    "url": pl.String,
    "title": pl.String,
    "published_at": UTC_DATETIME,
    "text": pl.String,
    "language": pl.String,
    "duplicate_of": pl.String,  # article_id of the canonical article, null if canonical
    "location": pl.String,  # file, line or URL the row came from
    "content_hash": pl.String,  # hash of the normalised text, for exact-duplicate checks
    "date_imputed": pl.Boolean,  # published_at is the run date, the input had none
    "ingested_on": pl.Date,  # run date on which the article was first stored
    "metadata": pl.String,  # JSON object of the input's other fields (tables), else null
}

TOPIC_MENTIONS: TableSchema = {
    "article_id": pl.String,
    "topic_id": pl.String,
    "mentions": pl.UInt32,
    "matched": pl.String,  # the first phrase that matched, as written in the text
    "evidence": pl.String,  # the sentence that phrase stands in
}

CLAIMS: TableSchema = {
    "article_id": pl.String,
    "claim_type": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "target_year": pl.Int32,
    "actor": pl.String,  # whose level it is, as its clause or the article says (NATO, a country)
    "kind": pl.String,  # current (a level now), target (a goal, a call), pledge, historical
    "snippet": pl.String,
}

# Per actor, the latest stated spending level and target (the report's claims page).
CLAIM_LEVELS: TableSchema = {
    "actor": pl.String,
    "current_value": pl.Float64,  # the newest "current" claim: value, year it is for, article
    "current_year": pl.Int32,
    "current_published": UTC_DATETIME,
    "current_title": pl.String,
    "current_article_id": pl.String,
    "target_value": pl.Float64,  # the newest "target" or "pledge" claim
    "target_year": pl.Int32,
    "target_kind": pl.String,
    "target_published": UTC_DATETIME,
    "target_article_id": pl.String,
}

TOPIC_TRENDS: TableSchema = {
    "period_start": pl.Date,
    "period": pl.String,
    "topic_id": pl.String,
    "articles": pl.UInt32,
    "mentions": pl.UInt32,
    "share": pl.Float64,
}

THEMES: TableSchema = {
    "theme_id": pl.Int32,
    "label": pl.String,
    "top_terms": pl.List(pl.String),
    "size": pl.UInt32,
}

ARTICLE_THEMES: TableSchema = {
    "article_id": pl.String,
    "theme_id": pl.Int32,
    "weight": pl.Float64,
}

QUARANTINE: TableSchema = {
    "source": pl.String,
    "location": pl.String,
    "reason": pl.String,
}

# Tables the trends, themes and report stages add (written to reports/<date>/tables/).
EMERGING_TOPICS: TableSchema = {
    "topic_id": pl.String, "period_start": pl.Date, "articles": pl.UInt32,
    "share": pl.Float64, "baseline_share": pl.Float64, "z": pl.Float64, "emerging": pl.Boolean,
}

COOCCURRENCE: TableSchema = {
    "topic_a": pl.String, "topic_b": pl.String, "articles": pl.UInt32,
    "jaccard": pl.Float64, "lift": pl.Float64,
}

SOURCE_SHARES: TableSchema = {
    "period_start": pl.Date, "source": pl.String, "topic_id": pl.String,
    "articles": pl.UInt32, "source_articles": pl.UInt32, "share": pl.Float64,
}

# Topic bursts (trends/bursts.py): one row per (topic, period) flagged 'watch' or 'burst',
# every period of history; each period judged against earlier periods only (causal).
BURSTS: TableSchema = {
    "topic_id": pl.String,
    "period": pl.String,  # day or week
    "period_start": pl.Date,
    "articles": pl.UInt32,  # the topic's canonical articles that period
    "total": pl.UInt32,  # all canonical articles that period
    "share": pl.Float64,  # articles / total
    "baseline_share": pl.Float64,  # pooled share of the earlier non-burst periods, floored
    "expected": pl.Float64,  # total * baseline_share
    "ratio": pl.Float64,  # share / baseline_share: the effect size
    "z": pl.Float64,  # normal deviate with the same upper tail as p_value
    "p_value": pl.Float64,  # binomial P(X >= articles | total, baseline_share)
    "sources": pl.UInt32,  # outlets with the topic that period
    "top_source": pl.String,  # the outlet with most of the topic's articles
    "top_source_share": pl.Float64,  # its share of the topic's articles
    "top_source_excess": pl.Float64,  # its part of the excess over expected (per-source test)
    "window_articles": pl.UInt32,  # the topic's articles over the confirmation window
    "window_ratio": pl.Float64,  # that window's share / its baseline share
    "window_p_value": pl.Float64,  # that window's binomial upper tail
    "level": pl.String,  # watch | burst
    "onset": pl.Date,  # first period of the run of flagged periods this one belongs to
}

# What drove a burst (trends/burst_stories.py): per burst peak, its largest stories.
BURST_STORIES: TableSchema = {
    "topic_id": pl.String,
    "period": pl.String,
    "period_start": pl.Date,  # the peak: the run's flagged period with the most articles
    "onset": pl.Date,  # first flagged period of the run
    "rank": pl.UInt32,  # 1 = the story with the most articles
    "label": pl.String,  # its most central title
    "articles": pl.UInt32,  # the topic's articles of the peak in the story, duplicates in
    "sources": pl.UInt32,
    "outlets": pl.List(pl.String),
    "urls": pl.List(pl.String),  # up to three, one per outlet
    "first_seen": UTC_DATETIME,
}

THEME_TERMS: TableSchema = {"theme_id": pl.Int32, "term": pl.String, "weight": pl.Float64}

THEME_COORDS: TableSchema = {"article_id": pl.String, "x": pl.Float64, "y": pl.Float64}

THEME_TRENDS: TableSchema = {"period_start": pl.Date, "theme_id": pl.Int32, "articles": pl.UInt32}

# This run's theme ids -> the ids they keep from the last run's themes.
THEME_ID_MAPPING: TableSchema = {
    "theme_id": pl.Int32, "stable_id": pl.Int32, "jaccard": pl.Float64,
}

# The topic table of the PDF, summary.md and the Prefect artifact (one table, one set of
# numbers): canonical articles per topic, share of all, share change, reach, evidence.
TOPIC_TOTALS: TableSchema = {
    "topic_id": pl.String, "label": pl.String, "articles": pl.Int64, "mentions": pl.Int64,
    "share": pl.Float64, "share_change": pl.Float64, "reach": pl.Int64, "evidence": pl.String,
}

# Intermediate frames of the report's facts (not written as tables).
SHARE_CHANGES: TableSchema = {
    "topic_id": pl.String, "period_start": pl.Date, "previous_start": pl.Date,
    "articles": pl.UInt32, "share": pl.Float64, "previous_share": pl.Float64, "delta": pl.Float64,
}

QUOTES: TableSchema = {
    "topic_id": pl.String, "article_id": pl.String, "title": pl.String, "source": pl.String,
    "published_at": UTC_DATETIME, "link": pl.String, "evidence": pl.String,
}

TABLES: dict[str, TableSchema] = {
    "parsed": PARSED,
    "articles": ARTICLES,
    "topic_mentions": TOPIC_MENTIONS,
    "claims": CLAIMS,
    "claim_levels": CLAIM_LEVELS,
    "topic_trends": TOPIC_TRENDS,
    "themes": THEMES,
    "article_themes": ARTICLE_THEMES,
    "quarantine": QUARANTINE,
    "emerging_topics": EMERGING_TOPICS,
    "cooccurrence": COOCCURRENCE,
    "source_shares": SOURCE_SHARES,
    "bursts": BURSTS,
    "burst_stories": BURST_STORIES,
    "theme_terms": THEME_TERMS,
    "theme_coords": THEME_COORDS,
    "theme_trends": THEME_TRENDS,
    "theme_id_mapping": THEME_ID_MAPPING,
    "topic_totals": TOPIC_TOTALS,
    "share_changes": SHARE_CHANGES,
    "quotes": QUOTES,
}
# The report's inputs beyond the core tables: shown when present, empty when absent.
REPORT_EXTRAS = ("emerging_topics", "cooccurrence", "source_shares", "bursts",
                 "burst_stories", "theme_terms", "theme_coords", "theme_trends")


class SchemaError(ValueError):
    """A frame does not match its table contract; the message lists every problem."""


def empty(table: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=TABLES[table])


def validate(df: pl.DataFrame, table: str, *, strict: bool = True,
             columns: tuple[str, ...] | None = None, reader: str = "") -> pl.DataFrame:
    """Check ``df`` against ``table``'s contract and return it with the contract's column order.

    Missing and mistyped columns are reported together in one ``SchemaError``. With
    ``strict`` extra columns are an error too; otherwise they are dropped. ``columns``
    checks only those (what ``reader`` needs, named in the error) and returns ``df`` as
    it is: a reader's contract, the rest of the table free to evolve.
    """
    contract = TABLES[table]
    checked = columns if columns is not None else tuple(contract)
    problems = []
    for name in checked:
        dtype = contract[name]
        if name not in df.columns:
            problems.append(f"missing column {name!r} ({dtype})")
        elif df.schema[name] != dtype:
            problems.append(f"column {name!r} is {df.schema[name]}, expected {dtype}")
    extra = [c for c in df.columns if c not in contract]
    if strict and columns is None and extra:
        problems.append(f"unexpected columns {extra}")
    if problems:
        where = f" (for {reader})" if reader else ""
        raise SchemaError(f"{table}{where}: " + "; ".join(problems))
    return df if columns is not None else df.select(list(contract))


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Cast ``df`` to ``table``'s contract, adding absent columns as nulls.

    For frames built by our own code where dtypes may widen (e.g. Int64 counts); a value
    that cannot be cast raises and names the column.
    """
    contract = TABLES[table]
    cols = []
    for name, dtype in contract.items():
        if name in df.columns:
            try:
                df.get_column(name).cast(dtype, strict=True)
            except Exception as exc:  # polars raises several types here
                raise SchemaError(
                    f"{table}: column {name!r} cannot be cast to {dtype}: {exc}"
                ) from exc
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(cols)
