"""The per-shard stages on a real Dask cluster: a scheduler and two workers started as
separate processes on 127.0.0.1 (``dask scheduler``, ``dask worker``), as on a cluster.

The flow runs in this process under the session's Prefect test harness; the workers get
its API URL, so the shard tasks they run (and their logs) land on the same server, and the
AWS variables of the session's S3 server (moto, loopback), so they can work on a store on
``s3://`` as workers on a cluster would.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytest.importorskip("prefect_dask")

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import LogFilter, LogFilterTextSearch  # noqa: E402
from prefect.settings import PREFECT_API_URL  # noqa: E402

from analytics.store.articles import ArticleStore  # noqa: E402
from flows.topic_report import topic_report  # noqa: E402
from tests.flows.server_fixture import free_port, stop_group  # noqa: E402
from tests.loopback_server import LoopbackServer, Reply  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TAXONOMY = str(REPO / "seeds" / "taxonomy.toml")
RUN_DATE = "2025-06-05"
TABLES = ("articles", "topic_mentions", "claims", "topic_trends")
STARTUP_TIMEOUT = 60

pytestmark = pytest.mark.e2e


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen]
    log_dir: Path

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))


def _env(home: Path) -> dict[str, str]:
    """Loopback only: no proxies; Prefect talks to the harness's server."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k.lower() not in {
               "http_proxy", "https_proxy", "all_proxy"}}
    env.update(PREFECT_API_URL=str(PREFECT_API_URL.value()), PREFECT_HOME=str(home),
               DO_NOT_TRACK="1", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    return env


def _spawn(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True)


def _workers_up(address: str, n: int, timeout: float) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:
        client.wait_for_workers(n, timeout=timeout)


@contextlib.contextmanager
def dask_cluster(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """``dask scheduler`` and workers w1, w2 (one thread each) on a free loopback port."""
    root.mkdir(parents=True, exist_ok=True)
    env, port = {**_env(root / "prefect-home"), **(extra_env or {})}, free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _spawn([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                        str(port), "--no-dashboard"], root / "scheduler.log", env, root)
    cluster = Cluster(address, scheduler, {}, root)
    try:
        for name in ("w1", "w2"):
            cluster.workers[name] = _spawn(
                [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--nworkers", "1", "--no-dashboard", "--no-nanny", "--name", name,
                 "--local-directory", str(root / name)],
                root / f"{name}.log", env, root)
        try:
            _workers_up(address, 2, STARTUP_TIMEOUT)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"dask cluster did not start: {exc}\n{cluster.logs()}")
        yield cluster
    finally:
        for proc in [*cluster.workers.values(), scheduler]:
            stop_group(proc, timeout=10)


SENTENCES = [
    "Air defence units shot down drones over the capital overnight.",
    "Patriot batteries and interceptors were moved closer to the front.",
    "Allies agreed to raise defence spending to 3.5% of GDP by 2030.",
    "The alliance discussed nuclear deterrence and the posture in the east.",
    "Ukraine asked for more military aid, artillery shells and armoured vehicles.",
    "Peace talks in Istanbul ended without a ceasefire agreement.",
    "Logistics hubs and supply lines were hit by long-range missiles.",
    "Arms makers expanded ammunition production in new factories.",
    "Ground forces advanced near the river after heavy fighting.",
    "Police arrested suspects over a planned terrorist attack.",
    "Ministers met in Brussels to prepare the summit.",
]


def _corpus(root: Path, n_sources: int = 4, per_source: int = 6) -> Path:
    """Folder sources with articles over several months, plus the seed folder; returns
    the sources file."""
    rng = random.Random(7)
    lines = [f'[[source]]\nid = "seeds"\nkind = "folder"\npath = "{REPO / "seeds"}"\n']
    for s in range(n_sources):
        folder = root / f"src{s}"
        folder.mkdir(parents=True)
        for i in range(per_source):
            day = f"2025-{rng.randint(2, 6):02d}-{rng.randint(1, 4):02d}"
            text = " ".join(rng.sample(SENTENCES, 5))
            (folder / f"{i:03d}.txt").write_text(
                f" date {day} Report {s}-{i}: {text} Story number {s * 100 + i} of the wire.\n")
        lines.append(f'[[source]]\nid = "src{s}"\nkind = "folder"\npath = "{folder}"\n')
    sources = root / "sources.toml"
    sources.write_text("\n".join(lines))
    return sources


def _run(sources: Path, out: Path, data_dir: str | None = None, **kwargs):
    return topic_report(sources=str(sources), taxonomy=TAXONOMY,
                        data_dir=data_dir or str(out / "data"),
                        reports_dir=str(out / "reports"), run_date=RUN_DATE, **kwargs)


def _tables(out: Path, data_dir: str | None = None) -> dict[str, pl.DataFrame]:
    """The run's tables: the small ones from its report, the store's by ``topicwatch export``."""
    from analytics.report.export import export_tables

    tables = out / "reports" / RUN_DATE / "tables"
    store = export_tables(data_dir or str(out / "data"), out / "export", taxonomy=Path(TAXONOMY),
                          tables=("articles", "topic_mentions", "claims"))
    return {name: pl.read_parquet(store.get(name) or tables / f"{name}.parquet")
            for name in TABLES}


def _worker_logs(marker: str) -> list[str]:
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(text=LogFilterTextSearch(query=marker)))
    return [log.message for log in logs if f"(on {marker} " in log.message]


