"""What a markup parser (feed, page) returns for one input document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics.contracts import schema
from analytics.sources.parse.text_decode import Decoded, decode_bytes, sniff_declared

# Characters of title and text one article may have: a news article runs to tens of
# thousands; more is a dump or an attack, quarantined rather than stored and analysed.
MAX_TEXT_CHARS = 1_000_000


def text_too_long(title: str | None, text: str | None, cap: int) -> str | None:
    """Why an article's title and text together are over ``cap`` characters, else None."""
    return chars_too_long(len(title or "") + len(text or ""), cap)


def chars_too_long(size: int, cap: int) -> str | None:
    """``text_too_long`` from the characters counted (a table counts them in polars)."""
    return f"text too long: {size} characters > cap {cap}" if size > cap else None


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
                  what: str) -> ParseResult | Decoded:
    """Size and emptiness checks, then decoding, shared by the feed and page parsers: a
    rejection (``ParseResult``) for a document that yields nothing, else the decoded text."""
    if len(data) > max_bytes:
        return rejected(source, location, f"{what} too large: {len(data)} bytes > {max_bytes}")
    if not data.strip():
        return rejected(source, location, f"empty {'document' if what == 'feed' else what}")
    return decode_bytes(data, declared=sniff_declared(data))


def decoding(decoded: Decoded) -> dict[str, Any]:
    """The ``ParseResult`` fields that say how the document was decoded."""
    return {"encoding": decoded.encoding, "replacements": decoded.replacements}
