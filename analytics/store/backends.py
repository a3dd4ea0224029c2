"""Where the store lives: a local folder, or any fsspec URL (``s3://bucket/prefix``,
``gs://bucket/prefix``, ``memory://name``), behind one small interface.

Paths are ``pathlib.Path`` for a folder and ``PurePosixPath`` of the filesystem's own
paths (``bucket/prefix/...``, without the protocol) otherwise, so callers join them with
``/`` either way. ``file://`` URLs are folders.

Each write is atomic per file: in a folder a temporary file moved into place with
``os.replace``; on an object store a single PUT, which readers see whole or not at all.
Neither makes several files atomic together: writers of a group write its stamp last.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath, PurePosixPath

import fsspec
import polars as pl
from filelock import FileLock, Timeout
from fsspec.implementations.local import LocalFileSystem

from analytics.store import atomic

LOCK = ".lock"
# An object-store lock older than this is taken to be left by a killed run. A run holds
# the lock only while it ingests (about 30 s for a million articles).
LOCK_STALE_AFTER = 3600.0
_LOCK_POLL = 0.5
_FETCH_BATCH = 32  # partitions downloaded concurrently, and held in memory at once
_VERSION_KEYS = ("ETag", "etag", "generation", "VersionId")


class StoreLockedError(RuntimeError):
    """Another run holds the store's lock."""


def is_url(root: str | Path) -> bool:
    """Whether ``root`` is a URL (``s3://...``) rather than a folder path."""
    return "://" in str(root)


def open_storage(root: str | Path) -> LocalStorage | ObjectStorage:
    """The storage at ``root``: a folder path or an fsspec URL."""
    text = str(root)
    if not is_url(text):
        return LocalStorage(Path(root))
    try:
        # No listings cache: other processes (Dask workers, the next run) write here too.
        fs, path = fsspec.core.url_to_fs(text, use_listings_cache=False)
    except ImportError as exc:
        raise ImportError(f"{text}: {exc} (for s3:// install 'topicwatch[s3]')") from exc
    if isinstance(fs, LocalFileSystem):
        return LocalStorage(Path(path))
    return ObjectStorage(fs, path, text)


