"""What a run pays before it does any work, and what a running Prefect server saves (#18.1).

    .venv/bin/python -m bench.startup [--repeat 3] [--work-dir /tmp/topicwatch-startup]
        [--skip-served] [--keep]

About 4 minutes on 2 cores at load 3 with the defaults. Every figure is the median of
``--repeat`` runs (at least 3), each in a fresh process, the kinds interleaved (one of
each per round) so that the machine's load falls on all of them alike; the load average
is printed before and after.

**Imports** (``python -c``, wall): the CLI module (``flows.cli``), ``topicwatch --help``,
``import flows.topic_report`` as it is now (each stage imports its modules when it runs),
and the baseline in the same run: ``flows.topic_report`` together with every module its
stages import (the ingest pipeline, trends, the theme model and scikit-learn, the report
writer and matplotlib, the artifacts), which is what importing the flow cost when those
were module-level imports.

**One-article run**: ``topicwatch run`` on the seed article (the default sources) in a
fresh folder, as a user runs it, (a) without ``PREFECT_API_URL``, so Prefect starts a
temporary server for the run and stops it after (its ``PREFECT_HOME`` is kept between
repetitions, so its database exists: the cost is the server, not a first migration) and
(b) against a ``prefect server start`` on 127.0.0.1 started here (a free port, its own
``PREFECT_HOME``). Wall time of the command, and the flow alone (from its log: "Beginning
flow run" to its final state).

**Served run** (unless ``--skip-served``): ``topicwatch serve`` against that server, and
runs of its deployment created through the API one after the other (each with its own data
and reports folder): time from creation to Completed. Prefect's runner starts each run in
a new process (``multiprocessing`` spawn), so a served run pays its imports again but not
the CLI's start or a server.

Writes only under the work dir (refused inside the repository); deletes it at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What the flow's stages import when they run; importing them with the flow is the
# baseline (the flow module imported them all before #18).
STAGE_MODULES = ("analytics.ingest.pipeline", "analytics.trends.tables",
                 "analytics.themes.fits", "analytics.themes.model",
                 "analytics.report.writer", "flows.artifacts")
TARGET_RUN_S = 6.0  # one-article run against a running server (#18)
TARGET_FLOW_S = 5.0  # a daily run's flow
_STAMP = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \| \w+ +\| Flow run '[^']+' - (.*)$", re.M)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path, api: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without any Prefect setting, then ``home`` and ``api``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), DO_NOT_TRACK="1", PYTHONUNBUFFERED="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    if api:
        env["PREFECT_API_URL"] = api
    return env


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group ``proc`` leads, SIGKILL what is left after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


def _wait(check: Callable[[], bool], proc: subprocess.Popen, log: Path, what: str,
          timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.5)
    raise SystemExit(f"{what} not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def prefect_server(root: Path) -> Iterator[str]:
    """A ``prefect server start`` on a free loopback port with its own home; its API URL."""
    home, log = root / "server-home", root / "server.log"
    home.mkdir(parents=True)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(home), cwd=root, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        _wait(lambda: httpx.get(f"{api}/health", timeout=2, trust_env=False).status_code == 200,
              proc, log, "prefect server")
        yield api
    finally:
        _stop(proc)


def _cpu() -> float:
    """CPU seconds (user + system) of the children this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of the command ``args`` (with the processes it waited for, such
    as a temporary server) and its output; it must succeed."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{args} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return wall, _cpu() - cpu, proc.stdout + proc.stderr


def _seconds(h: str, m: str, s: str) -> float:
    return int(h) * 3600 + int(m) * 60 + float(s)


def flow_seconds(log: str) -> float:
    """The flow's own time in a run's log: "Beginning flow run" to its final state."""
    marks = {msg.split(" ")[0]: _seconds(h, m, s) for h, m, s, msg in _STAMP.findall(log)}
    if "Beginning" not in marks or "Finished" not in marks:
        raise SystemExit(f"no flow run start and end in the log:\n{log[-2000:]}")
    return (marks["Finished"] - marks["Beginning"]) % 86400


def one_article_run(root: Path, env: dict[str, str], n: int) -> tuple[float, float, float]:
    """(wall, CPU, flow) seconds of ``topicwatch run`` on the seed article in a fresh
    folder."""
    folder = root / f"run-{n}"
    folder.mkdir()
    wall, cpu, log = _timed([str(BIN / "topicwatch"), "run"], env, folder)
    shutil.rmtree(folder)
    return wall, cpu, flow_seconds(log)


@contextlib.contextmanager
def served(root: Path, api: str) -> Iterator[str]:
    """``topicwatch serve`` on the seed sources against ``api``; its deployment's id."""
    home, log = root / "serve-home", root / "serve.log"
    home.mkdir()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "topicwatch"), "serve", "--cron", "0 6 * * *", "--name", "bench"],
            env=_env(home, api, PREFECT_RUNNER_POLL_FREQUENCY="1"), cwd=root, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    found: dict[str, str] = {}

    def deployed() -> bool:
        resp = httpx.get(f"{api}/deployments/name/topic-report/bench", timeout=5,
                         trust_env=False)
        found.update(resp.json() if resp.status_code == 200 else {})
        return "id" in found

    try:
        _wait(deployed, proc, log, "topicwatch serve")
        yield found["id"]
    finally:
        _stop(proc)


