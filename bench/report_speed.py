"""The report step and the daily run's flow on a large store, this tree beside a baseline
tree, in the same run (#18 part 4, #15 part 6).

    .venv/bin/python -m bench.report_speed --baseline /tmp/tw-head [--store /work/runs/rss-data]
        [--repeat 3] [--flow-repeat 3] [--work-dir /tmp/topicwatch-report-speed] [--profile]

The baseline is another checkout of the project (``git archive HEAD | tar -x -C
/tmp/tw-head``); both trees run on this venv's interpreter, each in its own process with
its tree first on ``PYTHONPATH``. ``--store`` is a store ending on 2023-07-01 (made by
``topicwatch run --sources seeds/sources/rss-world-news.toml --run-date 2023-07-01``;
never written to). Steps:

0. **Stores**: a copy of ``--store`` per tree, its months tagged by that tree's tagger
   (the checkouts' taggers differ) with the taxonomy of this checkout, copied first.
1. **Inputs**: one daily run of 2023-07-02 (the RSS corpus's 223 items of that day, as in
   ``bench/daily_run.py``) with this tree, on a copy of the store; the tables, labels and
   run summary it passes to ``write_report`` are saved (Parquet, pickle).
2. **Report step**: ``write_report`` on those inputs (as the flow calls it: PNGs in a
   forked child while the PDF is drawn), baseline and this tree alternating, ``--repeat``
   each, in fresh processes; medians. Also the pages' count and the report folder's size.
3. **Daily run**: the whole flow of 2023-07-02 on a fresh copy of the store under
   Prefect's test harness, baseline and this tree alternating, ``--flow-repeat`` each;
   the flow's wall time and its report task's, medians.

The 1-minute load is printed at each start: other work on the machine moves the figures,
which is why the two trees alternate. ``--profile`` adds one cProfile of the report step
per tree (top functions by own time). Writes only under the work dir.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAY = date(2023, 7, 2)


def _day_sources(work: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from bench.daily_run import CORPUS, build_inputs

    return build_inputs(work, CORPUS)["day"]


# -- children (run with a tree first on PYTHONPATH) ------------------------------------------

def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the baseline's PNG
    process): less moved by other work on the machine than wall time."""
    own, done = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime


def child_report(inputs: Path, out: Path, profile: bool) -> dict:
    t0 = time.perf_counter()
    import polars as pl

    from analytics.report.writer import write_report
    imported = time.perf_counter() - t0
    with (inputs / "rest.pickle").open("rb") as f:
        rest = pickle.load(f)  # noqa: S301 (written by this bench)
    tables = {p.stem: pl.read_parquet(p) for p in sorted((inputs / "tables").glob("*.parquet"))}
    prof = cProfile.Profile() if profile else None
    t0, cpu0 = time.perf_counter(), _cpu()
    if prof:
        prof.enable()
    files = write_report(out, tables=tables, topic_labels=rest["topic_labels"],
                         summary=rest["summary"])
    if prof:
        prof.disable()
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result = {"report": seconds, "report CPU": cpu, "import writer": imported,
              "pages": files.pages,
              "folder MB": size / 1e6}
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(18)
        result["profile"] = "\n".join(
            line for line in buf.getvalue().splitlines()[6:] if line.strip())
    return result


def child_refresh(store: Path, taxonomy: Path) -> dict:
    """Tag the months whose topic results this tree's tagger has not made (its fingerprint
    covers the taxonomy and the tagging code), so that a daily run tags only its day."""
    from analytics.contracts.taxonomy import load_taxonomy
    from analytics.store.articles import ArticleStore
    from analytics.store.derived import DerivedStore

    derived = DerivedStore(ArticleStore(store), load_taxonomy(taxonomy))
    stale = derived.stale_months()
    for month in stale:
        derived.update_month(month)
    return {"months": len(stale)}


def child_flow(sources: Path, taxonomy: Path, data: Path, reports: Path) -> dict:
    from prefect.testing.utilities import prefect_test_harness

    import flows.topic_report as flow_mod

    spans: list[float] = []
    original = flow_mod.report_task.fn

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spans.append(time.perf_counter() - t0)

    flow_mod.report_task.fn = timed
    with prefect_test_harness(server_startup_timeout=120):
        t0, cpu0 = time.perf_counter(), time.process_time()
        flow_mod.topic_report(sources=str(sources), taxonomy=str(taxonomy), data_dir=str(data),
                              reports_dir=str(reports), run_date=DAY.isoformat())
        total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"flow": total, "flow CPU (this process)": cpu, "report task": sum(spans)}


def child_capture(sources: Path, taxonomy: Path, data: Path, reports: Path,
                  inputs: Path) -> dict:
    from prefect.testing.utilities import prefect_test_harness

    import analytics.report.writer as writer  # the flow imports it from there when it runs
    import flows.topic_report as flow_mod

    original = writer.write_report
    captured: dict = {}

    def keep(out_dir, **kwargs):
        captured.update(kwargs)
        return original(out_dir, **kwargs)

    writer.write_report = keep
    if hasattr(flow_mod, "write_report"):  # a checkout whose flow imports it at the top
        flow_mod.write_report = keep
    with prefect_test_harness(server_startup_timeout=120):
        flow_mod.topic_report(sources=str(sources), taxonomy=str(taxonomy), data_dir=str(data),
                              reports_dir=str(reports), run_date=DAY.isoformat())
    (inputs / "tables").mkdir(parents=True, exist_ok=True)
    for name, df in captured["tables"].items():
        df.write_parquet(inputs / "tables" / f"{name}.parquet")
    with (inputs / "rest.pickle").open("wb") as f:
        pickle.dump({"topic_labels": captured["topic_labels"],
                     "summary": captured["summary"]}, f)
    return {"tables": len(captured["tables"])}


