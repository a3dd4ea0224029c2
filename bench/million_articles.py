"""A million articles (issue 7): first ingestion, a daily +5,000 run, themes, Dask vs threaded.

    .venv/bin/python -m bench.million_articles [--articles 1000000] [--daily 5000]
        [--work-dir /tmp/topicwatch-million] [--themes 50] [--repeat 1] [--reuse]
        [--keep] [--skip-dask] [--skip-themes]

**The corpus** is built by replaying the RSS corpus
(``../shared/corpora/rss-world-news-2022-2023/world_news_rss_2022_2023.csv.gz``, 188,235
rows, read with the column mapping of ``seeds/sources/rss-world-news.toml``) K times,
K = ceil(N / 188,235). Copy k = 0..K-1 is written as one Parquet shard
``WORK/shards/replay-k.parquet`` and one ``table`` source of ``WORK/million.toml``:

- copy 0 is the corpus unchanged; copy k >= 1 has every date (``published_utc``,
  ``archive_day``) shifted back by k * 730 days (copy 5: 2012-2013), so no two copies
  share a month of the store and no copy falls within the near-duplicate window of
  another;
- its URL gets a query parameter ``replay=k`` (``?replay=k`` or ``&replay=k``, any
  ``#fragment`` dropped): a fragment would be ignored by ``normalize_url``, the query is
  kept, so the id differs;
- its title gets the prefix ``"Replay{k}: "`` (the description instead when the title is
  empty), so the normalised text (``text_key``) and the content hash differ and the copy
  is not an exact duplicate; the prefix matches no taxonomy phrase and, having a digit,
  is not a theme term.

The last copy is cut to the rows still needed, taken evenly spaced over the corpus
(rows ``floor(j * 188235 / m)``), so it spans the whole two years; with N < 188,235 copy
0 is such a subset. **The daily increment** (``WORK/daily.toml``) is copy K of ``--daily``
evenly spaced rows (offset by half a step), with the same prefix/URL rule and every date
set to D = the day after the store's latest publication day (time of day kept); it runs
with ``--run-date D``. The first ingestion runs with ``--run-date D-1``. The build is
deterministic (same bytes every time; ``WORK/manifest.json`` has the SHA-256 of each
file) and writes nothing into the repository. Note: copies are exact-text replays, so
with a near-duplicate comparison that is not limited in time, every copy would be a near
duplicate of copy 0; the store's ``near_duplicate_window_days`` (31) keeps them apart.

**Measurements**, each in its own process (the real CLI, ``topicwatch run``, which
starts Prefect's temporary server; ``PREFECT_HOME`` is ``WORK/prefect-home`` so other
runs on the machine do not share its database). Peak memory is the child's ``ru_maxrss``
(``os.wait4``: the largest process of the tree, i.e. the flow's process):

1. baseline: the CLI on one seed article (fresh store) after one unmeasured warm-up
   run; median of ``--repeat`` (at least 2) runs. "Work beyond start-up" = wall - baseline;
2. first ingestion + tagging (+ trends, themes, report) of the N articles into an empty
   store: wall, articles/s (N / wall and N / (wall - baseline)), peak memory;
3. the daily run of the ``--daily`` new articles on a copy (hard links; the store
   replaces files atomically, never in place) of that store: wall, wall - baseline, peak;
4. themes over the stored articles: ``analytics.themes.clustering.fit_themes(articles,
   n_themes=--themes, random_state=0)`` in its own process; time, peak memory, and a
   check that every canonical article has an ``article_themes`` row;
5. with a local Dask cluster started here (``dask scheduler`` + two ``dask worker
   --nworkers 1 --nthreads 1``, stopped at the end): the baseline and the daily run
   again with ``--dask-address``, side by side with the threaded ones.

Per-stage times come from the flow's log: each task's "Finished" time minus the
previous task's (tasks run one after another in a threaded run). Logs are kept in
``WORK/logs/``. ``--reuse`` keeps the built corpus and the first store when they are
there (skipping build and first ingestion); ``--keep`` leaves the work dir in place
(else it is deleted at the end unless --reuse was given).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CSV = (REPO.parent / "shared" / "corpora" / "rss-world-news-2022-2023"
       / "world_news_rss_2022_2023.csv.gz")
SEED = REPO / "seeds" / "000_cd733d8b1f53fae4.txt"
BIN = Path(sys.executable).parent
SHIFT_DAYS = 730
TS = "%Y-%m-%dT%H:%M:%S%.fZ"  # the corpus's published_utc (fraction of a second optional)
COLUMNS = ('{ text = ["title", "description"], title = "title", date = "published_utc", '
           'url = "link", source = "outlet" }')
LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| (\w+) +\| (.*)$")
TASK_DONE = re.compile(r"Task run '([^']+)' - Finished in state (\w+)")


# --- the replayed corpus ---------------------------------------------------------------

def _spaced(n: int, m: int, offset: float = 0.0) -> list[int]:
    """``m`` row indices evenly spaced over ``n`` rows (``m <= n``)."""
    return [min(n - 1, int((j + offset) * n / m)) for j in range(m)]


def _replay(df, k: int, *, day: date | None = None):
    """Copy ``k`` of the corpus rows ``df``: dates shifted (or set to ``day``), URL and text
    made unique (see the module docstring)."""
    import polars as pl

    if k == 0 and day is None:
        return df
    ts = pl.col("published_utc").str.to_datetime(TS, strict=False)
    if day is None:
        shifted = ts - pl.duration(days=k * SHIFT_DAYS)
        archive = (pl.col("archive_day").str.to_date(strict=False)
                   - pl.duration(days=k * SHIFT_DAYS))
    else:
        shifted = pl.lit(day).cast(pl.Datetime("us")) + (ts - ts.dt.truncate("1d"))
        archive = pl.lit(day)
    tag = f"Replay{k}: "
    base = pl.col("link").str.replace(r"#.*$", "")
    has_title = pl.col("title").fill_null("").str.strip_chars() != ""
    return df.with_columns(
        published_utc=shifted.dt.strftime(TS),
        archive_day=archive.dt.strftime("%Y-%m-%d"),
        link=pl.when(base.is_null() | (base.str.strip_chars() == "")).then(base)
        .when(base.str.contains("?", literal=True)).then(base + f"&replay={k}")
        .otherwise(base + f"?replay={k}"),
        title=pl.when(has_title).then(pl.lit(tag) + pl.col("title")).otherwise(pl.col("title")),
        description=pl.when(~has_title & pl.col("description").is_not_null())
        .then(pl.lit(tag) + pl.col("description")).otherwise(pl.col("description")),
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sources_toml(path: Path, files: list[Path], comment: str) -> None:
    lines = [f"# {comment}", "# Built by bench/million_articles.py; see its docstring.", ""]
    for f in files:
        rel = f.relative_to(path.parent).as_posix()
        lines += ["[[source]]", f'id = "{f.stem}"', 'kind = "table"', f'path = "{rel}"',
                  f"columns = {COLUMNS}", ""]
    path.write_text("\n".join(lines))


def build(work: Path, n_articles: int, n_daily: int) -> dict:
    """Write the shards, the daily file, both sources files and the tiny baseline source;
    returns the manifest (also written to ``WORK/manifest.json``)."""
    import polars as pl

    t0 = time.perf_counter()
    corpus = pl.read_csv(CSV, infer_schema=False)
    n = corpus.height
    shards_dir, daily_dir = work / "shards", work / "daily"
    for d in (shards_dir, daily_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    copies = math.ceil(n_articles / n)
    files, rows = [], []
    for k in range(copies):
        m = min(n, n_articles - k * n)
        part = corpus if m == n else corpus[_spaced(n, m)]
        out = shards_dir / f"replay-{k}.parquet"
        _replay(part, k).write_parquet(out, compression="zstd", statistics=True)
        files.append(out)
        rows.append(m)
    latest = max(
        pl.scan_parquet(f).select(
            pl.col("published_utc").str.to_datetime(TS, strict=False).max()
        ).collect().item()
        for f in files
    ).date()
    daily_day = latest + timedelta(days=1)
    daily = _replay(corpus[_spaced(n, min(n, n_daily), 0.5)], copies, day=daily_day)
    daily_file = daily_dir / f"replay-{copies}-daily.parquet"
    daily.write_parquet(daily_file, compression="zstd", statistics=True)
    _sources_toml(work / "million.toml", files,
                  f"{sum(rows):,} articles: {copies} replays of the RSS corpus")
    _sources_toml(daily_dir / "daily.toml", [daily_file],
                  f"{daily.height:,} new articles dated {daily_day}")
    tiny = work / "tiny"
    tiny.mkdir(exist_ok=True)
    shutil.copyfile(SEED, tiny / SEED.name)
    manifest = {
        "articles": sum(rows), "copies": copies, "rows_per_copy": rows, "daily": daily.height,
        "first_run_date": latest.isoformat(), "daily_run_date": daily_day.isoformat(),
        "shift_days": SHIFT_DAYS, "build_seconds": round(time.perf_counter() - t0, 1),
        "sha256": {str(p.relative_to(work)): _sha256(p) for p in [*files, daily_file]},
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


# --- running the CLI -------------------------------------------------------------------

def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _env(work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(work / "prefect-home"), DO_NOT_TRACK="1", PYTHONUNBUFFERED="1",
               MPLBACKEND="Agg", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               **extra)
    return env


def _stages(log: str, started: float) -> dict:
    """Per-task seconds from the flow log (finish minus the previous finish), plus start-up
    (process start to the flow's first line) and the flow's own span."""
    events = []
    day0 = datetime.fromtimestamp(started).replace(hour=0, minute=0, second=0, microsecond=0)
    for line in log.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        hh, mm, ss, ms = (int(x) for x in m.groups()[:4])
        t = day0.timestamp() + hh * 3600 + mm * 60 + ss + ms / 1000
        if t < started - 60:  # the log crossed midnight
            t += 86_400
        events.append((t, m.group(6)))
    first = next(((t, msg) for t, msg in events if "Beginning flow run" in msg), None)
    begin = first[0] if first else None
    flow_name = re.search(r"Flow run '([^']+)'", first[1]).group(1) if first else None
    end = next((t for t, msg in events
                if msg.startswith(f"Flow run '{flow_name}' - Finished")), None)
    tasks: dict[str, float] = {}
    prev = begin
    for t, msg in events:
        m = TASK_DONE.search(msg)
        if m and prev is not None:
            name = re.sub(r"-[0-9a-f]{3}$", "", m.group(1))
            name = re.sub(r"^(tag-shard|tag-partition|read-source)-.*", r"\1-*", name)
            name = name.removesuffix("_task")
            tasks[name] = tasks.get(name, 0.0) + (t - prev)
            prev = t
    out = {"tasks": {k: round(v, 2) for k, v in tasks.items()}}
    if begin is not None:
        out["startup"] = round(begin - started, 2)
    if begin is not None and end is not None:
        out["flow"] = round(end - begin, 2)
    counted = re.compile(r" - (ingest|store|topics|claims|themes|partitions to tag):")
    counts = [msg.split(" - ", 1)[1] for _, msg in events if counted.search(msg)]
    out["counts"] = counts
    return out


class _RssSampler:
    """Samples the resident memory of process ``pid`` (``/proc``) every 0.5 s in a thread:
    when the peak happened, to name the stage that reached it."""

    def __init__(self, pid: int):
        self.pid, self.peak_kb, self.peak_time = pid, 0, None
        self.samples: list[tuple[float, int]] = []  # (time, resident kB)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.5):
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    kb = next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
            except (OSError, StopIteration, ValueError):
                continue
            now = time.time()
            self.samples.append((now, kb))
            if kb > self.peak_kb:
                self.peak_kb, self.peak_time = kb, now

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _stage_peaks(log: str, started: float, samples: list[tuple[float, int]]) -> dict:
    """The largest resident memory sampled while each task ran, MB (tasks that took under
    the 0.5 s sampling interval may have none)."""
    peaks: dict[str, int] = {}
    for when, kb in samples:
        stage = _stage_at(log, started, when) or "?"
        peaks[stage] = max(peaks.get(stage, 0), round(kb / 1024))
    return peaks


def _stage_at(log: str, started: float, when: float | None) -> str | None:
    """The task that finished first at or after ``when`` (the one running then)."""
    if when is None:
        return None
    day0 = datetime.fromtimestamp(started).replace(hour=0, minute=0, second=0, microsecond=0)
    for line in log.splitlines():
        m = LOG_LINE.match(line)
        done = TASK_DONE.search(line)
        if not (m and done):
            continue
        hh, mm, ss, ms = (int(x) for x in m.groups()[:4])
        t = day0.timestamp() + hh * 3600 + mm * 60 + ss + ms / 1000
        t += 86_400 if t < started - 60 else 0
        if t >= when:
            return re.sub(r"-[0-9a-f]{3}$", "", done.group(1))
    return "after the last task"


def run_cli(name: str, work: Path, sources: Path, data_dir: Path, run_date: str, themes: str,
            *, dask: str | None = None, env_extra: dict | None = None) -> dict:
    """``topicwatch run`` in a subprocess: wall, peak MB, CPU, stage times, log file."""
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    log_path = logs / f"{name}.log"
    args = [str(BIN / "topicwatch"), "run", "--sources", str(sources), "--data-dir",
            str(data_dir), "--reports-dir", str(work / "reports" / name), "--run-date",
            run_date, "--themes", themes]
    if dask:
        args += ["--dask-address", dask]
    load_before = _load()
    started = time.time()
    t0 = time.perf_counter()
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env=_env(work, **(env_extra or {})))
        sampler = _RssSampler(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.stop()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    log = log_path.read_text(errors="replace")
    result = {"name": name, "wall": round(wall, 2), "peak_mb": round(usage.ru_maxrss / 1024),
              "cpu": round(usage.ru_utime + usage.ru_stime, 1), "rc": proc.returncode,
              "load_before": load_before, "load_after": _load(), "log": str(log_path),
              **_stages(log, started)}
    result["peak_during"] = _stage_at(log, started, sampler.peak_time)
    result["stage_peaks_mb"] = _stage_peaks(log, started, sampler.samples)
    print(f"  {name}: rc {proc.returncode}, wall {wall:.1f} s, peak {result['peak_mb']} MB, "
          f"load {load_before} -> {result['load_after']}", file=sys.stderr, flush=True)
    if proc.returncode != 0:
        print(f"  {name} failed; last lines of {log_path}:\n" + "\n".join(
            log.splitlines()[-25:]), file=sys.stderr, flush=True)
    return result


def _link_copy(src: Path, dst: Path) -> None:
    """A copy of a store by hard links (the store only ever replaces files, atomically)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=os.link,
                    ignore=shutil.ignore_patterns(".lock", "*.tmp"))


