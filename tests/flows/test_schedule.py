"""``topicwatch serve`` against a real Prefect server: the cron deployment, one run at a
time, a triggered run reporting on its scheduled day; and the read-source retries."""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from prefect import flow

from analytics.contracts.sources_config import load_sources
from flows.topic_report import read_source_task
from tests.flows.server_fixture import BIN, stop_group
from tests.loopback_server import LoopbackServer, Reply

REPO = Path(__file__).resolve().parents[2]
CRON = "0 6 * * *"
DEPLOYMENT = "daily-0600-utc"  # named from its schedule
LATE_DAY = "2025-06-06"  # the UI test's run is of 2025-06-05


@pytest.fixture(scope="module")
def served(prefect_server, tmp_path_factory):
    """``topicwatch serve --cron`` in its own process group; (root, process, deployment)."""
    root = tmp_path_factory.mktemp("serve")
    with open(root / "serve.log", "wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "topicwatch"), "serve", "--cron", CRON,
             "--sources", str(REPO / "seeds"),
             "--taxonomy", str(REPO / "seeds" / "taxonomy.toml"),
             "--data-dir", str(root / "data"), "--reports-dir", str(root / "reports")],
            # Poll for due runs every 2 s instead of 10 s: a shorter test, same code path.
            env=prefect_server.env(PREFECT_RUNNER_POLL_FREQUENCY="2"), cwd=root,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield root, proc, _wait_for_deployment(prefect_server, proc, root / "serve.log")
    finally:
        stop_group(proc)


