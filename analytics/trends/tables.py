"""Every trend table of a run from its articles and topic mentions, in one call."""

from __future__ import annotations

import polars as pl

from analytics.trends.burst_stories import burst_stories
from analytics.trends.bursts import BurstConfig, topic_bursts
from analytics.trends.counts import all_trends
from analytics.trends.emerging import EmergingConfig, cooccurrence, emerging_topics, source_shares

TREND_TABLES = ("topic_trends", "emerging_topics", "cooccurrence", "source_shares", "bursts",
                "burst_stories")


def trend_tables(
    articles: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str],
    emerging: EmergingConfig | None = None,
) -> dict[str, pl.DataFrame]:
    """The report's trend tables, by name (``TREND_TABLES``): ``topic_trends`` (day, week
    and month), ``emerging_topics`` (``emerging``, default ``EmergingConfig()``),
    ``cooccurrence``, ``source_shares``, ``bursts`` (daily, ``BurstConfig()``) and
    ``burst_stories`` (what drove the latest bursts)."""
    trends = all_trends(articles, mentions, topic_ids)
    bursts = topic_bursts(articles, mentions, topic_ids, BurstConfig())
    return {
        "topic_trends": trends,
        "emerging_topics": emerging_topics(trends, emerging or EmergingConfig()),
        "cooccurrence": cooccurrence(mentions, articles),
        "source_shares": source_shares(articles, mentions),
        "bursts": bursts,
        "burst_stories": burst_stories(bursts, articles, mentions),
    }