def _s3_env(request) -> dict[str, str]:
    """The S3 server's variables for the workers; none without moto (the S3 test itself
    then skips, or fails under CI)."""
    try:
        return request.getfixturevalue("s3_server").env
    except (pytest.skip.Exception, pytest.fail.Exception):
        return {}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request):
    with dask_cluster(tmp_path_factory.mktemp("dask"), _s3_env(request)) as running:
        yield running


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The corpus and its run without Dask, which the Dask runs must equal:
    (sources file, run folder, summary, seconds)."""
    root = tmp_path_factory.mktemp("local-run")
    sources = _corpus(root / "corpus")
    started = time.perf_counter()
    summary = _run(sources, root / "local")
    return sources, root / "local", summary, time.perf_counter() - started


def test_dask_run_equals_local_run_and_shards_ran_on_workers(cluster, local_run, tmp_path):
    sources, local_out, local, local_s = local_run
    started = time.perf_counter()
    remote = _run(sources, tmp_path / "dask", dask_address=cluster.address)
    dask_s = time.perf_counter() - started
    print(f"local run {local_s:.1f} s, dask run {dask_s:.1f} s")

    assert local.stored_articles == remote.stored_articles > 20
    expected, got = _tables(local_out), _tables(tmp_path / "dask")
    assert expected["claims"].height and expected["topic_mentions"].height
    assert expected["articles"]["published_at"].dt.month().n_unique() >= 3  # several shards
    for name in TABLES:
        assert_frame_equal(got[name], expected[name], check_exact=True)
    # The stores too, texts included (normalised on the workers).
    assert_frame_equal(ArticleStore(tmp_path / "dask" / "data").read(),
                       ArticleStore(local_out / "data").read(), check_exact=True)

    on_workers = _worker_logs("Dask worker")
    sources_on = {m.split()[1] for m in on_workers if m.startswith("source ")}
    shards_on = {m.split()[1].rstrip(":") for m in on_workers if m.startswith("shard ")}
    assert sources_on == {"seeds", "src0", "src1", "src2", "src3"}
    months = expected["articles"]["published_at"].dt.strftime("%Y-%m")
    assert shards_on == set(months)
    workers = {m.rsplit("(on Dask worker ", 1)[1].rstrip(")") for m in on_workers}
    assert workers <= {"w1", "w2"} and workers
    assert remote.parameters["dask_address"] == cluster.address


def _shards_on_workers() -> list[str]:
    return [m for m in _worker_logs("Dask worker") if m.startswith("shard ")]


def test_workers_tag_the_partitions_of_a_store_on_s3(cluster, local_run, s3_url, tmp_path):
    """The flow and the workers (separate processes, given the AWS variables) share a
    store on S3; the tables equal the local run's."""
    sources, local_out, local, _ = local_run
    before = len(_shards_on_workers())
    remote = _run(sources, tmp_path, data_dir=s3_url, dask_address=cluster.address)
    assert remote.stored_articles == local.stored_articles
    expected, got = _tables(local_out), _tables(tmp_path, s3_url)
    for name in TABLES:
        assert_frame_equal(got[name], expected[name], check_exact=True)
    assert_frame_equal(ArticleStore(s3_url).read(), ArticleStore(local_out / "data").read(),
                       check_exact=True)
    months = expected["articles"]["published_at"].dt.strftime("%Y-%m").n_unique()
    deadline = time.monotonic() + 15  # worker logs reach the API in batches
    while len(_shards_on_workers()) - before < months and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(_shards_on_workers()) - before == months


