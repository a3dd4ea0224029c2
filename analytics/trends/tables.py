"""Every trend table of a run from its articles and topic mentions, in one call."""

from __future__ import annotations

import polars as pl

from analytics.trends.counts import all_trends
from analytics.trends.emerging import EmergingConfig, cooccurrence, emerging_topics, source_shares

TREND_TABLES = ("topic_trends", "emerging_topics", "cooccurrence", "source_shares")


def trend_tables(
    articles: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str],
    emerging: EmergingConfig | None = None,
) -> dict[str, pl.DataFrame]:
    """The report's trend tables, by name (``TREND_TABLES``): ``topic_trends`` (day, week
    and month), ``emerging_topics`` (``emerging``, default ``EmergingConfig()``),
    ``cooccurrence`` and ``source_shares``."""
    trends = all_trends(articles, mentions, topic_ids)
    return {
        "topic_trends": trends,
        "emerging_topics": emerging_topics(trends, emerging or EmergingConfig()),
        "cooccurrence": cooccurrence(mentions, articles),
        "source_shares": source_shares(articles, mentions),
    }
