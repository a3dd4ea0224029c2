"""A daily run on a large store, stage by stage, and where the seed run's time goes (#15.6, #18).

    .venv/bin/python -m bench.daily_run [--work-dir /tmp/topicwatch-daily] [--repeat 3]
        [--seed-repeat 3] [--large-store /work/runs/rss-data] [--build-large]
        [--refit] [--profile] [--skip-daily] [--skip-seed] [--skip-cli] [--keep] [--corpus CSV.gz]

About 8 minutes on 2 cores at load 3 with the defaults: 3.5 for the in-process part
(``--skip-seed --skip-cli``), 4.5 for the CLI runs alone (``--skip-daily``);
``--build-large`` adds about a minute, ``--refit`` about 30 s, ``--profile`` about 40 s.
Figures and where the time goes: ``bench/README_daily.md``.

**Stores.** The large store is the RSS corpus
(``../shared/corpora/rss-world-news-2022-2023``, 188,235 items) run through the real flow
with ``seeds/sources/rss-world-news.toml`` and ``--run-date 2023-07-01``: 118,205 stored
articles, 2022-01-01 to 2023-07-01, its themes fitted on 2023-07-01. By default it is
copied from ``--large-store`` (``/work/runs/rss-data``, made by ``topicwatch run`` that
way; never written to), with ``--build-large`` (or when that folder is absent) built here
by that run. The tiny store (the baseline) is the corpus's 247 items of 2023-07-01 run
through the flow with the same run date (the first flow run of the process: its warm-up).

**The daily run.** The corpus's 223 items published on 2023-07-02 (the day after either
store ends; the first run quarantined them as future), written to ``WORK/daily/day.csv``
and read as a ``table`` source with the RSS column mapping, run with ``--run-date
2023-07-02``: themes are placed into the fit of 2023-07-01 (``themes_refit_days`` 7).
Each repetition starts from a fresh copy of its store; large and tiny runs alternate;
medians of ``--repeat`` runs (at least 3). The flow is ``flows.topic_report.topic_report``
under Prefect's test harness (one temporary server, as the tests do), so its total is the
flow alone, without imports or server start. ``--refit`` adds one large run that refits
the themes (``themes_refit_days=0``), the weekly cost. A copied store whose topic results
another tagger made (the fingerprint covers the taxonomy and the tagging code) is tagged
once before the runs, outside them.

**Stages.** Each task's function and the analytics calls inside it are wrapped with a
timer for the run (the real code runs; nothing is replaced): a stage is the union of its
calls' wall intervals, so the per-source and per-month tasks that run on threads count
once. "Prefect" is the flow's wall time outside any task function (orchestration, state
round trips to the server). The report writes its tables on a thread while it draws; the
report is therefore also replayed alone on the tables of the last large run
(``write_report(parallel=False)``, same repetitions) where every part is serial and its
own figure. The report beside a baseline checkout, in the same run: ``bench/report_speed.py``.

**Seed run and CLI** (each its own process, a fresh empty folder, as a user runs it):
``topicwatch run`` on the one seed article, split by its log's timestamps into start-up
(interpreter + imports, until "Starting temporary server"), the temporary server (until
"Beginning flow run"; a fresh folder has no ``.prefect`` database yet), the flow, and the
server stop; a second run in the same folder (database kept); ``import flows.topic_report``
alone. With the CLI the large daily run once, wall and peak memory (``os.wait4``).

``--profile`` runs one more large daily run under cProfile and prints the functions with
the largest own and cumulative time (``WORK/profile.pstats``). Writes only under the work
dir (refused inside the repository); deletes it at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpora" / "rss-world-news-2022-2023" / \
    "world_news_rss_2022_2023.csv.gz"
RSS_SOURCES = REPO / "seeds" / "sources" / "rss-world-news.toml"
STORE_END = date(2023, 7, 1)
DAY = date(2023, 7, 2)
MAPPING = ('columns = { text = ["title", "description"], title = "title", '
           'date = "published_utc", url = "link", source = "outlet" }')


# -- timing -------------------------------------------------------------------------------

class Spans:
    """Wall intervals of wrapped calls, by label."""

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.saved: dict[str, Any] = {}

    def wrap(self, label: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spans[label].append((t0, time.perf_counter()))
        return timed

    def seconds(self) -> dict[str, float]:
        return {label: _union(spans) for label, spans in self.spans.items()}

    def reset(self) -> None:
        self.spans.clear()


def _union(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


@contextlib.contextmanager
def instrumented(spans: Spans) -> Iterator[None]:
    """Wrap each task's function and the analytics calls inside them with ``spans``;
    restored on exit. A name a module no longer has is skipped (the report code moves)."""
    import analytics.report.charts as charts_mod
    import analytics.report.claims_table as claims_table
    import analytics.report.facts as facts
    import analytics.report.markdown as markdown_mod
    import analytics.report.pages as pages_mod
    import analytics.report.writer as writer
    import analytics.themes.fits as fits
    import analytics.trends.tables as trend_tables
    import flows.topic_report as flow_mod
    from analytics.store.articles import ArticleStore
    from analytics.store.derived import DerivedStore

    tasks = {"load_taxonomy_task": "config", "load_sources_task": "config",
             "read_source_task": "read sources", "ingest_task": "ingest",
             "stale_partitions_task": "tag", "tag_partition_task": "tag",
             "themes_task": "themes", "read_store_task": "read store + derived",
             "read_derived_task": "read store + derived", "trends_task": "trends",
             "theme_trends_task": "theme trends", "report_task": "report",
             "publish_task": "artifacts"}
    patches: list[tuple[Any, str, str]] = [
        (ArticleStore, "add", "ingest: store add"),
        (DerivedStore, "update_month", "tag: tag a month"),
        (fits.ThemeFits, "latest", "themes: load the fit"),
        (fits, "_unseen", "themes: read new texts"),
        (fits, "extend_themes", "themes: place new"),
        (fits, "fit_themes", "themes: refit"),
        (fits.ThemeFits, "save", "themes: save the fit"),
        (trend_tables, "all_trends", "trends: counts"),
        (trend_tables, "topic_bursts", "trends: bursts"),
        (trend_tables, "emerging_topics", "trends: emerging"),
        (trend_tables, "cooccurrence", "trends: cooccurrence"),
        (trend_tables, "source_shares", "trends: source shares"),
        (trend_tables, "burst_stories", "trends: burst stories"),
        # The writer imports these when it runs: timed where they are defined.
        (pages_mod, "build_pages", "report: pages (facts + layout)"),
        (charts_mod, "freeze_layout", "report: freeze layout"),
        (writer, "_write_standalone_charts", "report: PNGs drawn alone"),
        (writer, "_draw_page_charts", "report: chart pages drawn once, PNGs cut"),
        (writer, "_write_pdf", "report: PDF write"),
        (writer, "_write_tables", "report: tables (on a thread)"),
        (markdown_mod, "summary_markdown", "report: summary.md"),
        (writer, "topic_totals", "report: topic totals"),
        (claims_table, "latest_levels", "report: claim levels"),
        *[(facts, name, "report: facts") for name in dir(facts)
          if not name.startswith("_") and callable(getattr(facts, name))
          and getattr(getattr(facts, name), "__module__", "") == facts.__name__],
    ]
    undo: list[Callable[[], None]] = []
    try:
        for name, label in tasks.items():
            task = getattr(flow_mod, name, None)
            if task is not None:
                original = task.fn
                task.fn = spans.wrap(label, original)
                undo.append(functools.partial(setattr, task, "fn", original))
        for owner, name, label in patches:
            original = owner.__dict__.get(name)
            if original is None:
                print(f"  (not timed: {getattr(owner, '__name__', owner)}.{name} is gone)")
                continue
            setattr(owner, name, spans.wrap(label, original))
            undo.append(functools.partial(setattr, owner, name, original))
        original_cut = writer.__dict__.get("_cut_page_charts")
        if original_cut is not None:
            def cut(*args, **kwargs):
                return spans.wrap("report: PNGs (wait for the child)",
                                  original_cut(*args, **kwargs))
            writer._cut_page_charts = spans.wrap("report: PNGs (fork)", cut)
            undo.append(functools.partial(setattr, writer, "_cut_page_charts", original_cut))
        yield
    finally:
        for restore in reversed(undo):
            restore()


# -- inputs -------------------------------------------------------------------------------

def _sources_file(path: Path, table: Path, comment: str) -> Path:
    path.write_text(f"# {comment}\n[[source]]\nid = \"rss-world-news\"\nkind = \"table\"\n"
                    f"path = \"{table}\"\n{MAPPING}\n")
    return path


def build_inputs(work: Path, corpus_csv: Path) -> dict[str, Path]:
    """The daily CSV (items of DAY) and the tiny store's CSV (items of STORE_END)."""
    import polars as pl

    folder = work / "daily"
    folder.mkdir(parents=True, exist_ok=True)
    corpus = pl.read_csv(corpus_csv, infer_schema_length=0)
    day = pl.col("published_utc").str.slice(0, 10)
    paths = {}
    for name, when in (("day", DAY), ("tiny", STORE_END)):
        csv = folder / f"{name}.csv"
        corpus.filter(day == when.isoformat()).write_csv(csv)
        paths[name] = _sources_file(folder / f"{name}.toml", csv,
                                    f"the RSS corpus's items of {when}")
    return paths


