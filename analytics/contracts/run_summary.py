"""What one run did, in numbers: shared by the flow, the report and the Prefect artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
