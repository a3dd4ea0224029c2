"""Line numbers for TOML errors: tomllib gives values, not positions, so we find them.
Also the nearest valid key, for messages that say "did you mean ...?"."""

from __future__ import annotations

import difflib
import re


def line_of(text: str, table: str, index: int, key: str | None = None) -> int:
    """1-based line of the ``index``-th ``[[table]]`` header, or of ``key`` inside it."""
    header = f"[[{table}]]"
    seen = -1
    start = None
    for n, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith(header):
            seen += 1
            if seen == index:
                start = n
            elif start is not None:
                break
        elif start is not None and stripped.startswith("[[") and not stripped.startswith(header):
            break
        elif start is not None and key and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n + 1
    return (start or 0) + 1


def table_line(text: str, table: str, key: str | None = None) -> int | None:
    """1-based line of the ``[table]`` header, or of ``key`` inside it (the header's line
    when the key is not found there); None when the file has no such header."""
    header = re.compile(rf"\[\s*{re.escape(table)}\s*\]\s*(#.*)?$")
    start = None
    for n, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if start is None:
            if header.match(stripped):
                start = n
                if key is None:
                    break
        elif stripped.startswith("["):
            break
        elif key and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return n + 1
    return None if start is None else start + 1


def top_key_line(text: str, key: str) -> int | None:
    """1-based line where the top-level ``key`` starts: ``[key]``, ``[[key]]``,
    ``[key.sub]`` or ``key = ...`` before any table; None when not found."""
    k = re.escape(key)
    in_table = False
    for n, line in enumerate(text.splitlines()):
        if re.match(rf"\s*\[\[?\s*[\"']?{k}[\"']?\s*[\].]", line):
            return n + 1
        if line.lstrip().startswith("["):
            in_table = True
        elif not in_table and re.match(rf"\s*[\"']?{k}[\"']?\s*[.=]", line):
            return n + 1
    return None


def _written(value: str) -> tuple[str, ...]:
    """How the string ``value`` may stand in a TOML file: literal or basic string."""
    basic = value.replace("\\", "\\\\").replace('"', '\\"')
    return (f'"{basic}"', f"'{value}'", f'"{value}"')


def value_line(text: str, table: str, index: int, value: str) -> int:
    """1-based line where the string ``value`` is written inside the ``index``-th table."""
    lines = text.splitlines()
    start = line_of(text, table, index) - 1
    header = f"[[{table}]]"
    forms = _written(value)
    for n in range(start, len(lines)):
        if n > start and lines[n].strip().startswith(header):
            break
        if any(form in lines[n] for form in forms):
            return n + 1
    return start + 1


def did_you_mean(word: str, options) -> str:
    """ "; did you mean 'x'?" for the option closest to ``word`` (difflib), else ""."""
    by_lower = {str(o).lower(): str(o) for o in options}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""