def refresh_derived(store: Path) -> tuple[int, float]:
    """Tag the months whose topic results this code has not made (a store copied from an
    older checkout has another tagger fingerprint), so the daily runs tag only the new day."""
    from analytics.contracts.taxonomy import load_taxonomy
    from analytics.store.articles import ArticleStore
    from analytics.store.derived import DerivedStore
    from flows import defaults

    derived = DerivedStore(ArticleStore(store), load_taxonomy(defaults.default_taxonomy()))
    t0 = time.perf_counter()
    stale = derived.stale_months()
    for month in stale:
        derived.update_month(month)
    return len(stale), time.perf_counter() - t0


def _latest_day(store: Path) -> date:
    import polars as pl

    latest = pl.scan_parquet(store / "articles" / "*" / "*.parquet", hive_partitioning=False)
    return latest.select(pl.col("published_at").max()).collect().item().date()


# -- flow runs ----------------------------------------------------------------------------

def run_flow(spans: Spans, *, sources: Path, data: Path, reports: Path, run_date: date,
             refit_days: int = 7) -> dict[str, float]:
    from flows.topic_report import topic_report

    spans.reset()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with instrumented(spans):
        topic_report(sources=str(sources), data_dir=str(data), reports_dir=str(reports),
                     run_date=run_date.isoformat(), themes_refit_days=refit_days)
    total = time.perf_counter() - t0
    seconds = spans.seconds()
    tasks = _union([s for label, v in spans.spans.items() if ":" not in label for s in v])
    return {**seconds, "Prefect (outside tasks)": total - tasks, "flow total": total,
            "load": load}


