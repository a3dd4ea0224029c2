"""``topicwatch reports serve``: the reports folder over HTTP on 127.0.0.1, read-only,
with the right content types and nothing outside the folder."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from flows.report_server import ReportServer
from tests.flows.server_fixture import BIN, stop_group
from tests.loopback_server import serving as in_thread

DAY = "2025-06-05"
PDF = b"%PDF-1.4\n% a report\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def reports(tmp_path) -> Path:
    """A reports folder of one run, and a secret beside it that must not be served."""
    out = tmp_path / "reports" / DAY
    (out / "charts").mkdir(parents=True)
    (out / "tables").mkdir()
    (out / "report.pdf").write_bytes(PDF)
    (out / "charts" / "brief_share.png").write_bytes(PNG)
    (out / "summary.md").write_text("# topicwatch report\n", encoding="utf-8")
    pl.DataFrame({"topic": ["a"], "articles": [3]}).write_parquet(out / "tables" / "t.parquet")
    pl.DataFrame({"topic": ["a"], "articles": [3]}).write_csv(out / "tables" / "t.csv")
    (out / ".report.pdf.tmp").write_bytes(b"half written")
    (out / "notes.txt").write_text("not a report file")
    (tmp_path / "secret.csv").write_text("secret")
    (out / "leak.pdf").symlink_to(tmp_path / "secret.csv")
    return tmp_path / "reports"


@contextlib.contextmanager
def serving(root: Path) -> Iterator[ReportServer]:
    with in_thread(ReportServer(root, "127.0.0.1", 0)) as server:
        yield server


def _get(server: ReportServer, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """The request with ``path`` sent as it is (http.client does not fold ``..``)."""
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_serves_report_files_with_their_content_types(reports):
    with serving(reports) as server:
        assert server.url.startswith("http://127.0.0.1:")
        expected = {
            f"/{DAY}/report.pdf": "application/pdf",
            f"/{DAY}/charts/brief_share.png": "image/png",
            f"/{DAY}/tables/t.parquet": "application/vnd.apache.parquet",
            f"/{DAY}/tables/t.csv": "text/csv; charset=utf-8",
            f"/{DAY}/summary.md": "text/markdown; charset=utf-8",
        }
        for path, content_type in expected.items():
            status, headers, body = _get(server, path)
            assert (status, headers["Content-Type"]) == (200, content_type), path
            assert body == (reports / path.lstrip("/")).read_bytes()
            assert headers["X-Content-Type-Options"] == "nosniff"
        status, headers, body = _get(server, f"/{DAY}/report.pdf", "HEAD")
        assert (status, headers["Content-Length"], body) == (200, str(len(PDF)), b"")


def test_refuses_paths_out_of_the_folder_and_other_files(reports):
    with serving(reports) as server:
        for path in ("/../secret.csv", f"/{DAY}/../../secret.csv", "/%2e%2e/secret.csv",
                     "/..%2fsecret.csv", "/%2E%2E%2Fsecret.csv", f"/{DAY}/..%5c..%5csecret.csv",
                     f"/{DAY}/leak.pdf", f"/{DAY}/.report.pdf.tmp", f"/{DAY}/notes.txt",
                     f"/{DAY}/missing.pdf"):
            status, _, body = _get(server, path)
            assert status == 404, path
            assert b"secret" not in body
        assert _get(server, f"/{DAY}/report.pdf", "POST")[0] == 501
        assert _get(server, f"/{DAY}/report.pdf", "PUT")[0] == 501
    assert (reports / DAY / "report.pdf").read_bytes() == PDF


def test_folders_list_their_report_files(reports):
    with serving(reports) as server:
        status, headers, _ = _get(server, f"/{DAY}")
        assert status == 301 and headers["Location"] == f"/{DAY}/"
        status, headers, body = _get(server, "/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert f'href="{DAY}/"'.encode() in body
        _, _, body = _get(server, f"/{DAY}/")
        assert b'href="report.pdf"' in body and b'href="charts/"' in body
        assert b"notes.txt" not in body and b".report.pdf.tmp" not in body


def test_the_command_serves_on_loopback(reports):
    """``topicwatch reports serve --port 0`` prints its URL (127.0.0.1 unless --host says
    otherwise) and serves the PDF there."""
    proc = subprocess.Popen(
        [str(BIN / "topicwatch"), "reports", "serve", "--reports-dir", str(reports),
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"serving {reports} at http://127.0.0.1:"), (
            line + proc.stderr.read() if proc.poll() is not None else line)
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/{DAY}/report.pdf")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type") == "application/pdf"
        assert resp.read() == PDF
        conn.close()
    finally:
        stop_group(proc)


def test_the_command_names_a_missing_folder(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["reports", "serve", "--reports-dir",
                                      str(tmp_path / "none"), "--port", "0"])
    assert result.exit_code == 2 and "no such folder" in result.output
