"""Parse one article file's text: the seed format, or .txt/.md with optional front matter.

Seed format: the file begins with ``date YYYY-MM-DD`` (leading blanks allowed) and the
article text follows on the same line and the next ones; the title is the first sentence.

Front matter: a block between ``---`` lines at the top, with ``key: value`` lines for
``title``, ``date``, ``url``, ``source`` and ``language``. Without a title the first
line (Markdown ``#`` stripped) is the title when it is short, else the first sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEED_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})[ \t]*", re.IGNORECASE)
_FRONT = re.compile(r"^\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", re.DOTALL)
_FIRST_SENTENCE = re.compile(r"^(.{10,}?[.!?])(?=\s|$)", re.DOTALL)
FRONT_KEYS = ("title", "date", "url", "source", "language")
MAX_TITLE = 200


class ArticleParseError(ValueError):
    """The file cannot become an article; the message says why."""


@dataclass(frozen=True)
class ArticleFields:
    title: str
    text: str
    date: str | None  # as written; parsed later with the source's date formats
    url: str | None = None
    source: str | None = None
    language: str | None = None


def first_sentence(text: str, limit: int = MAX_TITLE) -> str:
    """The first sentence of ``text`` (whitespace folded), cut at ``limit`` characters."""
    flat = " ".join(text.split())
    m = _FIRST_SENTENCE.match(flat)
    sentence = m.group(1) if m else flat
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def _front_matter(block: str) -> dict[str, str]:
    fields = {}
    for n, line in enumerate(block.splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ArticleParseError(f"front matter line {n}: expected 'key: value', got {line!r}")
        key = key.strip().lower()
        if key in FRONT_KEYS:
            fields[key] = value.strip().strip("\"'")
    return fields


def parse_article_text(raw: str) -> ArticleFields:
    """Split one article file into fields; raise ``ArticleParseError`` if it has no text."""
    seed = _SEED_DATE.match(raw)
    if seed:
        text = raw[seed.end() :].strip()
        if not text:
            raise ArticleParseError("no text after the date line")
        return ArticleFields(title=first_sentence(text), text=text, date=seed.group(1))
    fields: dict[str, str] = {}
    body = raw
    front = _FRONT.match(raw)
    if front:
        fields = _front_matter(front.group(1))
        body = raw[front.end() :]
    body = body.strip()
    if not body:
        raise ArticleParseError("empty file" if not raw.strip() else "no text after front matter")
    title = fields.get("title")
    if not title:
        first_line = body.splitlines()[0].lstrip("# ").strip()
        if 0 < len(first_line) <= MAX_TITLE and "." not in first_line[:-1]:
            title = first_line
            rest = body[len(body.splitlines()[0]) :].strip()
            body = rest or body
        else:
            title = first_sentence(body)
    return ArticleFields(
        title=title,
        text=body,
        date=fields.get("date"),
        url=fields.get("url"),
        source=fields.get("source"),
        language=fields.get("language"),
    )