# --- themes in their own process -------------------------------------------------------

def _themes_child(data_dir: str, n_themes: str) -> dict:
    import polars as pl

    from analytics.store.articles import ArticleStore
    from analytics.themes.clustering import fit_themes

    t0 = time.perf_counter()
    arts = ArticleStore(data_dir).read(["article_id", "title", "text", "duplicate_of"])
    t_read = time.perf_counter() - t0
    k: int | str = int(n_themes) if n_themes.isdigit() else n_themes
    t1 = time.perf_counter()
    res = fit_themes(arts, n_themes=k, random_state=0)
    t_fit = time.perf_counter() - t1
    canon = arts.filter(pl.col("duplicate_of").is_null()).get_column("article_id")
    assigned = res.article_themes.get_column("article_id").unique()
    missing = int((~canon.is_in(assigned.implode())).sum())
    main = res.article_themes.unique("article_id", keep="first")
    return {"read": round(t_read, 2), "fit": round(t_fit, 2), "articles": arts.height,
            "canonical": canon.len(), "missing": missing, "themes": res.themes.height,
            "outliers": int((main["theme_id"] == -1).sum()), "status": res.status,
            "peak_mb": round(__import__("resource").getrusage(
                __import__("resource").RUSAGE_SELF).ru_maxrss / 1024)}


