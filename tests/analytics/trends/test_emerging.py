from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from analytics.trends.emerging import EmergingConfig, cooccurrence, emerging_topics, source_shares


def _trends(shares_x, shares_y, articles_last=5):
    start = date(2025, 1, 6)
    rows = []
    for k, (sx, sy) in enumerate(zip(shares_x, shares_y, strict=True)):
        last = k == len(shares_x) - 1
        rows += [(start + timedelta(weeks=k), "week", "x", articles_last if last else 1, 1, sx),
                 (start + timedelta(weeks=k), "week", "y", 1, 1, sy)]
    return pl.DataFrame(rows, schema=["period_start", "period", "topic_id", "articles",
                                      "mentions", "share"], orient="row")


def test_spike_against_own_baseline_is_flagged():
    t = _trends([0.02, 0.03, 0.02, 0.03, 0.02, 0.30], [0.20, 0.25, 0.22, 0.18, 0.21, 0.24])
    out = emerging_topics(t, EmergingConfig(window=4))
    assert out["topic_id"].to_list() == ["x", "y"]
    x = out.row(0, named=True)
    assert x["emerging"] and x["z"] > 3 and x["period_start"] == date(2025, 2, 10)
    assert not out.row(1, named=True)["emerging"]


def test_min_articles_and_flat_zero_baseline():
    # the week's size n comes from the topic rows (y: 1 article at share 0.1 -> 10); x's
    # baseline was flat at zero, so the floor is the sampling noise sqrt(p(1-p)/n), p = 1/n
    t = _trends([0, 0, 0, 0.5], [0.1, 0.1, 0.1, 0.1], articles_last=2)
    out = emerging_topics(t, EmergingConfig(min_articles=3))
    z = out.filter(pl.col("topic_id") == "x")["z"][0]
    assert z == pytest.approx(0.5 / (0.1 * 0.9 / 10) ** 0.5)
    assert not out["emerging"].any()  # only 2 articles


def test_too_little_history():
    assert emerging_topics(_trends([0.1], [0.2])).is_empty()


def _articles():
    return pl.DataFrame({
        "article_id": ["a", "b", "c", "d"], "source": ["s1", "s1", "s2", "s2"],
        "published_at": [datetime(2025, 6, 2, tzinfo=UTC)] * 4,
        "duplicate_of": [None, None, None, "c"],
    })


def _mentions():
    return pl.DataFrame({"article_id": ["a", "a", "b", "c", "c", "d", "d"],
                         "topic_id": ["x", "y", "x", "x", "y", "x", "y"]})


def test_cooccurrence_counts_canonical_articles():
    co = cooccurrence(_mentions(), _articles())
    assert co.rows() == [("x", "y", 2, 2 / 3, 2 * 3 / (3 * 2))]


def test_source_shares():
    s = source_shares(_articles(), _mentions())
    got = {(r["source"], r["topic_id"]): r["share"] for r in s.iter_rows(named=True)}
    assert got == {("s1", "x"): 1.0, ("s1", "y"): 0.5, ("s2", "x"): 1.0, ("s2", "y"): 1.0}
