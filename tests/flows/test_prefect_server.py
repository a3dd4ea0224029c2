"""The flow against a real ``prefect server start``: run, task runs and artifacts recorded
through the REST API, and shown by the UI in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.flows.server_fixture import (
    BIN,
    chromium,
    free_port,
    keep_screenshot,
    screenshot,
    stop_group,
)
from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[2]
RUN_DATE = "2025-06-05"
RUN_NAME = re.compile(rf"topic-report-{RUN_DATE}-[0-9a-f]{{6}}")
KEYS = {"topic-report-summary", "topic-counts", "topic-report-pdf"}
# One task run per stage, named without Prefect's "-68e" suffixes; one per source and month.
TASK_RUNS = {"load-taxonomy", "load-sources", "read-source-seeds", "ingest", "stale-partitions",
             "tag-partition-2025-06", "themes", "read-store", "read-derived", "trends",
             "theme-trends", "report", "publish-artifacts",
             "plan-alerts", "send-alerts"}  # flows/alerts.py (issue 19)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def reports_server(tmp_path_factory):
    """``topicwatch reports serve`` of the run's reports folder; (folder, its URL)."""
    reports = tmp_path_factory.mktemp("server-run-reports")
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "topicwatch"), "reports", "serve", "--reports-dir", str(reports),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        assert "serving" in proc.stdout.readline()
        yield reports, f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture(scope="module")
def server_run(prefect_server, reports_server, tmp_path_factory):
    """``topicwatch run --reports-url`` in a subprocess pointed at the real server;
    (root, flow run, reports URL)."""
    root = tmp_path_factory.mktemp("server-run")
    reports, url = reports_server
    result = subprocess.run(
        [str(BIN / "topicwatch"), "run", "--run-date", RUN_DATE,
         "--sources", str(REPO / "seeds"), "--taxonomy", str(REPO / "seeds" / "taxonomy.toml"),
         "--data-dir", str(root / "data"), "--reports-dir", str(reports),
         "--reports-url", url],
        env=prefect_server.env(), cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    with prefect_server.client() as client:
        runs = client.post("/flow_runs/filter", json={
            "flow_runs": {"name": {"like_": f"topic-report-{RUN_DATE}-"},
                          "deployment_id": {"is_null_": True}},
        }).raise_for_status().json()
    assert len(runs) == 1, [r["name"] for r in runs]
    assert RUN_NAME.fullmatch(runs[0]["name"]), runs[0]["name"]
    (root / "reports").symlink_to(reports)
    return root, runs[0], url


def test_flow_run_completed(server_run, prefect_server):
    root, run, _ = server_run
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["run_date"] == RUN_DATE
    with prefect_server.client() as client:
        flow = client.get(f"/flows/{run['flow_id']}").raise_for_status().json()
    assert flow["name"] == "topic-report"
    assert (root / "reports" / RUN_DATE / "report.pdf").stat().st_size > 10_000


def test_task_runs_recorded(server_run, prefect_server):
    _, run, _ = server_run
    with prefect_server.client() as client:
        tasks = client.post("/task_runs/filter", json={
            "flow_runs": {"id": {"any_": [run["id"]]}}}).raise_for_status().json()
    names = [t["name"] for t in tasks]
    assert sorted(names) == sorted(TASK_RUNS)
    assert {t["state_type"] for t in tasks} == {"COMPLETED"}


def _artifacts(prefect_server, run_id: str) -> dict[str, dict]:
    with prefect_server.client() as client:
        found = client.post("/artifacts/filter", json={
            "artifacts": {"flow_run_id": {"any_": [run_id]}}}).raise_for_status().json()
    return {a["key"]: a for a in found if a["key"]}


def test_artifacts_recorded(server_run, prefect_server):
    _, run, _ = server_run
    artifacts = _artifacts(prefect_server, run["id"])
    assert set(artifacts) >= KEYS
    assert f"# topicwatch report {RUN_DATE}" in artifacts["topic-report-summary"]["data"]
    assert artifacts["topic-counts"]["type"] == "table"
    assert artifacts["topic-report-pdf"]["data"].startswith("[report.pdf (")  # a link


def test_artifact_links_open_the_report_from_the_reports_server(server_run, prefect_server):
    """The links of the artifacts point at ``topicwatch reports serve``, which serves the
    PDF and the charts to a browser."""
    _, run, url = server_run
    artifacts = _artifacts(prefect_server, run["id"])
    link = f"{url}/{RUN_DATE}/report.pdf"
    assert artifacts["topic-report-pdf"]["data"] == f"[report.pdf ({RUN_DATE})]({link})"
    summary = artifacts["topic-report-summary"]["data"]
    assert f"[Open the PDF report]({link})" in summary
    charts = re.findall(rf"\(({re.escape(url)}/{RUN_DATE}/charts/[a-z_]+\.png)\)", summary)
    assert charts
    with httpx.Client(trust_env=False, timeout=30) as client:
        pdf = client.get(link)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        for chart in charts:
            png = client.get(chart)
            assert png.status_code == 200 and png.headers["content-type"] == "image/png"


def test_ui_shows_run_and_artifacts(server_run, prefect_server):
    root, run, url = server_run
    require_tool("chromium")
    page = f"{prefect_server.url}/runs/flow-run/{run['id']}"
    dom = chromium("--dump-dom", page, tmp=root).stdout
    # The name comes from the API: the UI reached this server, not the default port 4200.
    assert run["name"] in dom and "Completed" in dom

    summary = _artifacts(prefect_server, run["id"])["topic-report-summary"]
    artifact_page = f"{prefect_server.url}/artifacts/artifact/{summary['id']}"
    dom = chromium("--dump-dom", artifact_page, tmp=root).stdout
    assert "topic-report-summary" in dom
    assert f"topicwatch report {RUN_DATE}" in dom and "What changed" in dom
    assert f'href="{url}/{RUN_DATE}/report.pdf"' in dom  # the link, rendered as one
    # One article: page 1 draws no chart, so none is inline; the charts are linked.
    assert 'src="data:image/png;base64,' not in dom
    assert f'href="{url}/{RUN_DATE}/charts/topic_totals.png"' in dom

    keep_screenshot(screenshot(page, root / "ui_run.png", tmp=root))
    keep_screenshot(screenshot(artifact_page, root / "ui_artifact.png", tmp=root,
                               size="1400,2200"))
