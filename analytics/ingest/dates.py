"""Publication dates: parse many written forms to UTC, and apply the date policy.

Policy (documented in the README): a row whose date is missing or cannot be parsed
(hour 25, day 99, year 10000) is quarantined, unless the settings say
``on_missing_date = "run_date"``, which uses the run date and sets ``date_imputed``.
A date before ``min_date`` (default 1990-01-01) or after the end of the run date is
quarantined either way: such dates are wrong, and would distort every trend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from analytics.contracts.schema import UTC_DATETIME

_AWARE = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S %z",
)
_NAIVE = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %B %Y",
    "%B %d, %Y",
)


def parse_dates(expr: pl.Expr, formats: tuple[str, ...] = ()) -> pl.Expr:
    """Expression: strings to ``Datetime(us, UTC)``; null where nothing parses.

    ``formats`` are tried first; then ISO 8601 and RFC 2822 forms. Naive times are UTC.
    """
    cleaned = expr.str.strip_chars().str.replace(r"(?i)(\d)z$", "${1}+00:00").str.replace(
        r"(?i)\s(?:gmt|utc)$", " +0000"
    )
    candidates = []
    for fmt in (*formats, *_AWARE, *_NAIVE):
        parsed = cleaned.str.to_datetime(fmt, strict=False, time_unit="us")
        aware = "%z" in fmt or "%Z" in fmt
        candidates.append(
            parsed.dt.convert_time_zone("UTC") if aware else parsed.dt.replace_time_zone("UTC")
        )
    return pl.coalesce(candidates).cast(UTC_DATETIME)


def window_end(run_date: date) -> datetime:
    """The first instant after the run date (UTC): later publication dates are in the future."""
    return datetime.combine(run_date + timedelta(days=1), time(), tzinfo=UTC)


def apply_date_policy(
    df: pl.DataFrame,
    *,
    run_date: date,
    min_date: date = date(1990, 1, 1),
    on_missing_date: str = "quarantine",
    raw_column: str = "date_raw",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows into (kept, quarantined) by the date policy.

    Needs ``published_at`` (parsed, may be null), ``raw_column`` (the date as written),
    ``source`` and ``location``. Kept rows get ``date_imputed``; quarantined rows are
    ``source, location, reason``.
    """
    if raw_column not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias(raw_column))
    start = datetime.combine(min_date, time(), tzinfo=UTC)
    end = window_end(run_date)
    missing = pl.col("published_at").is_null()
    raw = pl.col(raw_column).fill_null("")
    reason: pl.Expr = (
        pl.when(missing & (raw.str.strip_chars() == ""))
        .then(pl.lit("missing publication date"))
        .when(missing)
        .then(pl.lit("unparseable publication date ") + raw.str.slice(0, 60))
        .when(pl.col("published_at") < start)
        .then(pl.lit(f"publication date before {min_date.isoformat()}: ") + raw.str.slice(0, 60))
        .when(pl.col("published_at") >= end)
        .then(pl.lit(f"publication date after the run date {run_date.isoformat()}: ")
              + raw.str.slice(0, 60))
    )
    if on_missing_date == "run_date":
        reason = pl.when(missing).then(pl.lit(None, pl.String)).otherwise(reason)
    df = df.with_columns(_reason=reason)
    bad = df.filter(pl.col("_reason").is_not_null()).select(
        "source", "location", pl.col("_reason").alias("reason")
    )
    kept = df.filter(pl.col("_reason").is_null()).with_columns(
        date_imputed=pl.col("published_at").is_null(),
        published_at=pl.col("published_at").fill_null(
            pl.lit(datetime.combine(run_date, time(), tzinfo=UTC)).cast(UTC_DATETIME)
        ),
    )
    return kept.drop("_reason", raw_column), bad
