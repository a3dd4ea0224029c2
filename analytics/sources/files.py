"""Local files of a source: the files a folder source reads, and their bytes under a cap."""

from __future__ import annotations

import errno
import gzip
import stat
import zlib
from pathlib import Path

from analytics.contracts.sources_config import KIND_RULES, Source

BINARY_SNIFF = 8192


class DamagedFile(ValueError):
    """A compressed file that ends early or does not decompress (a truncated .gz)."""


def damaged(path: Path, exc: Exception) -> DamagedFile:
    return DamagedFile(f"damaged compressed file {path.name}: {exc}")


def read_capped(path: Path, cap: int) -> bytes:
    """The file's bytes (decompressed for .gz); ValueError when over ``cap``,
    ``DamagedFile`` (a ValueError) when a .gz is truncated or corrupt."""
    size = path.stat().st_size
    if size > cap:
        raise ValueError(f"file too large ({size} bytes > cap {cap})")
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read(cap + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise damaged(path, exc) from exc
    if len(data) > cap:
        raise ValueError(f"file too large (over cap {cap} bytes decompressed)")
    return data


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:BINARY_SNIFF]


def inside(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def source_path(source: Source) -> Path:
    """``source.path`` of a source read from local files (set by config validation)."""
    if source.path is None:
        raise ValueError(f"source {source.id!r} has no path")
    return source.path


def folder_files(source: Source) -> list[Path]:
    """Regular files matching the source's include globs (recursive), minus excludes,
    sorted; what else matches is in ``unreadable_entries``."""
    return [p for p in _matches(source) if p.is_file()]


def unreadable_entries(source: Source) -> list[tuple[Path, str]]:
    """Entries matching the globs that are not regular files (dangling or looping symbolic
    links, FIFOs, sockets, devices), each with why it is not read: reading a FIFO would
    block the run, and an entry skipped silently would be lost from the accounting."""
    return [(p, why) for p in _matches(source) if (why := _unreadable(p)) is not None]


def _matches(source: Source) -> list[Path]:
    base = source_path(source)
    found: set[Path] = set()
    for pattern in source.include or KIND_RULES[source.kind].default_globs:
        found.update(base.glob(pattern))
    for pattern in source.exclude:
        found.difference_update(base.glob(pattern))
    return sorted(found)


def _unreadable(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: not read"
        if path.is_symlink():
            return "dangling symbolic link (its target does not exist): not read"
        return f"cannot be read: {exc.strerror}"
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return "not a regular file (a FIFO, socket or device): not read"
