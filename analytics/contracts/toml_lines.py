"""Line numbers for TOML errors: tomllib gives values, not positions, so we find them."""

from __future__ import annotations

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


def value_line(text: str, table: str, index: int, value: str) -> int:
    """1-based line where the string ``value`` is written inside the ``index``-th table."""
    lines = text.splitlines()
    start = line_of(text, table, index) - 1
    header = f"[[{table}]]"
    for n in range(start, len(lines)):
        if n > start and lines[n].strip().startswith(header):
            break
        if f'"{value}"' in lines[n] or f"'{value}'" in lines[n]:
            return n + 1
    return start + 1
