import errno
import json
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.contracts import schema
from analytics.ingest.normalize import to_articles
from analytics.store import atomic
from analytics.store.articles import ArticleStore, StoreLockedError
from analytics.store.backends import LOCK_STALE_AFTER

ROOT = Path(__file__).resolve().parents[3]


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


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_written_files_get_the_mode_the_umask_gives(tmp_path, umask):
    """Not mkstemp's owner-only 0600: a report or store others may read stays readable."""
    script = (f"import os, sys; os.umask({umask:#o}); from analytics.store import atomic; "
              "import polars as pl; atomic.write_bytes(sys.argv[1] + '/a.txt', b'x'); "
              "atomic.write_parquet(pl.DataFrame({'a': [1]}), sys.argv[1] + '/b.parquet')")
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, cwd=ROOT)
    for name in ("a.txt", "b.parquet"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_lock_excludes_a_second_writer(tmp_path):
    store = ArticleStore(tmp_path)
    with store.lock(), pytest.raises(StoreLockedError, match="another topicwatch run"):
        ArticleStore(tmp_path).lock(timeout=0.1).__enter__()


def test_deleting_files_in_the_store_does_not_free_a_held_lock(tmp_path):
    """Issue 16, case 2: with a lock file, unlinking data/.lock while a run held it let a
    second run lock a fresh file and overwrite the first run's rows."""
    script = ("import sys, time; from analytics.store.articles import ArticleStore\n"
              "with ArticleStore(sys.argv[1]).lock():\n"
              "    print('held', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for leftover in tmp_path.glob(".*"):
            leftover.unlink()
        with pytest.raises(StoreLockedError, match="another topicwatch run"):
            ArticleStore(tmp_path).lock(timeout=0.5).__enter__()
    finally:
        holder.kill()
        holder.wait()
    with ArticleStore(tmp_path).lock(timeout=5):  # the holder's death frees it
        pass


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


# The store on an object store (fsspec URL): memory:// always, S3 on moto's server.

def test_store_on_object_store_matches_a_folder(store_url, tmp_path):
    store, local = ArticleStore(store_url), ArticleStore(tmp_path)
    rows = pl.concat([_articles(3, 5), _articles(2, 6, start=3)])
    assert store.add(rows) == local.add(rows) == 5
    assert store.add(rows) == 0
    assert store.add(_articles(1, 6, start=7)) == local.add(_articles(1, 6, start=7)) == 1
    assert store.months() == local.months() == ["2025-05", "2025-06"]
    assert [p.parent.name for p in store.partitions()] == ["month=2025-05", "month=2025-06"]
    assert_frame_equal(store.read(), local.read())
    assert_frame_equal(store.read_month("2025-06", ["article_id", "title"]),
                       local.read_month("2025-06", ["article_id", "title"]))
    assert_frame_equal(store.keys(), local.keys())
    # the same Parquet files, readable with fsspec alone
    fs = store.storage.fs
    for remote, folder in zip(store.partitions(), local.partitions(), strict=True):
        assert fs.cat_file(str(remote)) == folder.read_bytes()
    assert store.url == store_url


def test_quarantine_http_state_and_themes_on_object_store(store_url):
    store = ArticleStore(store_url)
    q = pl.DataFrame({"source": ["s"], "location": ["f:1"], "reason": ["empty file"]})
    store.write_quarantine(date(2025, 6, 5), q)
    path = store.write_quarantine(date(2025, 6, 5), q)
    assert_frame_equal(store.storage.read_parquet([path]), q)
    assert store.read_http_state() == {}
    store.write_http_state({"https://a.example/feed": ('"e1"', None)})
    store.write_http_state({"https://b.example/feed": (None, "Wed, 04 Jun 2025")})
    assert ArticleStore(store_url).read_http_state() == {
        "https://a.example/feed": ('"e1"', None),
        "https://b.example/feed": (None, "Wed, 04 Jun 2025")}
    themes = schema.conform(pl.DataFrame({"theme_id": [0], "label": ["air defence"],
                                          "top_terms": [["air"]], "size": [3]}), "themes")
    assert store.previous_themes(date(2025, 6, 5)) is None
    store.write_themes(date(2025, 6, 1), themes)
    store.write_themes(date(2025, 6, 5), themes.with_columns(pl.col("size") + 1))
    assert store.previous_themes(date(2025, 6, 5))["size"].to_list() == [3]


def test_lock_on_object_store_excludes_a_second_writer_and_is_released(store_url):
    store = ArticleStore(store_url)
    with store.lock():
        held = json.loads(store.storage.read_bytes(store.root / ".lock"))
        assert {"owner", "host", "pid", "acquired_at"} <= set(held)
        with pytest.raises(StoreLockedError,
                           match=re.escape(store_url) + ": another topicwatch run holds"):
            ArticleStore(store_url).lock(timeout=0.2).__enter__()
    assert not store.storage.exists(store.root / ".lock")
    with ArticleStore(store_url).lock(timeout=0.2):  # free again
        pass


@pytest.mark.parametrize("left", ["old", "garbled"])
def test_stale_lock_on_object_store_is_taken_over(store_url, left):
    store = ArticleStore(store_url)
    lock = store.root / ".lock"
    body = (json.dumps({"owner": "killed-run", "host": "h", "pid": 1,
                        "acquired_at": time.time() - LOCK_STALE_AFTER - 60})
            if left == "old" else "not a lock of ours")
    store.storage.write_bytes(lock, body.encode())
    with store.lock(timeout=0.2):
        assert json.loads(store.storage.read_bytes(lock))["owner"] != "killed-run"
        store.add(_articles(2))
    assert not store.storage.exists(lock)
    assert store.read().height == 2


def test_file_url_is_a_folder(tmp_path):
    store = ArticleStore(f"file://{tmp_path}")
    with store.lock():
        assert store.add(_articles(2)) == 2
    assert store.root == tmp_path
    assert ArticleStore(tmp_path).read().height == 2
