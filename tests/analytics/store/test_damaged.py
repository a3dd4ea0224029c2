"""A damaged file in the store never stops later runs (issue 16, case 4): a damaged
partition is set aside and its articles are stored again; damaged caches read as empty.
Real files, truncated or garbled on disk."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.sources_config import Settings, Source
from analytics.ingest.pipeline import ingest
from analytics.sources.registry import read_source
from analytics.store.articles import ArticleStore

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _ingest(store: ArticleStore, run_date: date):
    source = Source("seeds", "folder", path=SEEDS)
    return ingest([read_source(source, Settings())], store, run_date=run_date,
                  settings=Settings())


def test_a_truncated_partition_is_set_aside_and_its_articles_stored_again(tmp_path, caplog):
    store = ArticleStore(tmp_path)
    _ingest(store, date(2025, 6, 5))
    [part] = store.partitions()
    Path(part).write_bytes(Path(part).read_bytes()[:100])  # a disk that filled up mid-copy
    with caplog.at_level(logging.WARNING):
        result = _ingest(store, date(2025, 6, 6))
    assert result.new == 1 and store.read().height == 1  # the article is back
    [moved] = (tmp_path / "damaged").rglob("*.parquet")
    assert moved.read_bytes()[:100] == moved.read_bytes()  # the damaged file, kept
    [note] = [o for o in result.sources if o.source == "store"]
    assert str(part) in note.message and "damaged" in note.message and str(moved) in note.message
    assert str(part) in caplog.text


def _two_months(folder: Path) -> Source:
    """A folder of 40 articles, 20 in May and 20 in June 2025 (two partitions)."""
    folder.mkdir()
    for i in range(40):
        day = f"2025-05-{1 + i % 20:02d}" if i < 20 else f"2025-06-{1 + i % 20:02d}"
        (folder / f"{i:03d}.txt").write_text(
            f"date {day} Article {i} about air defence, drones and budgets. "
            + " ".join(f"word{i}x{j}" for j in range(400)))
    return Source("notes", "folder", path=folder)


def _damage_pages(part: Path) -> None:
    """Overwrite the middle of the data pages in place; the footer stays whole."""
    data = bytearray(part.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    start, end = 4, len(data) - 8 - footer  # the pages: after 'PAR1', before the footer
    mid = (start + end) // 2
    data[mid - 256:mid + 256] = b"\xab" * 512
    part.write_bytes(bytes(data))
    pl.read_parquet_schema(part)  # the footer reads: the damage is only in the pages
    with pytest.raises(Exception):  # noqa: B017 (polars' kind of error is not ours)
        pl.read_parquet(part)


def _ingest_folder(store: ArticleStore, source: Source, run_date: date):
    return ingest([read_source(source, Settings())], store, run_date=run_date,
                  settings=Settings())


def test_a_partition_with_damaged_pages_is_set_aside_and_its_articles_stored_again(
        tmp_path, caplog):
    store, source = ArticleStore(tmp_path / "data"), _two_months(tmp_path / "notes")
    _ingest_folder(store, source, date(2025, 6, 25))
    may, june = store.partitions()
    _damage_pages(Path(june))
    with caplog.at_level(logging.WARNING):
        result = _ingest_folder(store, source, date(2025, 6, 26))
    assert result.new == 20 and store.read().height == 40  # June's articles are back
    [moved] = (tmp_path / "data" / "damaged").rglob("*.parquet")
    assert moved.parent.name == "month=2025-06"
    [note] = [o for o in result.sources if o.source == "store"]
    assert str(june) in note.message and "damaged" in note.message and str(moved) in note.message
    assert str(june) in caplog.text
    assert store.read(["text"]).height == 40  # every page of the store reads again


def test_a_daily_run_decodes_no_partition_it_wrote_or_checked(tmp_path):
    """Pages are decoded only for a file changed since it was written or checked: damage
    that keeps size and modification time is not looked for by ingest, but the first read
    that meets it sets the partition aside (under the lock) and returns the others."""
    store, source = ArticleStore(tmp_path / "data"), _two_months(tmp_path / "notes")
    _ingest_folder(store, source, date(2025, 6, 25))
    may, june = (Path(p) for p in store.partitions())
    stat = june.stat()
    _damage_pages(june)
    os.utime(june, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as silent as bit rot
    assert store.set_aside_damaged() == []  # not decoded: unchanged since written
    articles = store.read()
    assert articles.height == 20 and not june.exists()
    [note] = store.damaged
    assert note.startswith(f"{june}: damaged (") and "moved to" in note
    assert [p.parent.name for p in (tmp_path / "data" / "damaged").rglob("*.parquet")] \
        == ["month=2025-06"]
    again = _ingest_folder(store, source, date(2025, 6, 26))
    assert again.new == 20 and store.read().height == 40


def test_a_garbled_http_state_reads_as_empty_with_a_warning(tmp_path, caplog):
    store = ArticleStore(tmp_path)
    store.write_http_state({"https://a.org/feed": ("etag-1", None)})
    Path(store.http_state_path).write_bytes(b"not parquet at all")
    with caplog.at_level(logging.WARNING):
        assert store.read_http_state() == {}
    assert str(store.http_state_path) in caplog.text


def test_garbled_previous_themes_start_ids_afresh_with_a_warning(tmp_path, caplog):
    store = ArticleStore(tmp_path)
    path = Path(store.themes_dir) / "run_date=2025-06-01.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1 garbage PAR1")
    with caplog.at_level(logging.WARNING):
        assert store.previous_themes(date(2025, 6, 5)) is None
    assert str(path) in caplog.text
