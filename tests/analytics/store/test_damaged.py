"""A damaged file in the store never stops later runs (issue 16, case 4): a damaged
partition is set aside and its articles are stored again; damaged caches read as empty.
Real files, truncated or garbled on disk."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

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
