"""A run killed mid-write (SIGKILL, no cleanup) leaves a store the next run completes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from analytics.store.atomic import TMP_SUFFIX

REPO = Path(__file__).resolve().parents[3]
# Runs one ingest in a child process that kills itself around its 3rd file replacement:
# "before" leaves a finished temporary file behind, "after" a store with some months only.
CHILD = """
import os, signal, sys
from datetime import date
when, data_dir, sources = sys.argv[1], sys.argv[2], sys.argv[3]
real_replace = os.replace
calls = []
def dying_replace(src, dst):
    calls.append(dst)
    if len(calls) == 3 and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
    if len(calls) == 3 and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = dying_replace if when != "never" else real_replace
from analytics.ingest.pipeline import ingest
from analytics.sources.registry import read_source
from analytics.contracts.sources_config import load_sources
from analytics.store.articles import ArticleStore
cfg = load_sources(sources)
ingest([read_source(s, cfg.settings) for s in cfg.sources], ArticleStore(data_dir),
       run_date=date(2025, 6, 5), settings=cfg.settings)
"""


def _corpus(path: Path, months: int = 8, per_month: int = 50) -> int:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {"url": f"https://wire.example/{m}/{i}", "title": f"Story {m}-{i}",
         "date": (start + timedelta(days=31 * m + i % 28)).isoformat(),
         "text": f"Report {m} {i}: " + " ".join(f"w{(m * 7 + i * 13 + k) % 997}" for k in range(40))}
        for m in range(months) for i in range(per_month)
    ]
    pl.DataFrame(rows).write_csv(path)
    return len(rows)


def _run(when: str, data: Path, csv: Path) -> int:
    return subprocess.run([sys.executable, "-c", CHILD, when, str(data), str(csv)], cwd=REPO,
                          capture_output=True, timeout=300).returncode


@pytest.mark.timeout(600)
@pytest.mark.parametrize("when", ["before", "after"])
def test_killed_run_then_next_run_completes(when, tmp_path):
    csv = tmp_path / "wire.csv"
    total = _corpus(csv)
    data = tmp_path / "data"
    assert _run(when, data, csv) == -9  # really killed
    parts = sorted((data / "articles").glob("month=*/part-0.parquet"))
    assert 0 < len(parts) < 8 or when == "before"
    for part in parts:  # every file there is whole
        pl.read_parquet(part)
    if when == "before":
        assert list(data.rglob(f"*{TMP_SUFFIX}")), "the kill left a temporary file"
    assert _run("never", data, csv) == 0
    stored = pl.read_parquet(sorted((data / "articles").glob("month=*/part-0.parquet")))
    assert stored.height == total and stored["article_id"].n_unique() == total
    assert not list(data.rglob(f"*{TMP_SUFFIX}"))
