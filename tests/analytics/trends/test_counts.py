from datetime import UTC, date, datetime

import polars as pl

from analytics.contracts import schema
from analytics.trends.counts import all_trends, topic_trends


def _articles():
    return pl.DataFrame({
        "article_id": ["a", "b", "c", "d"],
        "published_at": [datetime(2025, 6, d, 12, tzinfo=UTC) for d in (2, 3, 17, 17)],
        "duplicate_of": [None, None, None, "c"],
    })


def _mentions():
    return pl.DataFrame({"article_id": ["a", "c", "d"], "topic_id": ["x", "x", "x"],
                         "mentions": [2, 1, 5]}, schema_overrides={"mentions": pl.UInt32})


def test_weekly_zero_filled_with_share():
    t = topic_trends(_articles(), _mentions(), ["x", "y"], period="week")
    assert t.schema == pl.Schema(schema.TOPIC_TRENDS)
    assert t["period_start"].unique().sort().to_list() == [date(2025, 6, 2), date(2025, 6, 9),
                                                            date(2025, 6, 16)]
    x = t.filter(pl.col("topic_id") == "x")
    assert x["articles"].to_list() == [1, 0, 1]  # the duplicate d does not count
    assert x["mentions"].to_list() == [2, 0, 1]
    assert x["share"].to_list() == [0.5, 0.0, 1.0]
    assert t.filter(pl.col("topic_id") == "y")["articles"].to_list() == [0, 0, 0]


def test_all_periods_and_empty():
    t = all_trends(_articles(), _mentions(), ["x"])
    assert set(t["period"]) == {"day", "week", "month"}
    assert t.filter(pl.col("period") == "day").height == 16
    empty = topic_trends(_articles().head(0), _mentions().head(0), ["x"])
    assert empty.is_empty() and empty.schema == pl.Schema(schema.TOPIC_TRENDS)