def _rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Wire {n}-{i}: air defence and drones</title>"
        f"<link>https://wire.example/{n}/{i}</link>"
        f"<description>Air defence units shot down drones, report {n}-{i}. Allies agreed to "
        f"spend 3.5% of GDP on defence by 2030.</description>"
        f"<pubDate>Wed, 0{1 + i % 4} Jun 2025 10:00:00 GMT</pubDate></item>"
        for i in range(3))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Wire {n}</title>{items}</channel></rss>").encode()


def test_killed_worker_run_completes_and_stores_nothing_twice(cluster, tmp_path):
    """Kills w2 of the module's cluster: keep this test last in the module."""
    feeds = 4
    with LoopbackServer() as server:
        # The address comes from the sources file this time, not the flow parameter.
        lines = ['[settings]\nallowed_networks = ["127.0.0.1/32"]\ntimeout_seconds = 20\n'
                 f'dask_address = "{cluster.address}"\n',
                 f'[[source]]\nid = "seeds"\nkind = "folder"\npath = "{REPO / "seeds"}"\n']
        for n in range(feeds):
            # Only the first request of a feed is slow: enough to kill a worker inside it.
            server.script(f"/feed{n}.xml", Reply(200, _rss(n), delay=2.0), Reply(200, _rss(n)))
            lines.append(f'[[source]]\nid = "feed{n}"\nkind = "feed"\n'
                         f'url = "{server.url(f"/feed{n}.xml")}"\n')
        sources = tmp_path / "sources.toml"
        sources.write_text("\n".join(lines))

        outcome: dict = {}

        def run() -> None:
            try:
                outcome["summary"] = _run(sources, tmp_path)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        # Two feeds requested at once: each single-threaded worker is inside a read task.
        deadline = time.monotonic() + 60
        while len(server.requests) < 2:
            assert time.monotonic() < deadline, f"no feed requested\n{cluster.logs()}"
            assert thread.is_alive(), outcome
            time.sleep(0.05)
        stop_group(cluster.workers["w2"], timeout=0)  # SIGTERM then SIGKILL, mid-task
        thread.join(120)
        assert not thread.is_alive(), "the run hangs after a worker was killed"

        print("first run:", "completed" if "summary" in outcome else outcome["error"])
        if "error" in outcome:  # allowed: a clear failure, then the next run completes
            assert "worker" in str(outcome["error"]).lower(), outcome["error"]
        second = _run(sources, tmp_path)
        assert second.parameters["dask_address"] == cluster.address

    stored = _tables(tmp_path)["articles"]
    assert stored["article_id"].is_unique().all()
    assert stored["url"].drop_nulls().is_unique().all()
    assert stored.height == 1 + feeds * 3 == second.stored_articles
    assert {s.source: s.status for s in second.sources} == {
        "seeds": "ok", **{f"feed{n}": "ok" for n in range(feeds)}}
    if "summary" in outcome:
        first = outcome["summary"]
        assert first.stored_articles == second.stored_articles
        assert {s.status for s in first.sources} == {"ok"}
