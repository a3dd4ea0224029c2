"""One HTML article page -> at most one PARSED row (pure: no IO).

Main text by trafilatura (comments excluded); title and date from the page metadata.
Text comes out as plain text, so scripts, iframes and ``on*`` handlers never reach it.
"""

from __future__ import annotations

import re
from typing import Literal

import polars as pl
import trafilatura

from analytics.contracts import schema
from analytics.sources.parse.feeds import parse_date
from analytics.sources.parse.html_text import has_markup, html_to_text, normalise_space
from analytics.sources.parse.parse_result import (
    MAX_TEXT_CHARS,
    ParseResult,
    decoding,
    open_document,
    rejected,
    text_too_long,
)

MAX_PAGE_BYTES = 20 * 2**20
MIN_TEXT_CHARS = 100  # less is navigation or a teaser, not an article body
Favor = Literal["precision", "balanced", "recall"]

_HTML_LANG = re.compile(r"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3})\b""", re.I)
# Dates with their time when the page has one; a date alone becomes midnight UTC.
_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


PageResult = ParseResult  # the name callers know


def _plain(text: str | None) -> str:
    """trafilatura's text, with any tag that survived as literal text removed."""
    text = normalise_space(text or "")
    return html_to_text(text) if has_markup(text) else text


def extract_page(
    html: bytes,
    *,
    source: str,
    location: str,
    url: str | None = None,
    favor: Favor = "precision",
    max_bytes: int = MAX_PAGE_BYTES,
    min_text_chars: int = MIN_TEXT_CHARS,
    max_text_chars: int = MAX_TEXT_CHARS,
) -> PageResult:
    """Main text, title, date (UTC) and language of an article page as a PARSED row.

    ``guid`` is null; ``url`` is the given URL (else the page's canonical URL). Pages too
    large, empty, without main text (``min_text_chars``) or with more than
    ``max_text_chars`` of title and text are quarantined (status "rejected").
    """
    decoded = open_document(html, source=source, location=location, max_bytes=max_bytes,
                            what="page")
    if isinstance(decoded, ParseResult):
        return decoded
    extra = decoding(decoded)
    try:
        doc = trafilatura.bare_extraction(
            decoded.text,
            url=url,
            favor_precision=favor == "precision",
            favor_recall=favor == "recall",
            include_comments=False,
            include_tables=True,
            with_metadata=True,
            date_extraction_params=_DATE_PARAMS,
        )
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        return rejected(source, location, f"extraction failed: {type(exc).__name__}: {exc}",
                         **extra)
    assert not isinstance(doc, dict)  # as_dict is off: a Document, or None without main text
    text = _plain(doc.text if doc is not None else None)
    if doc is None or len(text) < min_text_chars:
        reason = f"no extractable main text ({len(text)} characters < {min_text_chars})"
        return rejected(source, location, reason, **extra)
    title = _plain(doc.title) or None
    if too_long := text_too_long(title, text, max_text_chars):
        return rejected(source, location, too_long, **extra)

    lang = _HTML_LANG.search(decoded.text[:20_000])
    row = {
        "source": source,
        "location": location,
        "url": url or doc.url,
        "guid": None,
        "title": title,
        "published_at": parse_date(doc.date) if doc.date else None,
        "text": text,
        "language": lang.group(1).lower() if lang else None,
    }
    message = (
        f"{decoded.replacements} undecodable bytes replaced by U+FFFD"
        if decoded.replacements
        else ""
    )
    return PageResult(
        articles=pl.DataFrame([row], schema=schema.PARSED),
        quarantine=schema.empty("quarantine"),
        status="degraded" if message else "ok",
        message=message,
        **extra,
    )
