"""Atomic file writes: a temporary file in the destination folder, then ``os.replace``.

A run killed or failing mid-write leaves the old file or the new one, never half of one,
and never a stray temporary file when the failure is an exception.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, TypedDict

import polars as pl

TMP_SUFFIX = ".tmp"
# A temporary file names its writer: ".<dest>.tw-<host>-<pid>-<random>.tmp". Only such
# files are ever cleaned, and only when provably stale: its process is dead on this host,
# or it is older than STALE_AFTER (a writer on another host, e.g. a Dask worker).
_HOST = re.sub(r"[^A-Za-z0-9.]+", "_", socket.gethostname()) or "host"
_OWNED = re.compile(r"^\..+\.tw-(?P<host>[A-Za-z0-9._]+)-(?P<pid>\d+)-[a-z0-9_]+\.tmp$")
STALE_AFTER = 3600.0  # seconds
# mkstemp creates files readable by the owner only; a written file gets the mode an open()
# would give it (0666 less the umask), so reports and the store stay readable by others
# as the user's umask intends. Read once, at import: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK


class ParquetOptions(TypedDict):
    """Keyword arguments of ``DataFrame.write_parquet`` for every file we write."""

    compression: Literal["zstd"]
    statistics: bool


PARQUET_OPTIONS: ParquetOptions = {"compression": "zstd", "statistics": True}


@contextlib.contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it replaces ``dest``."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.tw-{_HOST}-{os.getpid()}-",
                               suffix=TMP_SUFFIX, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_bytes(dest: str | Path, data: bytes) -> Path:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text(dest: str | Path, text: str) -> Path:
    return write_bytes(dest, text.encode("utf-8"))


def write_with(dest: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        writer(tmp)
    return Path(dest)


def write_parquet(df: pl.DataFrame, dest: str | Path) -> Path:
    """Write ``df`` as Parquet atomically (zstd, statistics on)."""
    return write_with(dest, lambda tmp: df.write_parquet(tmp, **PARQUET_OPTIONS))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def is_stale_temp(path: Path, *, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary file of ours whose writer is gone: its process is
    dead on this host, or it is older than ``STALE_AFTER``. A file not named by
    ``atomic_path`` (a user's ``.notes.tmp``) is never stale."""
    m = _OWNED.match(path.name)
    if m is None:
        return False
    if m["host"] == _HOST and not _alive(int(m["pid"])):
        return True
    try:
        age = (now if now is not None else time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age > STALE_AFTER


def remove_stale_temps(folder: Path) -> int:
    """Delete the stale temporary files (``is_stale_temp``) under ``folder``; their count."""
    removed = 0
    for tmp in Path(folder).rglob(f".*{TMP_SUFFIX}"):
        if tmp.is_file() and is_stale_temp(tmp):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
