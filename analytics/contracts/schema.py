"""Table contracts: every table's columns and dtypes, declared once, checked at boundaries."""

from __future__ import annotations

import polars as pl

UTC_DATETIME = pl.Datetime("us", "UTC")

# What a parser yields for one input row, before ids, normalisation and deduplication.
PARSED = {
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

ARTICLES = {
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

TOPIC_MENTIONS = {
    "article_id": pl.String,
    "topic_id": pl.String,
    "mentions": pl.UInt32,
    "matched": pl.String,  # the first phrase that matched, as written in the text
    "evidence": pl.String,  # the sentence that phrase stands in
}

CLAIMS = {
    "article_id": pl.String,
    "claim_type": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "target_year": pl.Int32,
    "actor": pl.String,  # who the level applies to when the sentence says (NATO, a country)
    "snippet": pl.String,
}

TOPIC_TRENDS = {
    "period_start": pl.Date,
    "period": pl.String,
    "topic_id": pl.String,
    "articles": pl.UInt32,
    "mentions": pl.UInt32,
    "share": pl.Float64,
}

THEMES = {
    "theme_id": pl.Int32,
    "label": pl.String,
    "top_terms": pl.List(pl.String),
    "size": pl.UInt32,
}

ARTICLE_THEMES = {
    "article_id": pl.String,
    "theme_id": pl.Int32,
    "weight": pl.Float64,
}

QUARANTINE = {
    "source": pl.String,
    "location": pl.String,
    "reason": pl.String,
}

TABLES: dict[str, dict[str, pl.DataType]] = {
    "parsed": PARSED,
    "articles": ARTICLES,
    "topic_mentions": TOPIC_MENTIONS,
    "claims": CLAIMS,
    "topic_trends": TOPIC_TRENDS,
    "themes": THEMES,
    "article_themes": ARTICLE_THEMES,
    "quarantine": QUARANTINE,
}


class SchemaError(ValueError):
    """A frame does not match its table contract; the message lists every problem."""


def empty(table: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=TABLES[table])


def validate(df: pl.DataFrame, table: str, *, strict: bool = True) -> pl.DataFrame:
    """Check ``df`` against ``table``'s contract and return it with the contract's column order.

    Missing and mistyped columns are reported together in one ``SchemaError``. With
    ``strict`` extra columns are an error too; otherwise they are dropped.
    """
    contract = TABLES[table]
    problems = []
    for name, dtype in contract.items():
        if name not in df.columns:
            problems.append(f"missing column {name!r} ({dtype})")
        elif df.schema[name] != dtype:
            problems.append(f"column {name!r} is {df.schema[name]}, expected {dtype}")
    extra = [c for c in df.columns if c not in contract]
    if strict and extra:
        problems.append(f"unexpected columns {extra}")
    if problems:
        raise SchemaError(f"{table}: " + "; ".join(problems))
    return df.select(list(contract))


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
