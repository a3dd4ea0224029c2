"""What reading one source gives: its parsed rows, its quarantined rows and its status.

Every reader (``analytics.sources.registry``) returns a ``SourceBatch``; nothing read is
dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analytics.contracts import schema
from analytics.contracts.sources_config import Source, SourceKind


@dataclass(frozen=True)
class SourceBatch:
    source: str
    kind: SourceKind
    parsed: pl.DataFrame  # PARSED columns + date_raw (String)
    quarantine: pl.DataFrame  # QUARANTINE columns
    rows_read: int
    status: str = "ok"  # ok | degraded | failed
    message: str = ""
    http_validators: dict = field(default_factory=dict)  # url -> (etag, last_modified)
    transient: bool = False  # failed only on faults worth retrying later (timeouts, 5xx)
    # Set by ingest.prepare_batch: the rows as ARTICLES, duplicates within the source
    # kept without text (their keys still count); ``parsed`` is then emptied, and
    # ``rows_parsed`` keeps how many rows it held.
    articles: pl.DataFrame | None = None
    rows_parsed: int = 0


PARSED_RAW = {**schema.PARSED, "date_raw": pl.String}


def quarantine_frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema.QUARANTINE, orient="row")


def failed_batch(source: Source, message: str, location: str) -> SourceBatch:
    """A source that could not be read at all: one quarantine row says why."""
    return SourceBatch(
        source.id, source.kind, pl.DataFrame(schema=PARSED_RAW),
        quarantine_frame([(source.id, location, message)]), rows_read=0, status="failed",
        message=f"{location}: {message}",
    )