class LocalStorage:
    """A folder on a POSIX file system, locked with ``flock`` on the folder itself."""

    def __init__(self, root: Path):
        self.root = root
        self.url = str(root)

    def exists(self, path: PurePath) -> bool:
        return Path(path).exists()

    def glob(self, folder: PurePath, pattern: str) -> list[Path]:
        return sorted(Path(folder).glob(pattern))

    def read_bytes(self, path: PurePath) -> bytes:
        return Path(path).read_bytes()

    def read_frames(self, paths: Iterable[PurePath],
                    columns: list[str] | None = None) -> list[pl.DataFrame]:
        return [pl.read_parquet(Path(p), columns=columns) for p in paths]

    def read_parquet(self, paths: Sequence[PurePath],
                     columns: list[str] | None = None) -> pl.DataFrame:
        """The Parquet files ``paths`` (their ``columns``, or all), concatenated."""
        frames = pl.scan_parquet([Path(p) for p in paths], hive_partitioning=False)
        return (frames.select(columns) if columns else frames).collect()

    def write_bytes(self, path: PurePath, data: bytes) -> Path:
        return atomic.write_bytes(Path(path), data)

    def write_parquet(self, df: pl.DataFrame, path: PurePath) -> Path:
        return atomic.write_parquet(df, Path(path))

    def signature(self, path: PurePath) -> dict:
        """What changes when the file is rewritten: size and modification time."""
        st = Path(path).stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def remove(self, path: PurePath) -> None:
        Path(path).unlink(missing_ok=True)

    def check_parquet(self, path: PurePath, *, whole: bool = False) -> None:
        """Raise unless ``path`` has a readable Parquet footer (a truncated file has none)
        and, if ``whole``, every page decodes (a page overwritten in place)."""
        if whole:
            pl.read_parquet(Path(path))
        else:
            pl.read_parquet_schema(Path(path))

    def move(self, src: PurePath, dest: PurePath) -> None:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)

    @contextlib.contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """Hold the store's lock, waiting up to ``timeout`` seconds for it.

        The lock is an ``flock`` on the store folder itself, not on a file inside it: a
        lock file can be deleted while held, and the next run would then lock a fresh file
        and write beside the first (rows lost). Where a file system cannot lock a folder,
        the lock file ``.lock`` (``filelock``) is used instead.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            locked = self._flock(fd, timeout)
            if locked:
                yield
        finally:
            os.close(fd)  # releases the lock
        if not locked:
            with self._file_lock(timeout):
                yield

    def _flock(self, fd: int, timeout: float) -> bool:
        """Lock the folder ``fd``; False where the file system cannot lock a folder."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"{self.root}: another topicwatch run holds the lock "
                        f"(waited {timeout:.0f} s)") from None
                time.sleep(min(_LOCK_POLL, max(deadline - time.monotonic(), 0.01)))
            except OSError:  # e.g. ENOLCK, EBADF on some network file systems
                return False

    @contextlib.contextmanager
    def _file_lock(self, timeout: float) -> Iterator[None]:
        lock = FileLock(str(self.root / LOCK))
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise StoreLockedError(
                f"{self.root}: another topicwatch run holds the lock (waited {timeout:.0f} s)"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def remove_temps(self) -> None:
        """Delete the temporary files killed writers left (``atomic.is_stale_temp``);
        those of writers still at work, and files not ours, stay."""
        atomic.remove_stale_temps(self.root)


class ObjectStorage:
    """A prefix on an fsspec filesystem, typically an object store (S3, GCS).

    Its lock is best effort (``lock``): one writer at a time must also be ensured by
    scheduling, e.g. a deployment's concurrency limit of 1.
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str, url: str):
        self.fs = fs
        self.root = PurePosixPath(root)
        self.url = url.rstrip("/")

    def exists(self, path: PurePath) -> bool:
        return self.fs.exists(str(path))

    def glob(self, folder: PurePath, pattern: str) -> list[PurePosixPath]:
        return sorted(PurePosixPath(p) for p in self.fs.glob(f"{folder}/{pattern}"))

    def read_bytes(self, path: PurePath) -> bytes:
        return self.fs.cat_file(str(path))

    def read_frames(self, paths: Iterable[PurePath],
                    columns: list[str] | None = None) -> list[pl.DataFrame]:
        """The Parquet files ``paths``, a batch of them downloaded at a time (concurrently
        where the filesystem is asynchronous, as s3fs and gcsfs are)."""
        names = [str(p) for p in paths]
        frames = []
        for start in range(0, len(names), _FETCH_BATCH):
            batch = names[start:start + _FETCH_BATCH]
            blobs = self.fs.cat(batch)  # a list in, a dict out, keyed by these paths
            frames += [pl.read_parquet(io.BytesIO(blobs[n]), columns=columns) for n in batch]
        return frames

    def read_parquet(self, paths: Sequence[PurePath],
                     columns: list[str] | None = None) -> pl.DataFrame:
        """The Parquet files ``paths`` (their ``columns``, or all), concatenated."""
        frames = pl.concat(self.read_frames(paths, columns))
        return frames.select(columns) if columns else frames

    def write_bytes(self, path: PurePath, data: bytes) -> PurePosixPath:
        self.fs.pipe_file(str(path), data)
        return PurePosixPath(path)

    def write_parquet(self, df: pl.DataFrame, path: PurePath) -> PurePosixPath:
        buf = io.BytesIO()
        df.write_parquet(buf, **atomic.PARQUET_OPTIONS)
        return self.write_bytes(path, buf.getvalue())

    def signature(self, path: PurePath) -> dict:
        """What changes when the object is rewritten: size and ETag (or generation; the
        modification time where the filesystem has neither)."""
        info = self.fs.info(str(path))
        version = next((info[k] for k in _VERSION_KEYS if info.get(k)), None)
        if version is None:
            version = self.fs.modified(str(path)).isoformat()
        return {"size": info["size"], "version": str(version)}

    def check_parquet(self, path: PurePath, *, whole: bool = False) -> None:
        """Raise unless ``path`` has a readable Parquet footer (read by range) and, if
        ``whole``, every page decodes (the object downloaded)."""
        if whole:
            pl.read_parquet(io.BytesIO(self.fs.cat_file(str(path))))
            return
        with self.fs.open(str(path), "rb") as fh:
            pl.read_parquet_schema(fh)

    def move(self, src: PurePath, dest: PurePath) -> None:
        self.fs.mv(str(src), str(dest))

    def remove(self, path: PurePath | str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(str(path))

    @contextlib.contextmanager
    def lock(self, timeout: float, *, stale_after: float = LOCK_STALE_AFTER) -> Iterator[None]:
        """Hold the lock object ``.lock``, waiting up to ``timeout`` seconds for it.

        Best effort: the object (owner token, host, pid, time) is created only if absent
        (a conditional PUT where the store has one, as S3 does) and read back to check
        that this run owns it; one older than ``stale_after`` seconds, or not ours to
        read, was left by a killed run and is taken over. Two runs taking over the same
        stale lock at the same moment can both succeed: schedule one writer at a time.
        """
        path = str(self.root / LOCK)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        while not self._take_lock(path, token, stale_after):
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"{self.url}: another topicwatch run holds the lock (waited "
                    f"{timeout:.0f} s; {_describe(self._read_lock(path))})")
            time.sleep(min(_LOCK_POLL, max(deadline - time.monotonic(), 0.0)))
        try:
            yield
        finally:
            if (self._read_lock(path) or {}).get("owner") == token:
                self.remove(path)

    def remove_temps(self) -> None:
        """Nothing to do: a PUT leaves no temporary object behind."""

    def _take_lock(self, path: str, token: str, stale_after: float) -> bool:
        if self._create_lock(path, token):
            return True
        held = self._read_lock(path)
        if held is None or time.time() - held["acquired_at"] < stale_after:
            return False  # held, or released just now: the next attempt may take it
        self.remove(path)  # left by a killed run
        return self._create_lock(path, token)

    def _create_lock(self, path: str, token: str) -> bool:
        body = {"owner": token, "host": socket.gethostname(), "pid": os.getpid(),
                "acquired_at": time.time()}
        try:
            self.fs.pipe_file(path, json.dumps(body).encode(), mode="create")
        except FileExistsError:
            return False
        # Stores without conditional writes check existence first: another run may have
        # written between that check and this PUT.
        return (self._read_lock(path) or {}).get("owner") == token

    def _read_lock(self, path: str) -> dict | None:
        """The lock's content; None when there is no lock. A lock that is not ours to
        read counts as acquired at time 0 (stale)."""
        try:
            held = json.loads(self.fs.cat_file(path))
            return {**held, "acquired_at": float(held["acquired_at"])}
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return {"acquired_at": 0.0}


def _describe(held: dict | None) -> str:
    if not held or "owner" not in held:
        return "released just now" if held is None else "a lock object of unknown format"
    since = datetime.fromtimestamp(held["acquired_at"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"held by {held.get('host')} pid {held.get('pid')} since {since}"
