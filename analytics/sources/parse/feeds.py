"""RSS 0.9x/1.0/2.0 and Atom bytes -> PARSED rows, one per entry (pure: no IO).

Hostile XML (DTDs, entity declarations, external references) is rejected with defusedxml
before feedparser sees the bytes; merely malformed XML goes on to feedparser, which
salvages what it can (status "degraded").
"""

from __future__ import annotations

import email.utils
import io
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser
import polars as pl

from analytics.contracts import schema
from analytics.sources.parse.html_text import html_to_text
from analytics.sources.parse.parse_result import (
    MAX_TEXT_CHARS,
    ParseResult,
    decoding,
    open_document,
    rejected,
    text_too_long,
)

MAX_FEED_BYTES = 20 * 2**20

_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
# A DOCTYPE with neither an internal subset nor an external id (<!DOCTYPE html>), or the
# RSS 0.91 Netscape one that is never fetched, declares nothing: drop it instead of
# rejecting the feed. Every other DOCTYPE is left for defusedxml to reject.
_HARMLESS_DOCTYPE = re.compile(
    r'<!DOCTYPE\s+[\w:.-]+\s*'
    r'(?:PUBLIC\s+"-//Netscape Communications//DTD RSS 0\.91//EN"\s*(?:"[^"<>\[\]]*")?\s*)?>',
    re.IGNORECASE,
)
# Defence in depth when a parse error stops defusedxml before it reaches the DTD.
_DECLARATIONS = re.compile(r"<!(?:DOCTYPE|ENTITY)\b", re.IGNORECASE)
# "&" not starting an entity or character reference: the commonest feed breakage (AT&T).
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
# A document's first element; CDF's <CHANNEL> is a feed feedparser reads without a version.
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ROOT = re.compile(r"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_FEED_ROOTS = frozenset({"rss", "rdf", "feed", "channel"})
_LANGUAGE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_]|\s*$)")

_ISO_LIKE = re.compile(r"^[+-]?\d{4,}-\d")
_ISO_FIELDS = re.compile(r"^(\d+)-(\d+)-(\d+)(?:[T ](\d+):(\d+)(?::(\d+))?)?")
_LEADING_WEEKDAY = re.compile(r"^\s*[^\W\d]+\.?,?\s+(?=\d)")
_WORD = re.compile(r"[^\W\d]+\.?")
# Month abbreviations of pt, es, fr, de, it and nl, for RFC 822 dates written in them
# ("Seg, 24 Set 2018 19:42:40 -0300"); email.utils only knows English names.
_MONTHS = {
    **dict.fromkeys(["jan", "ene", "gen", "jän"], "Jan"),
    **dict.fromkeys(["fev", "fév", "feb"], "Feb"),
    **dict.fromkeys(["mar", "mär", "mrt"], "Mar"),
    **dict.fromkeys(["abr", "avr", "apr"], "Apr"),
    **dict.fromkeys(["mai", "may", "mag", "mei"], "May"),
    **dict.fromkeys(["jun", "juin", "giu"], "Jun"),
    **dict.fromkeys(["jul", "juil", "lug"], "Jul"),
    **dict.fromkeys(["ago", "aoû", "aou", "aug"], "Aug"),
    **dict.fromkeys(["set", "sep"], "Sep"),
    **dict.fromkeys(["out", "oct", "okt", "ott"], "Oct"),
    "nov": "Nov",
    **dict.fromkeys(["dez", "dic", "dec", "déc"], "Dec"),
}


def _english_month(match: re.Match) -> str:
    word = match.group(0).rstrip(".").lower()
    return _MONTHS.get(word[:4]) or _MONTHS.get(word[:3]) or match.group(0)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_date(raw: str | None, *, fallback: time.struct_time | None = None) -> datetime | None:
    """A feed or page date string as an aware UTC datetime; None when impossible.

    ISO 8601 and RFC 822 (also with pt/es/fr/de/it/nl month names) are parsed strictly,
    because feedparser rolls impossible values over (hour 25 becomes the next day). Other
    formats use feedparser's ``fallback`` (a UTC struct_time). Naive times are taken as UTC.
    """
    raw = (raw or "").strip()
    try:
        if _ISO_LIKE.match(raw):
            try:
                return _utc(datetime.fromisoformat(raw))
            except ValueError:
                # Formats fromisoformat lacks: trust feedparser only if the fields exist.
                fields = _ISO_FIELDS.match(raw)
                if fields is None or fallback is None:
                    return None
                year, month, day, hour, minute, second = (int(f or 0) for f in fields.groups())
                datetime(year, month, day, hour, minute, second)
                return datetime(*fallback[:6], tzinfo=UTC)
        english = _WORD.sub(_english_month, _LEADING_WEEKDAY.sub("", raw))
        if (parts := email.utils.parsedate_tz(english)) is not None:
            local = datetime(*parts[:6], tzinfo=UTC)
            return local - timedelta(seconds=parts[9] or 0)
        return datetime(*fallback[:6], tzinfo=UTC) if fallback else None
    except (ValueError, OverflowError, TypeError):
        return None


FeedResult = ParseResult  # the name callers know


