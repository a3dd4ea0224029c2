"""What a markup parser (feed, page) returns for one input document."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.contracts import schema
from analytics.sources.parse.text_decode import Decoded, decode_bytes, sniff_declared


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


def open_document(data: bytes, *, source: str, location: str, max_bytes: int,
                  what: str) -> tuple[ParseResult | None, Decoded | None]:
    """Size and emptiness checks, then decoding, shared by the feed and page parsers:
    ``(rejection, None)`` for a document that yields nothing, else ``(None, decoded)``."""
    if len(data) > max_bytes:
        reason = f"{what} too large: {len(data)} bytes > {max_bytes}"
        return rejected(source, location, reason), None
    if not data.strip():
        return rejected(source, location, f"empty {'document' if what == 'feed' else what}"), None
    return None, decode_bytes(data, declared=sniff_declared(data))
