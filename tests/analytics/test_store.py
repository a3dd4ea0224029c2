import errno
import threading
from datetime import UTC, date, datetime

import polars as pl
import pytest

from analytics import atomic, schema
from analytics.normalize import to_articles
from analytics.store import ArticleStore, StoreLockedError


def _articles(n, month=6, start=0):
    return to_articles(pl.DataFrame(
        {"source": "s", "location": [f"f:{i}" for i in range(start, start + n)], "url": None,
         "guid": None, "title": [f"t{i}" for i in range(start, start + n)],
         "published_at": [datetime(2025, month, 1 + i % 28, tzinfo=UTC) for i in range(n)],
         "text": [f"text number {i}" for i in range(start, start + n)], "language": "en",
         "metadata": None},
        schema=schema.PARSED))


def test_add_is_idempotent_and_partitioned_by_month(tmp_path):
    store = ArticleStore(tmp_path)
    rows = pl.concat([_articles(3, 5), _articles(2, 6, start=3)])
    assert store.add(rows) == 5
    assert store.add(rows) == 0
    assert [p.parent.name for p in store.partitions()] == ["month=2025-05", "month=2025-06"]
    back = store.read()
    assert back.height == 5 and back.schema == pl.Schema(schema.ARTICLES)
    # readable without topicwatch, with Hive partitions
    hive = pl.read_parquet(tmp_path / "articles", hive_partitioning=True)
    assert set(hive["month"].cast(pl.String)) == {"2025-05", "2025-06"}


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    store = ArticleStore(tmp_path)
    store.add(_articles(2))
    part = store.partitions()[0]
    before = part.read_bytes()

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.add(_articles(2, start=10))
    assert part.read_bytes() == before
    assert not list(tmp_path.rglob(f"*{atomic.TMP_SUFFIX}"))


def test_lock_excludes_a_second_writer(tmp_path):
    store = ArticleStore(tmp_path)
    with store.lock(), pytest.raises(StoreLockedError, match="another topicwatch run"):
        ArticleStore(tmp_path).lock(timeout=0.1).__enter__()


def test_concurrent_adds_store_each_article_once(tmp_path):
    rows = _articles(20)
    errors = []

    def writer():
        try:
            store = ArticleStore(tmp_path)
            with store.lock():
                store.add(rows)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ArticleStore(tmp_path).read()["article_id"].n_unique() == 20
    assert ArticleStore(tmp_path).read().height == 20


def test_quarantine_is_replaced_per_run_date(tmp_path):
    store = ArticleStore(tmp_path)
    q = pl.DataFrame({"source": ["s"], "location": ["f:1"], "reason": ["empty file"]})
    store.write_quarantine(date(2025, 6, 5), q)
    path = store.write_quarantine(date(2025, 6, 5), q)
    assert pl.read_parquet(path).height == 1