def fresh_copy(base: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(base, dest)
    return dest


ORDER = ["config", "read sources", "ingest", "ingest: store add", "tag", "tag: tag a month",
         "themes", "themes: load the fit", "themes: read new texts", "themes: place new",
         "themes: refit", "themes: save the fit", "read store + derived", "trends",
         "trends: counts", "trends: bursts", "trends: emerging", "trends: cooccurrence",
         "trends: source shares", "trends: burst stories", "theme trends", "report",
         "report: facts", "report: pages (facts + layout)", "report: freeze layout",
         "report: PNGs drawn alone", "report: chart pages drawn once, PNGs cut",
         "report: PNGs (fork)", "report: PDF write",
         "report: summary.md", "report: PNGs (wait for the child)",
         "report: tables (on a thread)", "report: topic totals", "report: claim levels",
         "artifacts", "Prefect (outside tasks)", "flow total"]


def _median(runs: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def print_stages(title: str, columns: dict[str, list[dict[str, float]]],
                 share_of: str) -> None:
    names = list(columns)
    print(f"\n{title}")
    head = f"  {'stage':38}" + "".join(f"{n:>14}" for n in names)
    print(head + f"{'ratio':>8}{'share':>8}")
    keys = [k for k in ORDER if any(k in r for runs in columns.values() for r in runs)]
    keys += sorted({k for runs in columns.values() for r in runs for k in r} - set(keys)
                   - {"load"})
    total = _median(columns[share_of], "flow total") or 1.0
    for key in keys:
        values = [_median(columns[n], key) for n in names]
        cells = "".join(f"{v:14.2f}" if v is not None else f"{'-':>14}" for v in values)
        ratio = (f"{values[0] / values[1]:8.1f}" if len(values) > 1 and values[0]
                 and values[1] and values[1] > 0.005 else f"{'':8}")
        own = _median(columns[share_of], key)
        share = f"{own / total:8.0%}" if own is not None else ""
        indent = "    " if ":" in key else "  "
        print(f"{indent}{key:{38 - len(indent) + 2}}" + cells + ratio + share)
    loads = [f"{r['load']:.1f}" for runs in columns.values() for r in runs if "load" in r]
    print(f"  (seconds, medians of {', '.join(f'{n}: {len(c)}' for n, c in columns.items())} "
          f"runs; ratio = {names[0]} / {names[1] if len(names) > 1 else '-'}; share of "
          f"{share_of}'s flow total; 1-min load at each start: {' '.join(loads)})")


def replay_report(spans: Spans, captured: dict, out: Path) -> dict[str, float]:
    """``write_report`` alone on the captured inputs, serially (no fork, no thread)."""
    from analytics.report.writer import write_report

    spans.reset()
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    with instrumented(spans):
        write_report(out, tables=captured["tables"], topic_labels=captured["topic_labels"],
                     summary=captured["summary"], parallel=False)
    return {**spans.seconds(), "flow total": time.perf_counter() - t0,
            "load": os.getloadavg()[0]}


@contextlib.contextmanager
def capture_report_inputs(captured: dict) -> Iterator[None]:
    import analytics.report.writer as flow_mod  # the flow imports it from there when it runs

    original = flow_mod.write_report

    def keep(out_dir, **kwargs):
        captured.update(kwargs)
        return original(out_dir, **kwargs)

    flow_mod.write_report = keep
    try:
        yield
    finally:
        flow_mod.write_report = original


def profile_run(work: Path, large_base: Path, sources: Path) -> None:
    from flows.topic_report import topic_report

    data = fresh_copy(large_base, work / "store-profile")
    prof = cProfile.Profile()
    prof.enable()
    topic_report(sources=str(sources), data_dir=str(data), reports_dir=str(work / "rep-prof"),
                 run_date=DAY.isoformat())
    prof.disable()
    out = work / "profile.pstats"
    prof.dump_stats(out)
    for key, n in (("tottime", 30), ("cumulative", 60)):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key)
        stats.print_stats(n)
        print(f"\n-- cProfile of one large daily run, by {key} (main process and its threads "
              f"only; {out}) --")
        print("\n".join(line for line in buf.getvalue().splitlines()[6:] if line.strip()))


# -- the CLI ------------------------------------------------------------------------------

LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| \w+ +\| (.*)$")


def cli(args: list[str], cwd: Path) -> tuple[float, float, int, list[tuple[float, str]]]:
    """Run ``topicwatch ARGS`` in ``cwd``: wall s, peak MB, exit code, and its log lines
    as (seconds since the start, message)."""
    # The console script's own call, on the code this bench runs (a checkout or a copy).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    started = datetime.now()
    t0 = time.perf_counter()
    with open(cwd / "cli.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-c", "from flows.cli import main; main()",
                                 *args], cwd=cwd, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    lines = []
    midnight = started.replace(hour=0, minute=0, second=0, microsecond=0)
    for line in (cwd / "cli.log").read_text().splitlines():
        if m := LOG_TIME.match(line):
            h, mi, s, ms, msg = m.groups()
            at = midnight.timestamp() + int(h) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1e3
            lines.append((at - started.timestamp(), msg))
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), lines