def _wait_for_deployment(server, proc: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + 120
    with server.client() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"topicwatch serve exited with {proc.returncode}:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
            resp = client.get(f"/deployments/name/topic-report/{DEPLOYMENT}")
            if resp.status_code == 200:
                return resp.json()
            time.sleep(0.5)
    pytest.fail(f"no deployment topic-report/{DEPLOYMENT} after 120 s:\n{log.read_text()[-3000:]}")


def test_deployment_is_named_from_its_schedule_or_by_the_user():
    from flows.serve import deployment, deployment_name

    names = {"0 6 * * *": "daily-0600-utc", "30 18 * * *": "daily-1830-utc",
             "0 6 * * 1": "weekly-mon-0600-utc", "5 0 * * 0": "weekly-sun-0005-utc",
             "15 * * * *": "hourly-at-15", "*/15 * * * *": "cron-x-15-x-x-x-x",
             "0 6 * * 1-5": "cron-0-6-x-x-1-5"}
    assert {cron: deployment_name(cron=cron) for cron in names} == names
    assert deployment_name(interval=3600) == "every-3600s"
    assert deployment_name(interval=90.5) == "every-90-5s"
    assert deployment({}, interval=3600).name == "every-3600s"
    assert deployment({}, cron=CRON, name="morning-brief").name == "morning-brief"


@pytest.mark.e2e
def test_deployment_has_cron_schedule_and_limit_of_one(served):
    root, _, dep = served
    [schedule] = dep["schedules"]
    assert schedule["active"] and schedule["schedule"]["cron"] == CRON
    assert schedule["schedule"]["timezone"] == "UTC"
    # Prefect 3.9 keeps a deployment's limit as a global concurrency limit of its own.
    limit = dep.get("global_concurrency_limit") or {}
    assert (limit.get("limit") or dep.get("concurrency_limit")) == 1
    assert dep["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert dep["entrypoint"] == "flows.topic_report.topic_report"
    assert dep["parameters"]["reports_dir"] == str(root / "reports")
    assert "run_date" not in dep["parameters"]


@pytest.mark.e2e
def test_upcoming_runs_are_at_six_utc(served, prefect_server):
    _, _, dep = served
    deadline = time.monotonic() + 60
    with prefect_server.client() as client:
        while True:
            upcoming = client.post("/flow_runs/filter", json={"flow_runs": {
                "deployment_id": {"any_": [dep["id"]]},
                "state": {"type": {"any_": ["SCHEDULED"]}}}}).raise_for_status().json()
            if upcoming or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert upcoming, "the scheduler created no upcoming runs"
    assert all(r["expected_start_time"].endswith("T06:00:00Z") for r in upcoming)


@pytest.fixture(scope="module")
def late_run(served, prefect_server):
    """A run scheduled for 06:00 on LATE_DAY that starts now (missed, or queued behind
    another run); (run, seconds from trigger to a final state)."""
    _, _, dep = served
    started = time.monotonic()
    with prefect_server.client() as client:
        run = client.post(f"/deployments/{dep['id']}/create_flow_run", json={"state": {
            "type": "SCHEDULED",
            "state_details": {"scheduled_time": f"{LATE_DAY}T06:00:00Z"}}}).raise_for_status()
    run = prefect_server.wait_for_run(run.json()["id"], timeout=180)
    return run, time.monotonic() - started


@pytest.mark.e2e
def test_late_scheduled_run_reports_on_its_scheduled_day(served, late_run):
    root, *_ = served
    run, took = late_run
    assert run["state_type"] == "COMPLETED", (run["state"], (root / "serve.log").read_text()[-3000:])
    # Its day and scheduled time (several runs a day have one each), and its id's end.
    assert re.fullmatch(rf"topic-report-{LATE_DAY}-0600-[0-9a-f]{{6}}", run["name"]), run["name"]
    assert run["parameters"].get("run_date") is None
    assert (root / "reports" / LATE_DAY / "report.pdf").stat().st_size > 10_000
    print(f"scheduled run: {took:.1f} s from trigger to completed, "
          f"{run['total_run_time']:.1f} s running")


@pytest.mark.e2e
def test_failed_run_leaves_the_previous_report(served, late_run, prefect_server):
    root, _, dep = served
    pdf = root / "reports" / LATE_DAY / "report.pdf"
    before = pdf.read_bytes()
    with prefect_server.client() as client:
        run = client.post(f"/deployments/{dep['id']}/create_flow_run", json={
            "parameters": {"run_date": LATE_DAY, "taxonomy": str(root / "missing.toml")},
        }).raise_for_status()
    run = prefect_server.wait_for_run(run.json()["id"], timeout=180)
    assert run["state_type"] == "FAILED"
    assert pdf.read_bytes() == before
    assert not list(pdf.parent.rglob("*.tmp"))


@pytest.mark.e2e
def test_ui_shows_the_deployment(served, prefect_server):
    from tests.flows.server_fixture import chromium, keep_screenshot, screenshot

    root, _, dep = served
    page = f"{prefect_server.url}/deployments/deployment/{dep['id']}"
    dom = chromium("--dump-dom", page, tmp=root).stdout
    assert DEPLOYMENT in dom
    keep_screenshot(screenshot(page, root / "ui_deployment.png", tmp=root))


@pytest.mark.e2e
def test_stopping_serve_pauses_the_schedule(served, prefect_server):
    _, proc, dep = served
    stop_group(proc)
    with prefect_server.client() as client:
        after = client.get(f"/deployments/{dep['id']}").raise_for_status().json()
    assert after["paused"]


@pytest.mark.e2e
def test_prefect_yaml_deploys_to_the_work_pool(served, prefect_server):
    """``prefect deploy`` of prefect.yaml: the same schedule and limit on the process pool
    (as topic-report/daily-0600-utc). Runs after serve has stopped, whose schedule would run too."""
    _, proc, _ = served
    assert proc.poll() is not None
    env = prefect_server.env(PWD=str(REPO))
    for args in (["work-pool", "create", "topicwatch-pool", "--type", "process"],
                 ["--no-prompt", "deploy", "--all"]):
        result = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with prefect_server.client() as client:
        dep = client.get("/deployments/name/topic-report/daily-0600-utc").raise_for_status().json()
    assert dep["work_pool_name"] == "topicwatch-pool"
    assert dep["entrypoint"] == "flows.topic_report.topic_report"  # as serve deploys it
    assert dep["job_variables"]["working_dir"] == str(REPO)
    assert [s["schedule"]["cron"] for s in dep["schedules"]] == [CRON]
    assert dep["schedules"][0]["schedule"]["timezone"] == "UTC"
    assert dep["global_concurrency_limit"]["limit"] == 1
    assert dep["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert dep["parameters"] == {}  # every parameter takes the flow's default
    properties = dep["parameter_openapi_schema"]["properties"]
    assert properties["reports_dir"]["default"] == "reports"
    assert "dask_address" in properties


# Read-source retries (under the test harness; no real server needed).

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Drone factory opens</title><link>https://example.org/a</link>"
        b"<description>A drone factory opened in the west.</description>"
        b"<pubDate>Wed, 04 Jun 2025 09:00:00 GMT</pubDate></item></channel></rss>")


@contextlib.contextmanager
def _feed_source(tmp_path: Path, *replies: Reply | int):
    """A feed source on a loopback server answering ``replies`` in turn; the fetcher makes
    one attempt per read, so every attempt the server sees is a task run."""
    with LoopbackServer() as server:
        server.script("/feed.xml", *replies)
        path = tmp_path / "sources.toml"
        path.write_text(
            '[settings]\nallowed_networks = ["127.0.0.1/32"]\ntimeout_seconds = 2\n'
            'retries = 0\n\n'
            f'[[source]]\nid = "wire"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
        )
        config = load_sources(path)
        yield server, config.sources[0], config.settings


@flow(validate_parameters=False)
def _read(source, settings):
    return read_source_task.with_options(retry_delay_seconds=0)(source, settings, {},
                                                                date(2025, 6, 5))


def test_transient_source_failure_is_retried(tmp_path):
    with _feed_source(tmp_path, 503, 503, Reply(200, FEED)) as (server, source, settings):
        batch = _read(source, settings)
        assert len(server.hits("/feed.xml")) == 3
    assert batch.status == "ok" and batch.articles.height == 1


def test_source_still_failing_after_retries_gives_failed_batch(tmp_path):
    with _feed_source(tmp_path, 503) as (server, source, settings):
        batch = _read(source, settings)
        assert len(server.hits("/feed.xml")) == 3
    assert batch.status == "failed" and "HTTP 503" in batch.message


def test_permanent_source_failure_is_not_retried(tmp_path):
    with _feed_source(tmp_path, 404) as (server, source, settings):
        batch = _read(source, settings)
        assert len(server.hits("/feed.xml")) == 1
    assert batch.status == "failed" and "HTTP 404" in batch.message


def test_serve_needs_exactly_one_schedule():
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "exactly one of --cron and --interval" in result.output
    result = runner.invoke(app, ["serve", "--cron", "0 6 * * *", "--interval", "60"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["serve", "--cron", "6 o'clock"])
    assert result.exit_code == 2 and "Invalid cron string" in result.output