def check_xml(xml: str) -> tuple[str | None, str | None]:
    """(why ``xml`` must not be parsed, parse error) - both None for clean XML.

    Hostile means a DTD, entity declarations or external references (defusedxml).
    """
    try:
        defusedxml.ElementTree.fromstring(
            xml.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        return f"hostile XML rejected: {type(exc).__name__}: {exc}", None
    except ParseError as exc:
        if _DECLARATIONS.search(xml):
            return "hostile XML rejected: DTD or entity declaration in a malformed document", None
        return None, f"malformed XML: {exc}"
    except ValueError as exc:  # expat refuses some declarations ("multi-byte encodings")
        return None, f"malformed XML: {exc}"
    return None, None


def _feed_root(xml: str) -> bool:
    root = _ROOT.search(_COMMENT.sub("", xml))
    return root is not None and root.group(1).lower() in _FEED_ROOTS


def _language(*tags: str | None) -> str | None:
    for tag in tags:
        if tag and (match := _LANGUAGE.match(tag)):
            return match.group(1).lower()
    return None


def _url(link: str | None, base_url: str | None) -> str | None:
    if not link:
        return None
    url = urljoin(base_url, link.strip()) if base_url else link.strip()
    return url if urlsplit(url).scheme in ("http", "https") else None


def _entry_text(entry) -> tuple[str, str | None]:
    """Plain text of the longest content block, else the summary, and its language."""
    blocks = [c for c in entry.get("content", []) if c.get("value")]
    if blocks:
        best = max(blocks, key=lambda c: len(c["value"]))
        return html_to_text(best["value"]), best.get("language")
    detail = entry.get("summary_detail") or {}
    return html_to_text(entry.get("summary")), detail.get("language")


def _entry_date(entry):
    # dict.get: FeedParserDict.get maps "updated" to "published" with a DeprecationWarning.
    for key in ("published", "updated", "created"):
        if raw := dict.get(entry, key):
            parsed = parse_date(raw, fallback=dict.get(entry, f"{key}_parsed"))
            if parsed is not None:
                return parsed
    return None


def parse_feed(
    data: bytes,
    *,
    source: str,
    location: str,
    base_url: str | None = None,
    max_bytes: int = MAX_FEED_BYTES,
    max_text_chars: int = MAX_TEXT_CHARS,
) -> FeedResult:
    """Parse feed bytes into PARSED rows (location ``<location>#entry-<n>``, n from 1).

    ``published_at`` is UTC, null when missing or impossible; ``text`` is the entry
    content or summary as plain text ("" when the entry has only a title). Entries with
    neither title nor text, or with more than ``max_text_chars`` of them, go to
    ``quarantine``.
    """
    decoded = open_document(data, source=source, location=location, max_bytes=max_bytes,
                            what="feed")
    if isinstance(decoded, ParseResult):
        return decoded
    extra = decoding(decoded)
    # The text is re-encoded as UTF-8, so the declaration must say so.
    xml = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", decoded.text, count=1)
    xml = _HARMLESS_DOCTYPE.sub("", xml, count=1)
    hostile, malformed = check_xml(xml)
    if hostile:
        return rejected(source, location, hostile, **extra)
    if malformed:
        # Otherwise feedparser's loose parser reads "AT&T" as an entity and writes "AT&T;".
        xml = _BARE_AMPERSAND.sub("&amp;", xml)

    # A file object, never a str or bytes: feedparser treats those as a URL or file name.
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    # No sanitising: html_to_text keeps only text and drops script/iframe contents, which
    # feedparser's sanitiser would keep as text once it has removed their tags.
    parsed = feedparser.parse(
        io.BytesIO(xml.encode("utf-8")),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    bozo = str(parsed.get("bozo_exception", "")) if parsed.get("bozo") else ""
    # The status follows what was recovered, not the parser's error flag alone: a channel
    # read with no items (an "&hellip;" in its title) is degraded with 0 rows, not rejected.
    if not parsed.entries and not parsed.get("version") and not _feed_root(xml):
        return rejected(source, location, f"not a parseable feed: {bozo or 'no RSS/Atom root'}",
                         **extra)

    feed_language = parsed.feed.get("language")
    rows, bad = [], []
    for n, entry in enumerate(parsed.entries, start=1):
        where = f"{location}#entry-{n}"
        title = html_to_text(entry.get("title")) or None
        text, text_language = _entry_text(entry)
        if not title and not text:
            bad.append({"source": source, "location": where,
                        "reason": f"entry {n} has neither title nor text"})
            continue
        if too_long := text_too_long(title, text, max_text_chars):
            bad.append({"source": source, "location": where, "reason": f"entry {n}: {too_long}"})
            continue
        title_language = (entry.get("title_detail") or {}).get("language")
        rows.append({
            "source": source,
            "location": where,
            "url": _url(entry.get("link"), base_url),
            "guid": entry.get("id") or None,
            "title": title,
            "published_at": _entry_date(entry),
            "text": text,
            "language": _language(text_language, title_language, feed_language),
        })

    messages = [m for m in (malformed or bozo,) if m]
    if decoded.replacements:
        messages.append(f"{decoded.replacements} undecodable bytes replaced by U+FFFD")
    if bad:
        messages.append(f"{len(bad)} entries quarantined")
    return FeedResult(
        articles=pl.DataFrame(rows, schema=schema.PARSED),
        quarantine=pl.DataFrame(bad, schema=schema.QUARANTINE),
        status="degraded" if messages else "ok",
        message="; ".join(messages),
        **extra,
    )