def split_cli(wall: float, lines: list[tuple[float, str]]) -> dict[str, float]:
    """Start-up, server, flow (per task, by finish times), server stop."""
    def at(pattern: str) -> float | None:
        return next((t for t, msg in lines if re.search(pattern, msg)), None)

    server = at(r"Starting temporary server")
    begin = at(r"Beginning flow run")
    end = at(r"^Flow run .* Finished in state")
    out: dict[str, float] = {"wall": wall}
    if server is None or begin is None or end is None:
        return out
    out |= {"start-up (interpreter, imports)": server, "temporary server start": begin - server,
            "flow": end - begin, "server stop, exit": wall - end}
    previous = begin
    for t, msg in lines:
        if m := re.match(r"Task run '(.+?)' - Finished", msg):
            name = re.sub(r"-[0-9a-f]{3}$", "", m.group(1))
            name = "tag-partition" if name.startswith("tag-partition") else name
            name = "read-source" if name.startswith("read-source") else name
            out[f"flow: {name}"] = out.get(f"flow: {name}", 0.0) + max(t - previous, 0.0)
            previous = max(previous, t)
    out["flow: after the last task"] = end - previous
    return out


def seed_runs(work: Path, repeat: int) -> None:
    runs, warm = [], []
    for i in range(repeat):
        folder = work / f"seed-{i}"
        folder.mkdir(parents=True)
        wall, peak, code, lines = cli(["run"], folder)
        if code:
            raise SystemExit(f"topicwatch run failed ({code}); see {folder / 'cli.log'}")
        runs.append({**split_cli(wall, lines), "peak MB": peak, "load": os.getloadavg()[0]})
        wall, peak, code, lines = cli(["run"], folder)  # again: .prefect's database kept
        warm.append({**split_cli(wall, lines), "peak MB": peak, "load": os.getloadavg()[0]})
    imports = []
    for _ in range(repeat):
        code = "import time; t = time.perf_counter(); import flows.topic_report; " \
               "print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=REPO, check=True)
        imports.append({"import flows.topic_report": float(out.stdout)})
    print("\n== The seed run: `topicwatch run` on one article from an empty folder ==")
    keys = list(dict.fromkeys(k for r in runs + warm for k in r if k != "load"))
    print(f"  {'part':38}{'fresh folder':>14}{'rerun, db kept':>16}")
    def cell(v: float | None) -> str:
        return f"{v:14.2f}" if v is not None else f"{'-':>14}"

    for key in keys:
        print(f"  {key:38}{cell(_median(runs, key))}{cell(_median(warm, key)):>16}")
    print(f"  {'import flows.topic_report (alone)':38}"
          f"{_median(imports, 'import flows.topic_report'):14.2f}")
    loads = " ".join(f"{r['load']:.1f}" for r in runs + warm)
    print(f"  (seconds; medians of {repeat}; 1-min load: {loads})")


