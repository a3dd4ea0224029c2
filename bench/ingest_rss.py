"""Ingest the 188,235-row RSS corpus into a fresh store, then again (0 new expected).

    .venv/bin/python -m bench.ingest_rss [--repeat 3]

Each measurement runs in its own process so peak memory (ru_maxrss) is its own. The
baseline, measured in the same run, is the floor of the work: polars reading the gzip
CSV and writing it once as Parquet. Prints wall time (median of --repeat), rows per
second, peak memory, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "seeds" / "sources" / "rss-world-news.toml"
CSV = (REPO.parent / "shared" / "corpora" / "rss-world-news-2022-2023"
       / "world_news_rss_2022_2023.csv.gz")
RUN_DATE = date(2024, 1, 1)


def _child(mode: str, data_dir: str, run_date: str) -> dict:
    import polars as pl

    t0 = time.perf_counter()
    if mode == "baseline":
        df = pl.read_csv(CSV, infer_schema=False)
        df.write_parquet(Path(data_dir) / "baseline.parquet")
        rows, extra = df.height, {}
    else:
        from analytics.contracts.sources_config import load_sources
        from analytics.ingest.pipeline import ingest
        from analytics.sources.registry import read_source
        from analytics.store.articles import ArticleStore

        cfg = load_sources(SOURCES)
        batches = [read_source(s, cfg.settings) for s in cfg.sources]
        result = ingest(batches, ArticleStore(data_dir), run_date=date.fromisoformat(run_date),
                        settings=cfg.settings)
        rows = result.rows_read
        extra = {"new": result.new, "added": result.added, "duplicates": result.duplicates,
                 "near_duplicates": result.near_duplicates, "quarantined": result.quarantined}
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "rows": rows, "peak_mb": peak_mb, **extra}


def run(mode: str, data_dir: str, run_date: date) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest_rss", "--child", mode, data_dir, run_date.isoformat()],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "DATA_DIR", "RUN_DATE"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    if not CSV.exists():
        print(f"skipped: {CSV} is absent", file=sys.stderr)
        return 2
    results: dict[str, list[dict]] = {"baseline": [], "first": [], "second": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            results["baseline"].append(run("baseline", tmp, RUN_DATE))
        with tempfile.TemporaryDirectory() as tmp:
            results["first"].append(run("ingest", tmp, RUN_DATE))
            results["second"].append(run("ingest", tmp, date(2024, 1, 2)))
    base = statistics.median(r["wall"] for r in results["baseline"])
    print(f"RSS corpus: {CSV.name}, {args.repeat} repeats, medians\n")
    print(f"{'step':34} {'wall s':>7} {'rows/s':>9} {'peak MB':>8} {'x baseline':>10}")
    for name, label in (("baseline", "baseline: polars csv -> parquet"),
                        ("first", "first ingest (empty store)"),
                        ("second", "second ingest (same input)")):
        wall = statistics.median(r["wall"] for r in results[name])
        peak = statistics.median(r["peak_mb"] for r in results[name])
        rows = results[name][0]["rows"]
        print(f"{label:34} {wall:>7.2f} {rows / wall:>9,.0f} {peak:>8.0f} {wall / base:>10.1f}")
    for name in ("first", "second"):
        r = results[name][0]
        print(f"{name}: rows read {r['rows']:,}, new {r['new']:,} (near duplicates "
              f"{r['near_duplicates']:,}), exact duplicates {r['duplicates']:,}, quarantined "
              f"{r['quarantined']:,}, written {r['added']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