# -- parent -----------------------------------------------------------------------------------

def run_child(tree: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PYTHONPATH": str(tree), "MPLBACKEND": "Agg", "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args],
                         cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"child failed in {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fresh(base: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(base, dest)
    return dest


def _table(title: str, rows: dict[str, list[dict]], keys: list[str]) -> None:
    names = list(rows)
    print(f"\n{title}")
    print(f"  {'':22}" + "".join(f"{n:>14}" for n in names) + f"{'ratio':>8}")
    for key in keys:
        values = [statistics.median(r[key] for r in rows[n]) for n in names]
        ratio = values[0] / values[1] if values[1] else float("nan")
        print(f"  {key:22}" + "".join(f"{v:14.2f}" for v in values) + f"{ratio:8.2f}")
    loads = " ".join(f"{r['load']:.1f}" for n in names for r in rows[n])
    print(f"  (medians of {', '.join(f'{n}: {len(rows[n])}' for n in names)}; ratio = "
          f"{names[0]} / {names[1]}; 1-min load at each start: {loads})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--baseline", type=Path)
    p.add_argument("--tree", type=Path, default=REPO,
                   help="the tree to measure (default this checkout)")
    p.add_argument("--store", type=Path, default=REPO.parent / "runs" / "rss-data")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--flow-repeat", type=int, default=3)
    p.add_argument("--work-dir", type=Path,
                   default=Path(tempfile.gettempdir()) / "topicwatch-report-speed")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--reuse", action="store_true",
                   help="keep the tagged stores and inputs a previous --keep run left")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        paths = [Path(x) for x in rest]
        result = {"report": lambda: child_report(paths[0], paths[1], args.profile),
                  "flow": lambda: child_flow(*paths),
                  "capture": lambda: child_capture(*paths),
                  "refresh": lambda: child_refresh(*paths)}[kind]()
        print(json.dumps(result))
        return 0
    if args.baseline is None or not (args.baseline / "analytics").is_dir():
        raise SystemExit("--baseline: a checkout of the project to compare with")
    if not (args.store / "articles").is_dir():
        print(f"skipped: {args.store} is not a store")
        return 2
    work = args.work_dir.resolve()
    if work == REPO or REPO in work.parents:
        raise SystemExit(f"--work-dir {work} is inside the repository")
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    trees = {"this tree": args.tree.resolve(), "baseline": args.baseline.resolve()}
    print(f"bench.report_speed: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"baseline {trees['baseline']}")
    sources = _day_sources(work)
    taxonomy = work / "taxonomy.toml"  # pinned: the checkout's may change meanwhile
    if not (args.reuse and taxonomy.is_file()):
        shutil.copy(REPO / "seeds" / "taxonomy.toml", taxonomy)
    bases = {}
    for name, tree in trees.items():
        bases[name] = work / f"store-base-{name.replace(' ', '-')}"
        if not (args.reuse and bases[name].is_dir()):
            _fresh(args.store, bases[name])
        tagged = run_child(tree, "refresh", str(bases[name]), str(taxonomy))
        print(f"  {name}: {tagged['months']} months tagged for its tagger (outside the runs)")
    inputs = work / "inputs"
    if not (args.reuse and (inputs / "rest.pickle").is_file()):
        run_child(trees["this tree"], "capture", str(sources), str(taxonomy),
                  str(_fresh(bases["this tree"], work / "store-capture")),
                  str(work / "rep-capture"), str(inputs))

    reports: dict[str, list[dict]] = {name: [] for name in trees}
    for i in range(max(args.repeat, 1)):
        for name, tree in trees.items():
            load = os.getloadavg()[0]
            out = work / f"report-{name.replace(' ', '-')}-{i}"
            reports[name].append({**run_child(tree, "report", str(inputs), str(out)),
                                  "load": load})
            print(f"  report {i + 1} {name}: {reports[name][-1]['report']:.2f} s")
    _table("== Report step (write_report as the flow calls it), seconds ==", reports,
           [k for k in ("report", "report CPU", "import writer", "pages", "folder MB")
            if all(k in r for rows in reports.values() for r in rows)])

    flows: dict[str, list[dict]] = {name: [] for name in trees}
    for i in range(max(args.flow_repeat, 0)):
        for name, tree in trees.items():
            load = os.getloadavg()[0]
            data = _fresh(bases[name], work / "store-flow")
            flows[name].append({**run_child(tree, "flow", str(sources), str(taxonomy), str(data),
                                            str(work / f"rep-flow-{i}")), "load": load})
            print(f"  daily run {i + 1} {name}: flow {flows[name][-1]['flow']:.2f} s")
    if args.flow_repeat > 0:
        _table(f"== Daily run of {DAY} (+223 items) on the large store, flow only, seconds ==",
               flows, [k for k in ("flow", "flow CPU (this process)", "report task")
                       if all(k in r for rows in flows.values() for r in rows)])
    if args.profile:
        for name, tree in trees.items():
            out = run_child(tree, "report", str(inputs), str(work / f"prof-{name[:4]}"),
                            "--profile")
            print(f"\n-- cProfile of the report step, {name} (by own time) --\n"
                  f"{out['profile']}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
