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
