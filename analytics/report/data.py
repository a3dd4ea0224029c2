"""What one report shows: the frames, labels, run summary and topic colours, in one object."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TypeVar

import polars as pl

from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary
from analytics.report import charts

T = TypeVar("T")


def _empty(name: str):
    return field(default_factory=lambda: schema.empty(name))


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows; frames follow analytics.contracts.schema."""

    articles: pl.DataFrame
    topic_mentions: pl.DataFrame
    claims: pl.DataFrame
    topic_trends: pl.DataFrame
    themes: pl.DataFrame
    article_themes: pl.DataFrame
    quarantine: pl.DataFrame
    topic_labels: Mapping[str, str]
    summary: RunSummary
    theme_status: str = ""
    colors: Mapping[str, charts.Color] = field(default_factory=dict)
    emerging_topics: pl.DataFrame = _empty("emerging_topics")
    cooccurrence: pl.DataFrame = _empty("cooccurrence")
    source_shares: pl.DataFrame = _empty("source_shares")
    bursts: pl.DataFrame = _empty("bursts")
    burst_stories: pl.DataFrame = _empty("burst_stories")
    theme_terms: pl.DataFrame = _empty("theme_terms")
    theme_coords: pl.DataFrame = _empty("theme_coords")
    theme_trends: pl.DataFrame = _empty("theme_trends")

    # Cached: the report asks for these many times, and over a million articles each
    # computation costs a second.
    @cached_property
    def canonical(self) -> pl.DataFrame:
        """Articles that are not near duplicates of another (``duplicate_of`` null)."""
        return self.articles.filter(pl.col("duplicate_of").is_null())

    @cached_property
    def canonical_mentions(self) -> pl.DataFrame:
        """Topic mentions of canonical articles: a re-posted story counts once."""
        return self.topic_mentions.join(self.canonical.select("article_id"), on="article_id",
                                        how="semi")

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per report: for results of other modules (the topic table)
        that several sections show."""
        memo = self.__dict__.setdefault("_cache", {})  # frozen: kept as cached_property does
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    @cached_property
    def articles_total(self) -> int | None:
        return self.canonical.get_column("article_id").n_unique() or None

    def date_range(self) -> tuple[date | None, date | None]:
        if self.summary.date_min is not None or self.summary.date_max is not None:
            return self.summary.date_min, self.summary.date_max
        published = self.articles.get_column("published_at").drop_nulls()
        if published.len() == 0:
            return None, None
        return published.min().date(), published.max().date()  # type: ignore[union-attr]
