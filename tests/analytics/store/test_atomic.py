"""Temporary files: only ours, and only provably stale ones, are ever cleaned (issue 16,
case 3: taking the lock deleted the temps of writers still at work, and a user's files)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from analytics.store import atomic
from analytics.store.articles import ArticleStore


def _temp(folder, name, host, pid):
    path = folder / f".{name}.tw-{host}-{pid}-abc123_x{atomic.TMP_SUFFIX}"
    path.write_bytes(b"half written")
    return path


def test_only_stale_temps_of_ours_are_removed_when_the_lock_is_taken(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        month = tmp_path / "articles" / "month=2025-06"
        month.mkdir(parents=True)
        working = _temp(month, "part-0.parquet", atomic._HOST, live.pid)
        killed = _temp(month, "part-0.parquet", atomic._HOST, dead.pid)
        remote_new = _temp(tmp_path, "fit.json", "worker_7", 12345)
        remote_old = _temp(tmp_path, "model.npz", "worker_7", 12346)
        hours_ago = time.time() - 2 * atomic.STALE_AFTER
        os.utime(remote_old, (hours_ago, hours_ago))
        users = tmp_path / ".notes.tmp"
        users.write_text("mine")
        with ArticleStore(tmp_path).lock(timeout=5):
            pass
        assert working.exists() and remote_new.exists() and users.exists()
        assert not killed.exists() and not remote_old.exists()
    finally:
        live.kill()
        live.wait()


def test_a_temp_is_named_by_its_writer_and_gone_after_the_write(tmp_path):
    seen = []
    atomic.write_with(tmp_path / "a.txt", lambda tmp: (seen.append(tmp), tmp.write_text("x")))
    assert atomic._OWNED.match(seen[0].name) and f"-{os.getpid()}-" in seen[0].name
    assert not seen[0].exists() and (tmp_path / "a.txt").read_text() == "x"
    assert not atomic.is_stale_temp(tmp_path / "a.txt")


def test_a_report_cleans_the_temps_a_killed_report_left(tmp_path):
    from analytics.report.writer import write_report
    from tests import helpers as h

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "2025-07-01"
    (out / "charts").mkdir(parents=True)
    left = _temp(out / "charts", "topic_totals.png", atomic._HOST, dead.pid)
    write_report(out, tables=h.tables(), topic_labels=h.TOPIC_LABELS, summary=h.summary(),
                 parallel=False)
    assert not left.exists() and not list(out.rglob(f"*{atomic.TMP_SUFFIX}"))
