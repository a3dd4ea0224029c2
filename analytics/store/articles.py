"""The article store: Parquet under ``data/``, partitioned by publication month.

Layout (readable by polars, DuckDB or Spark without topicwatch, Hive-style)::

    data/articles/month=2025-06/part-0.parquet   one file per publication month
    data/quarantine/run_date=2025-06-05.parquet  rows rejected by that run
    data/http_state.parquet                      ETag/Last-Modified per fetched URL
    data/themes/run_date=2025-06-05.parquet      the themes of that run (for stable ids)
    data/checked_partitions.json                 partitions' signatures when last known whole
    data/damaged/month=2025-06/...               partitions found damaged, set aside
    data/.lock                                   the lock object on an object store (a
                                                 folder is locked with flock on itself)

``data/`` is a folder or an fsspec URL such as ``s3://bucket/prefix`` (``backends.py``);
on an object store the paths this class returns are the filesystem's own
(``bucket/prefix/articles/...``, for ``store.storage.fs``).

Adding articles rewrites only the months they fall in, each file atomically; a run killed
between two months leaves every file whole, and the next run (ingesting the same
inputs again) adds what is missing, because ids make ingestion idempotent.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path, PurePath

import polars as pl

from analytics.contracts import schema
from analytics.store.backends import StoreLockedError, open_storage

__all__ = ["PART", "ArticleStore", "StoreLockedError"]

log = logging.getLogger(__name__)

PART = "part-0.parquet"
CHECKED = "checked_partitions.json"  # partition -> signature when last written or read whole
_RELOCK_TIMEOUT = 60.0


class ArticleStore:
    def __init__(self, root: str | Path):
        """``root``: a folder, or an fsspec URL (``s3://bucket/prefix``, ``memory://x``)."""
        self.storage = open_storage(root)
        self.url = self.storage.url  # for messages: the folder or the URL as given
        self.root = self.storage.root
        self.articles_dir = self.root / "articles"
        self.quarantine_dir = self.root / "quarantine"
        self.http_state_path = self.root / "http_state.parquet"
        self.themes_dir = self.root / "themes"
        self._locked = False
        self.damaged: list[str] = []  # partitions set aside by a read (_without_damaged)

    @contextlib.contextmanager
    def lock(self, timeout: float = 600.0) -> Iterator[None]:
        """Hold the store's lock (never a lock on the Parquet files themselves); on an
        object store a best-effort lock object (``ObjectStorage.lock``)."""
        with self.storage.lock(timeout):
            self._locked = True
            try:
                self._remove_stale_temps()
                yield
            finally:
                self._locked = False

    def _remove_stale_temps(self) -> None:
        """Delete temporary files killed writers left (never those of live writers)."""
        self.storage.remove_temps()

    def set_aside_damaged(self) -> list[str]:
        """Move every partition that cannot be read to ``damaged/`` (call it holding the
        lock); one message per partition, naming it and where it went. The run goes on
        without it, and its articles are stored again when their sources are read again
        (their ids are no longer in the store).

        Every partition's footer is read; its pages are decoded only when the file changed
        since it was last written or found whole (size and modification time, or ETag,
        differ from those kept in ``checked_partitions.json``), so a daily run decodes
        none: the partitions it rewrites are recorded as written."""
        checked, seen, messages = self._checked(), {}, []
        for part in self.partitions():
            key = self._key(part)
            try:
                signature = self.storage.signature(part)
                self.storage.check_parquet(part, whole=checked.get(key) != signature)
                seen[key] = signature
            except Exception as exc:  # polars and fsspec raise several kinds here
                messages.append(self._set_aside(part, exc))
        if seen != checked:
            self.storage.write_bytes(self.root / CHECKED, json.dumps(seen, indent=0).encode())
        return messages

    def _set_aside(self, part: PurePath, exc: Exception) -> str:
        dest = (self.root / "damaged" / part.parent.name
                / f"{part.stem}.{time.strftime('%Y%m%dT%H%M%S')}.parquet")
        self.storage.move(part, dest)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        message = (f"{part}: damaged ({reason}); moved to {dest}, its articles are stored "
                   "again when their sources are read again")
        log.warning("%s", message)
        return message

    def _key(self, part: PurePath) -> str:
        return part.relative_to(self.root).as_posix()

    def _checked(self) -> dict[str, dict]:
        """Partition -> signature when last written or found whole; a lost or garbled
        record only means every partition is decoded once."""
        try:
            checked = json.loads(self.storage.read_bytes(self.root / CHECKED))
        except (OSError, ValueError):
            return {}
        return checked if isinstance(checked, dict) else {}

    def _record_written(self, paths: list[PurePath]) -> None:
        if paths:
            checked = {**self._checked(),
                       **{self._key(p): self.storage.signature(p) for p in paths}}
            self.storage.write_bytes(self.root / CHECKED,
                                     json.dumps(checked, indent=0).encode())

    def _without_damaged(self, parts: list[PurePath], columns: list[str]) -> list[PurePath]:
        """``parts`` less those whose ``columns`` cannot be read, set aside under the lock
        (taken unless this store holds it; if another run holds it past
        ``_RELOCK_TIMEOUT``, only skipped by this read and met again by the next)."""
        bad = []
        for part in parts:
            try:
                self.storage.read_parquet([part], columns)
            except Exception as exc:  # the same kinds as in set_aside_damaged
                bad.append((part, exc))
        if bad:
            with contextlib.ExitStack() as stack:
                try:
                    if not self._locked:
                        stack.enter_context(self.lock(timeout=_RELOCK_TIMEOUT))
                    for path, error in bad:
                        if self.storage.exists(path):  # not set aside by another reader
                            self.damaged.append(self._set_aside(path, error))
                except StoreLockedError:
                    log.warning("%s: unreadable, left for the next run (the store is locked)",
                                ", ".join(str(p) for p, _ in bad))
        return [p for p in parts if p not in {b for b, _ in bad}]

    def partition(self, month: str) -> PurePath:
        """The file of one publication month (``"YYYY-MM"``), whether it exists or not."""
        return self.articles_dir / f"month={month}" / PART

    def partitions(self) -> Sequence[PurePath]:
        return self.storage.glob(self.articles_dir, f"month=*/{PART}")

    def months(self) -> list[str]:
        """The stored publication months, ``"YYYY-MM"``, in order."""
        return [_month(p) for p in self.partitions()]

    def read(self, columns: list[str] | None = None, *, first_month: str | None = None,
             last_month: str | None = None) -> pl.DataFrame:
        """Stored articles (``ARTICLES`` columns, or the ``columns`` asked for), all or
        those of the partitions from ``first_month`` to ``last_month`` (``"YYYY-MM"``)."""
        cols = columns or list(schema.ARTICLES)
        parts = [p for p in self.partitions()
                 if (first_month is None or _month(p) >= first_month)
                 and (last_month is None or _month(p) <= last_month)]
        if not parts:
            return schema.empty("articles").select(cols)
        try:
            return self.storage.read_parquet(parts, cols)
        except Exception:  # a damaged page the footer check did not see: set it aside
            good = self._without_damaged(parts, cols)
            if len(good) == len(parts):
                raise
        return (self.storage.read_parquet(good, cols) if good
                else schema.empty("articles").select(cols))

    def read_month(self, month: str, columns: list[str] | None = None) -> pl.DataFrame:
        """The articles of one partition (``"YYYY-MM"``)."""
        return self.read(columns, first_month=month, last_month=month)

    def keys(self) -> pl.DataFrame:
        """``article_id`` and ``content_hash`` of every stored article."""
        return self.read(["article_id", "content_hash"])

    def add(self, articles: pl.DataFrame) -> int:
        """Store new ``articles`` rows; returns how many were not stored before.

        Rows whose ``article_id`` is already stored are ignored, so adding the same rows
        twice stores them once.
        """
        articles = schema.validate(articles, "articles")
        if articles.is_empty():
            return 0
        added, written = 0, []
        months = articles.with_columns(_month=pl.col("published_at").dt.strftime("%Y-%m"))
        for (month,), rows in sorted(months.group_by("_month"), key=lambda kv: kv[0]):
            path = self.partition(month)
            old = (self.storage.read_parquet([path]) if self.storage.exists(path)
                   else schema.empty("articles"))
            fresh = rows.drop("_month").join(old.select("article_id"), on="article_id", how="anti")
            if fresh.is_empty():
                continue
            merged = pl.concat([old, fresh]).sort("published_at", "article_id")
            self.storage.write_parquet(merged, path)
            written.append(path)
            added += fresh.height
        self._record_written(written)
        return added

    def write_quarantine(self, run_date: date, rows: pl.DataFrame) -> PurePath:
        """Replace the quarantine file of ``run_date`` with ``rows``."""
        rows = schema.validate(rows, "quarantine")
        path = self.quarantine_dir / f"run_date={run_date.isoformat()}.parquet"
        return self.storage.write_parquet(rows.sort("source", "location"), path)

    def read_http_state(self) -> dict[str, tuple[str | None, str | None]]:
        """url -> (etag, last_modified) remembered from earlier fetches; a damaged state
        file is logged and read as empty (every URL is fetched in full once)."""
        if not self.storage.exists(self.http_state_path):
            return {}
        try:
            df = self.storage.read_parquet([self.http_state_path])
            rows = df.select("url", "etag", "last_modified").iter_rows()
            return {u: (e, m) for u, e, m in rows}
        except Exception as exc:  # a cache: never worth failing the run over
            log.warning("%s: unreadable (%s); fetching every URL in full",
                        self.http_state_path, str(exc).splitlines()[0] if str(exc) else exc)
            return {}

    def write_http_state(self, validators: dict[str, tuple[str | None, str | None]]) -> None:
        """Merge ``validators`` into the remembered HTTP state."""
        if not validators:
            return
        state = {**self.read_http_state(), **validators}
        df = pl.DataFrame(
            [(u, e, m) for u, (e, m) in sorted(state.items())],
            schema={"url": pl.String, "etag": pl.String, "last_modified": pl.String},
            orient="row",
        )
        self.storage.write_parquet(df, self.http_state_path)

    def write_themes(self, run_date: date, themes: pl.DataFrame) -> PurePath:
        """Keep the themes of ``run_date`` so that later runs can continue their ids."""
        themes = schema.validate(themes, "themes")
        return self.storage.write_parquet(themes, self.themes_dir / f"run_date={run_date}.parquet")

    def previous_themes(self, run_date: date) -> pl.DataFrame | None:
        """The themes of the latest run before ``run_date``, if any."""
        earlier = [p for p in self.storage.glob(self.themes_dir, "run_date=*.parquet")
                   if p.stem.split("=", 1)[1] < run_date.isoformat()]
        if not earlier:
            return None
        try:
            return schema.validate(self.storage.read_parquet(earlier[-1:]), "themes")
        except Exception as exc:  # then theme ids start afresh, as on a first run
            log.warning("%s: unreadable (%s); theme ids start afresh", earlier[-1],
                        str(exc).splitlines()[0] if str(exc) else exc)
            return None


def _month(partition: PurePath) -> str:
    return partition.parent.name.split("=", 1)[1]
