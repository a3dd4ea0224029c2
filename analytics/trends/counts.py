"""Topic counts over time: articles and mentions per topic per period, zero-filled.

Only canonical articles count (``duplicate_of`` is null), so a story syndicated ten
times counts once. ``share`` is the topic's articles over all articles of the period.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.contracts import schema

PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}


def period_start(expr: pl.Expr, period: str) -> pl.Expr:
    """Expression: the first day of the ``period`` (day, ISO week from Monday, month)."""
    return expr.dt.date().dt.truncate(PERIODS[period])


def topic_trends(
    articles: pl.DataFrame,
    mentions: pl.DataFrame,
    topic_ids: list[str],
    *,
    period: str = "week",
) -> pl.DataFrame:
    """``topic_trends`` for one period kind.

    Needs ``articles.article_id, published_at, duplicate_of`` and
    ``mentions.article_id, topic_id, mentions``. Every topic gets a row for every period
    between the first and the last article, with zeros where nothing was said.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    canon = articles.filter(pl.col("duplicate_of").is_null()).select(
        "article_id", period_start=period_start(pl.col("published_at"), period)
    )
    if canon.is_empty() or not topic_ids:
        return schema.empty("topic_trends")
    totals = canon.group_by("period_start").agg(total=pl.len())
    first, last = canon["period_start"].min(), canon["period_start"].max()
    assert isinstance(first, date) and isinstance(last, date)  # canon is not empty
    grid = pl.DataFrame(
        {"period_start": pl.date_range(first, last, PERIODS[period], eager=True)}
    ).join(pl.DataFrame({"topic_id": topic_ids}), how="cross")
    counts = (
        mentions.join(canon, on="article_id", how="inner")
        .group_by("period_start", "topic_id")
        .agg(articles=pl.len(), mentions=pl.col("mentions").sum())
    )
    out = (
        grid.join(counts, on=["period_start", "topic_id"], how="left")
        .join(totals, on="period_start", how="left")
        .with_columns(
            pl.col("articles", "mentions").fill_null(0),
            period=pl.lit(period),
        )
        .with_columns(
            share=pl.when(pl.col("total") > 0)
            .then(pl.col("articles") / pl.col("total"))
            .otherwise(0.0)
        )
    )
    order = {t: i for i, t in enumerate(topic_ids)}
    out = out.with_columns(_o=pl.col("topic_id").replace_strict(order, return_dtype=pl.Int64))
    return schema.conform(out.sort("period_start", "_o"), "topic_trends")


def all_trends(
    articles: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str]
) -> pl.DataFrame:
    """``topic_trends`` for day, week and month, stacked."""
    return pl.concat(
        [topic_trends(articles, mentions, topic_ids, period=p) for p in PERIODS]
    )
