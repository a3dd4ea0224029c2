"""How the per-shard outputs of the per-article stages combine.

A shard is a store partition (a month of articles, as ``ArticleStore`` writes them);
topic mentions and claims are per-article, so tagging each shard and combining the
results gives the same rows, in the same order, as tagging all articles at once
(``analytics.store.derived`` keeps them per partition).
"""

from __future__ import annotations

import polars as pl

from analytics.contracts import schema


def combine_mentions(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The ``topic_mentions`` of the shards as one table, ordered as ``tag_topics`` orders."""
    frames = [p for p in parts if not p.is_empty()]
    if not frames:
        return schema.empty("topic_mentions")
    return schema.conform(pl.concat(frames).sort("article_id", "topic_id"), "topic_mentions")


def combine_claims(parts: list[pl.DataFrame], articles: pl.DataFrame) -> pl.DataFrame:
    """The ``claims`` of the shards as one table, in the order of ``articles`` (as
    ``extract_claims`` of all articles has them)."""
    frames = [p for p in parts if not p.is_empty()]
    if not frames:
        return schema.empty("claims")
    order = articles.select("article_id").with_row_index("_pos")
    return (pl.concat(frames).with_row_index("_row").join(order, on="article_id", how="left")
            .sort("_pos", "_row").drop("_pos", "_row"))