def cli_daily(work: Path, large_base: Path, sources: Path) -> None:
    folder = work / "cli-daily"
    folder.mkdir()
    data = fresh_copy(large_base, folder / "data")
    wall, peak, code, lines = cli(["run", "--sources", str(sources), "--data-dir", str(data),
                                   "--run-date", DAY.isoformat()], folder)
    if code:
        raise SystemExit(f"topicwatch run failed ({code}); see {folder / 'cli.log'}")
    parts = split_cli(wall, lines)
    print("\n== The large daily run with the CLI (once, fresh folder) ==")
    for key, value in parts.items():
        print(f"  {key:38}{value:14.2f}")
    print(f"  {'peak memory (MB)':38}{peak:14.0f}")


def daily_runs(args: argparse.Namespace, work: Path, inputs: dict[str, Path],
               large_base: Path) -> None:
    """The in-process part: both stores, the daily runs, the report alone, refit, profile."""
    from prefect.testing.utilities import prefect_test_harness

    spans = Spans()
    with prefect_test_harness(server_startup_timeout=120):
        tiny_base = work / "tiny-base"
        first = run_flow(spans, sources=inputs["tiny"], data=tiny_base,
                         reports=work / "rep-tiny-base", run_date=STORE_END)
        print(f"tiny store built ({STORE_END}, first flow run of the process, warm-up): "
              f"{first['flow total']:.1f} s")
        if args.build_large or not args.large_store.is_dir():
            built = run_flow(spans, sources=RSS_SOURCES, data=large_base,
                             reports=work / "rep-large-base", run_date=STORE_END)
            print(f"large store built from the RSS corpus: {built['flow total']:.1f} s")
        else:
            shutil.copytree(args.large_store, large_base)
        if _latest_day(large_base) != STORE_END:
            raise SystemExit(f"{large_base}: not a store ending on {STORE_END}")
        months, seconds = refresh_derived(large_base)
        if months:
            print(f"large store: {months} months tagged anew for this checkout's tagger "
                  f"({seconds:.1f} s, outside the flow)")

        large, tiny, captured = [], [], {}
        for i in range(max(args.repeat, 1)):
            for name, base, runs in (("large", large_base, large), ("tiny", tiny_base, tiny)):
                data = fresh_copy(base, work / f"store-{name}")
                with capture_report_inputs(captured) if name == "large" else \
                        contextlib.nullcontext():
                    runs.append(run_flow(spans, sources=inputs["day"], data=data,
                                         reports=work / f"rep-{name}-{i}", run_date=DAY))
                print(f"  run {i + 1} {name}: flow {runs[-1]['flow total']:.2f} s")
        print_stages(f"== Daily run of {DAY} (+223 items), in process: large store (118,205 "
                     "articles) vs tiny store (247) ==", {"large": large, "tiny": tiny},
                     share_of="large")
        replays = [replay_report(spans, captured, work / f"rep-replay-{i}")
                   for i in range(max(args.repeat, 1))]
        print_stages("== The large run's report alone, serial (write_report(parallel=False)) ==",
                     {"report alone": replays}, share_of="report alone")
        if args.refit:
            data = fresh_copy(large_base, work / "store-large")
            refit = run_flow(spans, sources=inputs["day"], data=data,
                             reports=work / "rep-refit", run_date=DAY, refit_days=0)
            print_stages("== One large daily run that refits the themes ==",
                         {"refit": [refit], "placed": large}, share_of="refit")
        if args.profile:
            profile_run(work, large_base, inputs["day"])