def run_themes(work: Path, data_dir: Path, n_themes: str) -> dict:
    load_before = _load()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.million_articles", "--child-themes",
                             str(data_dir), n_themes], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"  themes failed:\n{err[-3000:]}", file=sys.stderr)
        return {"wall": round(wall, 2), "rc": proc.returncode, "load_before": load_before}
    res = json.loads(out.strip().splitlines()[-1])
    res.update(wall=round(wall, 2), rc=0, load_before=load_before, load_after=_load())
    print(f"  themes: {res}", file=sys.stderr, flush=True)
    return res


# --- a local Dask cluster --------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group ``proc`` leads, SIGKILL it after ``timeout``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def dask_cluster(work: Path, env: dict[str, str]):
    """``dask scheduler`` and two one-thread workers on a free loopback port; the address."""
    root = work / "dask"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []

    def spawn(args: list[str], log: str) -> None:
        with open(root / log, "wb") as out:
            procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                          cwd=REPO, start_new_session=True))

    try:
        spawn([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
               "--no-dashboard"], "scheduler.log")
        for name in ("w1", "w2"):
            spawn([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nworkers",
                   "1", "--nthreads", "1", "--no-dashboard", "--name", name,
                   "--local-directory", str(root / name)], f"{name}.log")
        from distributed import Client

        with Client(address, timeout=120, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@contextlib.contextmanager
def prefect_server(work: Path):
    """A ``prefect server start`` on a free port (the API that Dask workers report to)."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _env(work, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_UI_API_URL=api)
    with open(work / "logs" / "prefect-server.log", "wb") as out:
        proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=work, start_new_session=True)
    try:
        import httpx

        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start; see {work}/logs")
            time.sleep(1)
        yield api
    finally:
        _stop(proc, 30)


# --- the report ------------------------------------------------------------------------

def _fmt_tasks(r: dict, top: int = 6) -> str:
    items = sorted(r.get("tasks", {}).items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{k} {v:.1f}" for k, v in items)


def _med(runs: list[dict], key: str) -> float:
    """Median over the runs that succeeded (nan when none did)."""
    ok = [r[key] for r in runs if r.get("rc") == 0]
    return statistics.median(ok) if ok else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--daily", type=int, default=5_000)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/topicwatch-million"))
    ap.add_argument("--themes", default="50", help="themes of every run and of step 4")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each daily measurement")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a built corpus and first store found in --work-dir")
    ap.add_argument("--keep", action="store_true", help="leave --work-dir in place")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-themes", action="store_true")
    ap.add_argument("--skip-first", action="store_true",
                    help="stop after the build and the baseline (debugging)")
    ap.add_argument("--child-themes", nargs=2, metavar=("DATA_DIR", "K"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_themes:
        print(json.dumps(_themes_child(*args.child_themes)))
        return 0
    if not CSV.exists():
        print(f"skipped: {CSV} is absent", file=sys.stderr)
        return 2
    work = args.work_dir.resolve()
    if work == REPO or REPO in work.parents:
        ap.error("--work-dir must be outside the repository (it holds corpus copies)")
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; {os.cpu_count()} cores; load {_load()}", file=sys.stderr)

    manifest_path = work / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if not (args.reuse and manifest and manifest["articles"] == args.articles
            and manifest["daily"] == args.daily):
        print(f"building {args.articles:,} + {args.daily:,} articles ...", file=sys.stderr)
        shutil.rmtree(work / "store-first", ignore_errors=True)
        manifest = build(work, args.articles, args.daily)
    print(f"  corpus: {manifest['copies']} copies, rows {manifest['rows_per_copy']}, "
          f"build {manifest['build_seconds']} s", file=sys.stderr)
    first_date, daily_date = manifest["first_run_date"], manifest["daily_run_date"]
    results: dict = {"manifest": manifest, "load_start": _load()}

    # 1. baseline: start-up (one unmeasured warm-up creates the Prefect database)
    tiny = work / "tiny"
    run_cli("warmup", work, tiny, work / "store-tiny", "2025-06-05", args.themes)
    base_runs = []
    for i in range(max(2, args.repeat)):
        shutil.rmtree(work / "store-tiny", ignore_errors=True)
        base_runs.append(run_cli(f"baseline-{i}", work, tiny, work / "store-tiny",
                                 "2025-06-05", args.themes))
    results["baseline"] = base_runs
    if args.skip_first:
        print(json.dumps(results, indent=1))
        return 0

    # 2. first ingestion of the N articles
    store_first = work / "store-first"
    done = store_first / "bench-first.json"
    if args.reuse and done.exists():
        first = json.loads(done.read_text())
        first["reused"] = True
        print(f"  first: reused {store_first} (measured before: wall {first['wall']} s)",
              file=sys.stderr)
    else:
        shutil.rmtree(store_first, ignore_errors=True)
        first = run_cli("first", work, work / "million.toml", store_first, first_date,
                        args.themes)
        if first["rc"] == 0:
            done.write_text(json.dumps(first))
    results["first"] = first
    if first["rc"] != 0:
        print(json.dumps(results, indent=1))
        return 1

    # 3. the daily run, threaded
    daily_toml = work / "daily" / "daily.toml"
    daily_runs = []
    for i in range(args.repeat):
        _link_copy(store_first, work / "store-daily")
        daily_runs.append(run_cli(f"daily-{i}", work, daily_toml, work / "store-daily",
                                  daily_date, args.themes))
    results["daily"] = daily_runs

    # 4. themes over the stored articles
    if not args.skip_themes:
        results["themes"] = run_themes(work, store_first, args.themes)

    # 5. Dask vs threaded, both against one running Prefect server (workers report to it)
    if not args.skip_dask:
        results["dask"] = {}
        with prefect_server(work) as api:
            env_extra = {"PREFECT_API_URL": api}
            with dask_cluster(work, _env(work, **env_extra)) as address:
                for mode, dask in (("threaded", None), ("dask", address)):
                    runs = {"baseline": [], "daily": []}
                    for i in range(args.repeat):
                        shutil.rmtree(work / "store-tiny", ignore_errors=True)
                        runs["baseline"].append(run_cli(
                            f"server-{mode}-baseline-{i}", work, tiny, work / "store-tiny",
                            "2025-06-05", args.themes, dask=dask, env_extra=env_extra))
                        _link_copy(store_first, work / "store-daily")
                        runs["daily"].append(run_cli(
                            f"server-{mode}-daily-{i}", work, daily_toml, work / "store-daily",
                            daily_date, args.themes, dask=dask, env_extra=env_extra))
                    results["dask"][mode] = runs
    results["load_end"] = _load()
    (work / "logs" / "results.json").write_text(json.dumps(results, indent=1))
    report(results, args)
    if not (args.keep or args.reuse):
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(results: dict, args) -> None:
    m = results["manifest"]
    n, base = m["articles"], _med(results["baseline"], "wall")
    first, daily = results["first"], results["daily"]
    print(f"\nmillion-article benchmark: {n:,} articles ({m['copies']} replays of the RSS "
          f"corpus), daily +{m['daily']:,} on {m['daily_run_date']}, --themes {args.themes}, "
          f"repeat {args.repeat} (medians)")
    print(f"load (1/5/15 min): start {results['load_start']}, end {results['load_end']}; "
          f"{os.cpu_count()} cores\n")
    print(f"{'measurement':44} {'wall s':>8} {'-base s':>8} {'art/s':>9} {'peak MB':>8} "
          f"{'x base':>7}  load before")
    rows = [("baseline: CLI on 1 seed article", results["baseline"], None)]
    rows.append((f"first ingest+tag+report, {n:,}", [first], n))
    rows.append((f"daily +{m['daily']:,} on the {n:,} store", daily, m["daily"]))
    for label, runs, count in rows:
        wall = _med(runs, "wall")
        extra = wall - base if count else 0.0
        rate = f"{count / wall:>9,.0f}" if count else f"{'':>9}"
        print(f"{label:44} {wall:>8.1f} {extra:>8.1f} {rate} {_med(runs, 'peak_mb'):>8.0f} "
              f"{wall / base:>7.1f}  {runs[0]['load_before']}")
    if first.get("reused"):
        print("  (first ingestion reused from an earlier run of this script)")
    print(f"  first: {n / max(_med([first], 'wall') - base, 1e-9):,.0f} articles/s beyond "
          f"start-up; start-up {first.get('startup', '?')} s, flow {first.get('flow', '?')} s")
    if "themes" in results:
        t = results["themes"]
        if t.get("rc") == 0:
            print(f"{'themes: fit_themes over the store, k=' + args.themes:44} {t['wall']:>8.1f} "
                  f"{'':>8} {t['articles'] / t['wall']:>9,.0f} {t['peak_mb']:>8.0f} {'':>7}  "
                  f"{t['load_before']}")
            print(f"  themes: read {t['read']} s, fit+assign {t['fit']} s; {t['articles']:,} "
                  f"stored, {t['canonical']:,} canonical, {t['missing']:,} without a theme row,"
                  f" {t['themes']} themes, {t['outliers']:,} outliers {t['status']}")
        else:
            print("themes: FAILED (see stderr)")
    print("\nstages (s, from the flow log; largest first):")
    for r in [*results["baseline"][:1], first, *daily]:
        print(f"  {r['name']:12} start-up {r.get('startup', '?')}, flow {r.get('flow', '?')}: "
              f"{_fmt_tasks(r)}; peak memory during {r.get('peak_during', '?')}")
        peaks = sorted(r.get("stage_peaks_mb", {}).items(), key=lambda kv: -kv[1])[:5]
        if peaks:
            print(f"  {'':12}   largest memory by stage (MB): "
                  + ", ".join(f"{k} {v:,}" for k, v in peaks))
        for c in r.get("counts", []):
            print(f"  {'':12}   {c}")
    if "dask" in results:
        d = results["dask"]
        print("\nagainst one running Prefect server (no temporary server), threaded vs Dask "
              "(2 workers x 1 thread):")
        print(f"{'run':34} {'threaded s':>10} {'dask s':>8} {'dask/thr':>8} {'thr MB':>7} "
              f"{'dask MB':>8}")
        for key, label in (("baseline", "CLI on 1 seed article"),
                           ("daily", f"daily +{m['daily']:,}")):
            t, k = d["threaded"][key], d["dask"][key]
            ok = all(r["rc"] == 0 for r in [*t, *k])
            print(f"{label:34} {_med(t, 'wall'):>10.1f} {_med(k, 'wall'):>8.1f} "
                  f"{_med(k, 'wall') / _med(t, 'wall'):>8.2f} {_med(t, 'peak_mb'):>7.0f} "
                  f"{_med(k, 'peak_mb'):>8.0f}{'' if ok else '  (a run FAILED)'}")
        for mode in ("threaded", "dask"):
            r = d[mode]["daily"][0]
            print(f"  {mode:8} daily: flow {r.get('flow', '?')} s: {_fmt_tasks(r)}")
    print(f"\nlogs: {Path(results['first']['log']).parent}")


if __name__ == "__main__":
    sys.exit(main())
