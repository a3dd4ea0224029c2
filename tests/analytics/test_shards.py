"""Tagging and claims shard by shard (store months) combine to the whole-corpus result."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from polars.testing import assert_frame_equal

from analytics.claims import extract_claims
from analytics.shards import combine_claims, combine_mentions, month_shards
from analytics.tagging import tag_topics
from analytics.taxonomy import load_taxonomy

TEXTS = [
    "Air defence shot down drones. Allies agreed to spend 3.5% of GDP on defence by 2030.",
    "Peace talks ended. Nuclear deterrence was discussed.",
    "Nothing of note happened today.",
    "Germany will spend 2% of GDP on defence. Patriot batteries arrived.",
]


def test_month_shards_combine_to_whole():
    tax = load_taxonomy("seeds/taxonomy.toml")
    articles = pl.DataFrame({
        "article_id": ["d", "b", "a", "c"],
        "published_at": [datetime(2025, 4, 2), datetime(2025, 5, 1), datetime(2025, 5, 3),
                         datetime(2025, 6, 9)],
        "title": ["", "", "", ""],
        "text": TEXTS,
    })
    shards = month_shards(articles)
    assert list(shards) == ["2025-04", "2025-05", "2025-06"]
    mentions = combine_mentions([tag_topics(s, tax) for s in shards.values()])
    claims = combine_claims([extract_claims(s) for s in shards.values()], articles)
    assert_frame_equal(mentions, tag_topics(articles, tax))
    assert_frame_equal(claims, extract_claims(articles))
    assert claims.height >= 2
    assert month_shards(articles.clear()) == {}