# -- main ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) /
                   "topicwatch-daily")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed-repeat", type=int, default=3)
    p.add_argument("--large-store", type=Path, default=REPO.parent / "runs" / "rss-data")
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--build-large", action="store_true")
    p.add_argument("--refit", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--skip-daily", action="store_true")
    p.add_argument("--skip-seed", action="store_true")
    p.add_argument("--skip-cli", action="store_true")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    work = args.work_dir.resolve()
    if work == REPO or REPO in work.parents:
        raise SystemExit(f"--work-dir {work} is inside the repository")
    if not args.corpus.is_file():
        print(f"skipped: {args.corpus} absent")
        return 2
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for key, value in (("MPLBACKEND", "Agg"), ("DO_NOT_TRACK", "1"),
                       ("PREFECT_SERVER_ANALYTICS_ENABLED", "false")):
        os.environ.setdefault(key, value)  # as flows.prefect_env, without its PREFECT_HOME
    print(f"bench.daily_run: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"work dir {work}")
    inputs = build_inputs(work, args.corpus)

    large_base = work / "large-base"
    if args.skip_daily:  # the CLI runs only: the large store as it is given
        shutil.copytree(args.large_store, large_base)
        refresh_derived(large_base)
    else:
        daily_runs(args, work, inputs, large_base)
    if not args.skip_seed:
        seed_runs(work, max(args.seed_repeat, 1))
    if not args.skip_cli:
        cli_daily(work, large_base, inputs["day"])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
