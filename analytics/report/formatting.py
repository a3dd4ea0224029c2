"""Safe text helpers for charts, PDF pages and Markdown: untrusted text prints literally.

Article titles and snippets may hold ``$x$``, ``\\input{...}``, ``<script>``, control
characters or 5,000-character words. Matplotlib text drawn with :data:`SAFE_TEXT` never
goes through mathtext or LaTeX; these helpers make the strings single-line, bounded and
wrapped so they cannot overflow a page.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from datetime import date, datetime
from typing import Any, SupportsInt

# Keyword arguments for every matplotlib text call that may show untrusted text: no
# mathtext ("$x$" stays literal) and no LaTeX ("\input{...}" is never run), whatever
# the user's matplotlibrc says.
SAFE_TEXT: dict[str, Any] = {"parse_math": False, "usetex": False}

ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")


def clean(value: object) -> str:
    """One line of printable text: ``None`` -> "", control characters dropped, spaces collapsed."""
    if value is None:
        return ""
    text = str(value)
    # Cc/Cf/Co/Cs (controls, bidi overrides, private use, surrogates) can reorder or
    # hide text in a PDF; whitespace controls become spaces first.
    text = "".join(
        " " if ch in "\t\n\r\x0b\x0c" else ch
        for ch in text
        if ch in "\t\n\r\x0b\x0c" or unicodedata.category(ch)[0] != "C"
    )
    return _SPACE.sub(" ", text).strip()


def truncate(value: object, width: int) -> str:
    """``clean(value)`` cut to at most ``width`` characters, ending in an ellipsis when cut."""
    text = clean(value)
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)].rstrip() + ELLIPSIS


def wrap(value: object, width: int, max_lines: int | None = None) -> list[str]:
    """Wrap ``clean(value)`` to lines of at most ``width`` characters, long words broken.

    With ``max_lines`` the text is cut and the last kept line ends in an ellipsis.
    Returns ``[""]`` for empty text so a table row always has one line.
    """
    width = max(width, 1)
    # Cap the input first: wrapping a multi-megabyte article text is wasted work.
    limit = width * max_lines + 1 if max_lines else None
    text = clean(value if limit is None else str(value or "")[: limit * 4])
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=True) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = last + ELLIPSIS if len(last) < width else last[: width - 1] + ELLIPSIS
    return lines


def plural(n: int, word: str) -> str:
    """"1 article", "2 articles"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def fmt_int(value: SupportsInt | None) -> str:
    return "–" if value is None else f"{int(value):,}"


def fmt_pct(fraction: float | None, digits: int = 1) -> str:
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "–"
    return f"{fraction * 100:.{digits}f}%"


def fmt_number(value: float | None) -> str:
    """A claim value: integers without decimals, others with up to two."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()
