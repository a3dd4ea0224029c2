"""What a markup parser (feed, page) returns for one input document."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics import schema


@dataclass(frozen=True)
class ParseResult:
    """``articles`` (schema.PARSED), ``quarantine`` (schema.QUARANTINE), ``status``
    ("ok" / "degraded" / "rejected"), ``message`` (why not ok) and decoding details."""

    articles: pl.DataFrame
    quarantine: pl.DataFrame
    status: str
    message: str = ""
    encoding: str | None = None
    replacements: int = 0


def rejected(source: str, location: str, reason: str, **extra) -> ParseResult:
    """A document that yields nothing: one quarantine row says why."""
    quarantine = pl.DataFrame(
        {"source": [source], "location": [location], "reason": [reason]},
        schema=schema.QUARANTINE,
    )
    return ParseResult(schema.empty("parsed"), quarantine, "rejected", reason, **extra)
