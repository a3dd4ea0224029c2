"""What one run did, in numbers: shared by the flow, the report and the Prefect artifacts.

``run_summary`` builds it from what the stages returned; layer 0, so what it needs of the
ingest result is a ``Protocol`` (``analytics.ingest.pipeline.IngestResult`` has it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import polars as pl


@dataclass(frozen=True)
class SourceOutcome:
    source: str
    kind: str
    status: str  # "ok", "degraded" (some rows quarantined or salvaged) or "failed"
    rows_read: int = 0
    message: str = ""


@dataclass(frozen=True)
class RunSummary:
    run_date: date
    corpus: str  # human name of the inputs, e.g. the sources file or folder
    parameters: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0  # input rows seen this run
    new_articles: int = 0  # rows stored for the first time this run
    stored_articles: int = 0  # articles in the store after the run (all of them)
    duplicates: int = 0  # exact duplicates of a stored or earlier row: not stored again
    near_duplicates: int = 0  # stored, marked duplicate_of, counted once in topic counts
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    sources: tuple[SourceOutcome, ...] = ()
    date_min: date | None = None
    date_max: date | None = None
    topics_found: int = 0  # topics with at least one mention
    theme_status: str = ""  # empty, or why themes were not computed

    def headline(self) -> str:
        return (
            f"read {self.rows_read}, new {self.new_articles}, stored {self.stored_articles}, "
            f"duplicates {self.duplicates} (+{self.near_duplicates} near), "
            f"quarantined {self.quarantined}, "
            f"topics found {self.topics_found}"
        )


class IngestCounts(Protocol):
    """The counts of one ingestion that a run summary reports."""

    @property
    def rows_read(self) -> int: ...
    @property
    def new(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def near_duplicates(self) -> int: ...
    @property
    def quarantined(self) -> int: ...
    @property
    def sources(self) -> tuple[SourceOutcome, ...]: ...
    def reasons(self) -> dict[str, int]: ...


def run_summary(
    run_date: date, corpus: str, parameters: Mapping[str, str], ingested: IngestCounts,
    articles: pl.DataFrame, mentions: pl.DataFrame, theme_status: str = "",
) -> RunSummary:
    """What the run of ``run_date`` did: ``ingested``'s counts, the store's ``articles``
    after it (their count and publication dates), the topics with a mention in
    ``mentions`` and why themes are missing (``theme_status``, empty when they are not)."""
    dates = articles["published_at"]
    return RunSummary(
        run_date=run_date, corpus=corpus, parameters=dict(parameters),
        rows_read=ingested.rows_read, new_articles=ingested.new,
        stored_articles=articles.height, duplicates=ingested.duplicates,
        near_duplicates=ingested.near_duplicates,
        quarantined=ingested.quarantined, quarantine_reasons=ingested.reasons(),
        sources=ingested.sources,
        date_min=dates.min().date() if articles.height else None,  # type: ignore[union-attr]
        date_max=dates.max().date() if articles.height else None,  # type: ignore[union-attr]
        topics_found=mentions["topic_id"].n_unique(), theme_status=theme_status,
    )
