"""Emerging topics and co-occurrence on the RSS corpus (figures for the notes).

    .venv/bin/python -m bench.trends_rss

Reads the corpus in place (no store), tags it with the default taxonomy and prints the
emerging-topic table for the last full week, and the strongest topic co-occurrences.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl

from analytics.contracts.sources_config import load_sources
from analytics.contracts.taxonomy import load_taxonomy
from analytics.ingest.normalize import split_exact_duplicates
from analytics.ingest.pipeline import prepare
from analytics.sources.registry import read_source
from analytics.topics.tagging import tag_topics
from analytics.trends.counts import all_trends
from analytics.trends.emerging import EmergingConfig, cooccurrence, emerging_topics, source_shares

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    cfg = load_sources(REPO / "seeds" / "sources" / "rss-world-news.toml")
    if not cfg.sources[0].path.exists():
        print(f"skipped: {cfg.sources[0].path} is absent", file=sys.stderr)
        return 2
    tax = load_taxonomy(REPO / "seeds" / "taxonomy.toml")
    batch = read_source(cfg.sources[0], cfg.settings)
    articles, _ = prepare([batch.parsed], run_date=date(2023, 12, 31), settings=cfg.settings)
    articles, _ = split_exact_duplicates(articles)
    mentions = tag_topics(articles, tax)
    trends = all_trends(articles, mentions, tax.ids)
    pl.Config.set_tbl_rows(20)
    pl.Config.set_tbl_width_chars(140)
    for week_end in (date(2022, 2, 27), date(2022, 10, 16), date(2023, 10, 15), date(2023, 12, 31)):
        t = trends.filter(pl.col("period_start") < week_end)
        out = emerging_topics(t, EmergingConfig(period="week", window=8, z_threshold=3.0))
        print(f"\nemerging topics, week starting {out['period_start'][0]} "
              f"(z >= 3 against the 8 weeks before; >= 3 articles):")
        print(out.head(6).with_columns(pl.col("share", "baseline_share", "z").round(3)))
    print("\nstrongest co-occurrences (canonical articles):")
    top = cooccurrence(mentions, articles).head(12)
    print(top.with_columns(pl.col("jaccard", "lift").round(3)))
    shares = source_shares(articles, mentions, period="month").filter(
        pl.col("topic_id") == "ukraine_military_aid")
    print("\nukraine_military_aid share by outlet, 2022-03 and 2023-03:")
    print(shares.filter(pl.col("period_start").is_in([date(2022, 3, 1), date(2023, 3, 1)]))
          .sort("period_start", "share", descending=[False, True])
          .with_columns(pl.col("share").round(3)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
