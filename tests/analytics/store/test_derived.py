"""Topic mentions and claims kept per store partition: equal to tagging the whole store,
recomputed exactly for the partitions (or tagger) that changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from analytics.contracts import schema
from analytics.contracts.taxonomy import load_taxonomy
from analytics.ingest.normalize import to_articles
from analytics.store.articles import ArticleStore
from analytics.store.derived import DerivedStore, fingerprint
from analytics.topics.claims import extract_claims
from analytics.topics.tagging import tag_topics

TEXTS = [
    "Air defence shot down drones. Allies agreed to spend 3.5% of GDP on defence by 2030.",
    "Peace talks ended. Nuclear deterrence was discussed.",
    "Nothing of note happened today.",
    "Germany will spend 2% of GDP on defence. Patriot batteries arrived.",
    "Sanctions on oil exports were widened; drones hit a depot.",
]
DAYS = [datetime(2025, 4, 2, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC),
        datetime(2025, 5, 3, tzinfo=UTC), datetime(2025, 6, 9, tzinfo=UTC),
        datetime(2025, 6, 10, tzinfo=UTC)]


def _articles(texts, days, prefix="a"):
    parsed = pl.DataFrame(
        {"source": "s", "location": [f"{prefix}:{i}" for i in range(len(texts))], "url": None,
         "guid": None, "title": "", "published_at": days, "text": texts, "language": "en",
         "metadata": None},
        schema=schema.PARSED)
    return to_articles(parsed, run_date=date(2025, 7, 1))


def _expected(store):
    tax = load_taxonomy("seeds/taxonomy.toml")
    articles = store.read()
    return articles, tag_topics(articles, tax), extract_claims(articles)


def _tagged_store(tmp_path):
    """A store of TEXTS with every month's results written."""
    store = ArticleStore(tmp_path)
    store.add(_articles(TEXTS, DAYS))
    derived = DerivedStore(store, load_taxonomy("seeds/taxonomy.toml"))
    for month in derived.stale_months():
        derived.update_month(month)
    return store, derived


def test_partitions_combine_to_tagging_the_whole_store(tmp_path):
    store = ArticleStore(tmp_path)
    store.add(_articles(TEXTS, DAYS))
    derived = DerivedStore(store, load_taxonomy("seeds/taxonomy.toml"))
    assert derived.stale_months() == ["2025-04", "2025-05", "2025-06"]
    for month in derived.stale_months():
        derived.update_month(month)
    assert derived.stale_months() == []
    articles, mentions, claims = _expected(store)
    got_mentions, got_claims = derived.read(articles)
    assert_frame_equal(got_mentions, mentions)
    assert_frame_equal(got_claims, claims)
    assert claims.height >= 2 and mentions["topic_id"].n_unique() >= 5


def test_only_changed_partitions_are_stale(any_store):
    """Anywhere the store lives (folder: size and mtime; object store: size and ETag)."""
    store, derived = _tagged_store(any_store)
    store.add(_articles(TEXTS, DAYS))  # nothing new: no partition rewritten
    assert derived.stale_months() == []
    store.add(_articles(["Long-range strike on a logistics hub."],
                        [datetime(2025, 5, 20, tzinfo=UTC)], prefix="b"))
    assert derived.stale_months() == ["2025-05"]
    derived.update_month("2025-05")
    articles, mentions, claims = _expected(store)
    got_mentions, got_claims = derived.read(articles)
    assert_frame_equal(got_mentions, mentions)
    assert_frame_equal(got_claims, claims)
    assert "long_range_strike" in got_mentions["topic_id"].to_list()
    derived.storage.remove(derived.root / "month=2025-04" / "partition.json")  # half-written
    assert derived.stale_months() == ["2025-04"]


def test_lost_or_broken_results_are_recomputed(tmp_path):
    _, derived = _tagged_store(tmp_path)
    (derived.root / "month=2025-04" / "topic_mentions.parquet").unlink()
    (derived.root / "month=2025-06" / "partition.json").write_text("{not json")
    assert derived.stale_months() == ["2025-04", "2025-06"]


def test_another_taxonomy_never_reuses_results(tmp_path):
    store, derived = _tagged_store(tmp_path)
    tax = derived.taxonomy
    drones = tax.topic("drones")
    edited = replace(tax, topics=tuple(
        replace(t, exclude=(*t.exclude, "drones hit")) if t is drones else t
        for t in tax.topics))
    assert fingerprint(edited) != fingerprint(tax)
    other = DerivedStore(store, edited)
    assert other.stale_months() == ["2025-04", "2025-05", "2025-06"]
    for month in other.stale_months():
        other.update_month(month)
    articles = store.read()
    mentions, _ = other.read(articles)
    assert_frame_equal(mentions, tag_topics(articles, edited))
    old, _ = derived.read(articles)
    assert old.filter(pl.col("topic_id") == "drones").height == \
        mentions.filter(pl.col("topic_id") == "drones").height + 1