def served_run(root: Path, api: str, deployment_id: str, n: int) -> tuple[float, float]:
    """(creation to Completed, flow) seconds of one run of the served deployment."""
    folder = root / f"served-{n}"
    params = {"data_dir": str(folder / "data"), "reports_dir": str(folder / "reports"),
              "run_date": "2025-06-05"}
    with httpx.Client(base_url=api, timeout=30, trust_env=False) as client:
        start = time.perf_counter()
        run = client.post(f"/deployments/{deployment_id}/create_flow_run",
                          json={"parameters": params}).raise_for_status().json()
        while True:
            run = client.get(f"/flow_runs/{run['id']}").raise_for_status().json()
            if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            time.sleep(0.1)
    wall = time.perf_counter() - start
    if run["state_type"] != "COMPLETED":
        raise SystemExit(f"served run {run['name']}: {run['state_type']}")
    begun, ended = (datetime.fromisoformat(run[k]) for k in ("start_time", "end_time"))
    shutil.rmtree(folder, ignore_errors=True)
    return wall, (ended - begun).total_seconds()


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--skip-served", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error("--repeat: at least 3 (medians)")
    root = (args.work_dir or Path(tempfile.mkdtemp(prefix="topicwatch-startup-"))).resolve()
    if root == REPO or REPO in root.parents:
        parser.error("--work-dir must lie outside the repository")
    root.mkdir(parents=True, exist_ok=True)
    print(f"start: {_load()}", flush=True)
    try:
        figures = _measure(root, args.repeat, served_runs=not args.skip_served)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"end: {_load()}")
    _print(figures, args.repeat)


def _measure(root: Path, repeat: int, *, served_runs: bool) -> dict[str, list[float]]:
    py = str(BIN / "python")
    quiet = _env(root / "import-home")
    imports = {
        "python -c pass": [py, "-c", "pass"],
        "import flows.cli": [py, "-c", "import flows.cli"],
        "topicwatch --help": [str(BIN / "topicwatch"), "--help"],
        "import flows.topic_report (stages load when run)": [py, "-c", "import flows.topic_report"],
        "import flows.topic_report + its stages (baseline)":
            [py, "-c", "import flows.topic_report, " + ", ".join(STAGE_MODULES)],
    }
    figures: dict[str, list[float]] = {name: [] for name in imports}
    temp_env = _env(root / "temp-home")
    with prefect_server(root) as api:
        server_env = _env(root / "client-home", api)
        # Warm-up, not counted: the temporary server's database is created and migrated
        # once, and both kinds of run have their bytecode compiled.
        one_article_run(root, temp_env, -1)
        one_article_run(root, server_env, -2)
        with served(root, api) if served_runs else contextlib.nullcontext() as dep:
            if dep:
                served_run(root, api, dep, -3)
            for n in range(repeat):
                for name, cmd in imports.items():
                    figures[name].append(_timed(cmd, quiet, root)[0])
                for kind, env in (("temporary server", temp_env), ("running server", server_env)):
                    wall, cpu, flow = one_article_run(root, env, n)
                    figures.setdefault(f"one-article run, {kind}: wall", []).append(wall)
                    figures.setdefault(f"one-article run, {kind}: CPU", []).append(cpu)
                    figures.setdefault(f"one-article run, {kind}: flow", []).append(flow)
                if dep:
                    wall, flow = served_run(root, api, dep, n)
                    figures.setdefault("served run (serve): created to completed", []).append(wall)
                    figures.setdefault("served run (serve): flow", []).append(flow)
                print(f"round {n + 1} of {repeat} done ({_load()})", flush=True)
    return figures


def _print(figures: dict[str, list[float]], repeat: int) -> None:
    med = {name: _median(values) for name, values in figures.items()}
    width = max(map(len, med))
    print(f"\nmedians of {repeat} interleaved runs (wall seconds unless CPU: user + system "
          "of the command and the processes it waited for, not the running server's)")
    for name, value in med.items():
        runs = ", ".join(f"{v:.2f}" for v in figures[name])
        print(f"  {name:<{width}}  {value:6.2f} s   ({runs})")
    lazy = med["import flows.topic_report (stages load when run)"]
    eager = med["import flows.topic_report + its stages (baseline)"]
    temp = med["one-article run, temporary server: wall"]
    running = med["one-article run, running server: wall"]
    flow = med["one-article run, running server: flow"]
    print("\nratios")
    print(f"  flow import, baseline / lazy: {eager / lazy:.2f}x ({eager - lazy:.2f} s less)")
    print(f"  one-article run, temporary / running server: {temp / running:.2f}x "
          f"({temp - running:.2f} s saved)")
    temp_cpu = med["one-article run, temporary server: CPU"]
    running_cpu = med["one-article run, running server: CPU"]
    print(f"  its CPU, temporary / running server: {temp_cpu / running_cpu:.2f}x "
          f"({temp_cpu - running_cpu:.2f} s saved)")
    print(f"  target one-article run against a running server < {TARGET_RUN_S:g} s: "
          f"{running:.2f} s ({'met' if running < TARGET_RUN_S else 'missed'})")
    print(f"  one-article flow < {TARGET_FLOW_S:g} s: {flow:.2f} s "
          f"({'met' if flow < TARGET_FLOW_S else 'missed'}; "
          "a daily run's flow: bench/daily_run.py)")
    if "served run (serve): created to completed" in med:
        served_wall = med["served run (serve): created to completed"]
        print(f"  served run (creation to completed) / CLI run against the server: "
              f"{served_wall / running:.2f}x")


if __name__ == "__main__":
    main()
