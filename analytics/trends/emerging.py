"""Emerging topics, topic co-occurrence and per-source shares.

Emerging: for each topic, the share of articles in the latest period is compared with
the same topic's shares over the ``window`` periods before it (its own baseline):

    z = (share_latest - mean(baseline)) / max(std(baseline), sampling_std)
    sampling_std = sqrt(p * (1 - p) / n),  p = max(mean(baseline), 1 / n)

where n is the number of articles in the latest period. A topic is flagged when
``z >= z_threshold`` and it has at least ``min_articles`` articles in the latest
period. The sampling floor is the binomial noise of a share measured on n articles: it
keeps a rare topic that was flat at zero from scoring an infinite z on its first
article, without hiding a real jump of a rare topic in a large stream. Shares (not
counts) keep a source's volume growth from looking like topic growth.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.contracts import schema
from analytics.trends.counts import period_start


@dataclass(frozen=True)
class EmergingConfig:
    period: str = "week"
    window: int = 8  # baseline periods before the latest one
    z_threshold: float = 3.0
    min_articles: int = 3




def emerging_topics(
    trends: pl.DataFrame, config: EmergingConfig = EmergingConfig()
) -> pl.DataFrame:
    """One row per topic for the latest ``config.period``: share, baseline, z, flag.

    Needs ``topic_trends`` rows (``period_start, period, topic_id, articles, share``).
    Sorted by z, highest first. Fewer than two periods of history: no rows.
    """
    t = trends.filter(pl.col("period") == config.period)
    periods = t["period_start"].unique().sort()
    if len(periods) < 2:
        return pl.DataFrame(schema=schema.EMERGING_TOPICS)
    latest = periods[-1]
    base_periods = periods[:-1].tail(config.window)
    base = (
        t.filter(pl.col("period_start").is_in(base_periods.implode()))
        .group_by("topic_id")
        .agg(baseline_share=pl.col("share").mean(), _std=pl.col("share").std(ddof=0))
    )
    now = t.filter(pl.col("period_start") == latest).select(
        "topic_id", "period_start", "articles", "share",
        _n=pl.when(pl.col("share") > 0).then(pl.col("articles") / pl.col("share")).max(),
    )
    n = pl.col("_n").fill_null(1.0)
    p = pl.max_horizontal(pl.col("baseline_share").fill_null(0.0), 1.0 / n)
    sampling_std = (p * (1 - p) / n).sqrt()
    out = now.join(base, on="topic_id", how="left").with_columns(
        z=(pl.col("share") - pl.col("baseline_share").fill_null(0.0))
        / pl.max_horizontal(pl.col("_std").fill_null(0.0), sampling_std)
    ).with_columns(
        emerging=(pl.col("z") >= config.z_threshold)
        & (pl.col("articles") >= config.min_articles)
    )
    return out.select(list(schema.EMERGING_TOPICS)).cast(pl.Schema(schema.EMERGING_TOPICS)).sort(
        "z", "topic_id", descending=[True, False]
    )




def cooccurrence(mentions: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """Pairs of topics found in the same canonical article (``topic_a < topic_b``).

    ``articles``: articles with both; ``jaccard``: both / either; ``lift``: how much more
    often they meet than if independent (1 = as often as chance).
    """
    canon = articles.filter(pl.col("duplicate_of").is_null()).select("article_id")
    m = mentions.join(canon, on="article_id", how="inner").select("article_id", "topic_id")
    total = canon.height
    if m.is_empty():
        return pl.DataFrame(schema=schema.COOCCURRENCE)
    per_topic = m.group_by("topic_id").agg(n=pl.len())
    pairs = (
        m.join(m, on="article_id", suffix="_b")
        .filter(pl.col("topic_id") < pl.col("topic_id_b"))
        .group_by(topic_a="topic_id", topic_b="topic_id_b")
        .agg(articles=pl.len())
        .join(per_topic.rename({"topic_id": "topic_a", "n": "n_a"}), on="topic_a")
        .join(per_topic.rename({"topic_id": "topic_b", "n": "n_b"}), on="topic_b")
        .with_columns(
            jaccard=pl.col("articles") / (pl.col("n_a") + pl.col("n_b") - pl.col("articles")),
            lift=pl.col("articles") * total / (pl.col("n_a") * pl.col("n_b")),
        )
    )
    return pairs.select(list(schema.COOCCURRENCE)).cast(pl.Schema(schema.COOCCURRENCE)).sort(
        "articles", "topic_a", "topic_b", descending=[True, False, False]
    )




def source_shares(articles: pl.DataFrame, mentions: pl.DataFrame, *,
                  period: str = "month") -> pl.DataFrame:
    """Topic share within each source and period: a growing outlet does not look like a
    growing topic. Needs ``articles.source``; canonical articles only; no zero rows."""
    canon = articles.filter(pl.col("duplicate_of").is_null()).select(
        "article_id", "source", period_start=period_start(pl.col("published_at"), period)
    )
    totals = canon.group_by("period_start", "source").agg(source_articles=pl.len())
    counts = (
        mentions.join(canon, on="article_id", how="inner")
        .group_by("period_start", "source", "topic_id")
        .agg(articles=pl.len())
    )
    out = counts.join(totals, on=["period_start", "source"]).with_columns(
        share=pl.col("articles") / pl.col("source_articles")
    )
    return out.select(list(schema.SOURCE_SHARES)).cast(pl.Schema(schema.SOURCE_SHARES)).sort(
        "period_start", "source", "topic_id"
    )
