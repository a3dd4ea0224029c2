"""The flow against a real ``prefect server start``: run, task runs and artifacts recorded
through the REST API, and shown by the UI in headless Chromium."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.flows.server_fixture import BIN
from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[2]
RUN_DATE = "2025-06-05"
RUN_NAME = f"topic-report-{RUN_DATE}"
KEYS = {"topic-report-summary", "topic-counts", "topic-report-pdf"}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server_run(prefect_server, tmp_path_factory):
    """``topicwatch run`` in a subprocess pointed at the real server; (root, flow run)."""
    root = tmp_path_factory.mktemp("server-run")
    result = subprocess.run(
        [str(BIN / "topicwatch"), "run", "--run-date", RUN_DATE,
         "--sources", str(REPO / "seeds"), "--taxonomy", str(REPO / "seeds" / "taxonomy.toml"),
         "--data-dir", str(root / "data"), "--reports-dir", str(root / "reports")],
        env=prefect_server.env(), cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    with prefect_server.client() as client:
        runs = client.post("/flow_runs/filter", json={
            "flow_runs": {"name": {"any_": [RUN_NAME]}, "deployment_id": {"is_null_": True}},
        }).raise_for_status().json()
    assert len(runs) == 1, [r["name"] for r in runs]
    return root, runs[0]


def test_flow_run_completed(server_run, prefect_server):
    root, run = server_run
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["run_date"] == RUN_DATE
    with prefect_server.client() as client:
        flow = client.get(f"/flows/{run['flow_id']}").raise_for_status().json()
    assert flow["name"] == "topic-report"
    assert (root / "reports" / RUN_DATE / "report.pdf").stat().st_size > 10_000


def test_task_runs_recorded(server_run, prefect_server):
    _, run = server_run
    with prefect_server.client() as client:
        tasks = client.post("/task_runs/filter", json={
            "flow_runs": {"id": {"any_": [run["id"]]}}}).raise_for_status().json()
    names = {t["name"] for t in tasks}
    assert "read-source-seeds" in names
    for prefix in ("load_taxonomy_task", "ingest_task", "tag-partition-", "themes_task",
                   "report_task", "publish_task"):
        assert any(n.startswith(prefix) for n in names), (prefix, names)
    assert {t["state_type"] for t in tasks} == {"COMPLETED"}


def _artifacts(prefect_server, run_id: str) -> dict[str, dict]:
    with prefect_server.client() as client:
        found = client.post("/artifacts/filter", json={
            "artifacts": {"flow_run_id": {"any_": [run_id]}}}).raise_for_status().json()
    return {a["key"]: a for a in found if a["key"]}


def test_artifacts_recorded(server_run, prefect_server):
    _, run = server_run
    artifacts = _artifacts(prefect_server, run["id"])
    assert set(artifacts) >= KEYS
    assert f"# topicwatch report {RUN_DATE}" in artifacts["topic-report-summary"]["data"]
    assert artifacts["topic-counts"]["type"] == "table"
    assert "report.pdf" in artifacts["topic-report-pdf"]["data"]


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    browser = require_tool("chromium")
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'chromium'}",
         # Names other than loopback resolve to nothing: the browser never leaves the machine.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=15000", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


def test_ui_shows_run_and_artifacts(server_run, prefect_server):
    root, run = server_run
    require_tool("chromium")
    page = f"{prefect_server.url}/runs/flow-run/{run['id']}"
    dom = _chromium("--dump-dom", page, tmp=root).stdout
    # The name comes from the API: the UI reached this server, not the default port 4200.
    assert RUN_NAME in dom and "Completed" in dom

    summary = _artifacts(prefect_server, run["id"])["topic-report-summary"]
    dom = _chromium("--dump-dom", f"{prefect_server.url}/artifacts/artifact/{summary['id']}",
                    tmp=root).stdout
    assert "topic-report-summary" in dom
    assert f"topicwatch report {RUN_DATE}" in dom and "What changed" in dom

    shot = root / "flow-run.png"
    _chromium("--window-size=1400,1000", f"--screenshot={shot}", page, tmp=root)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
