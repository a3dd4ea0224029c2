"""A real ``prefect server start`` on 127.0.0.1 for the UI and schedule tests.

The rest of the flow tests run under ``prefect_test_harness``, which points *this*
process at its own temporary server; everything that should talk to the real server runs
in a subprocess whose environment comes from ``PrefectServer.env()``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 180  # first start migrates a new database: ~25 s here, more on 2 loaded cores
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _RetryBusy(httpx.HTTPTransport):
    """Retries 429 and 503 as Prefect's own client does: the server answers 503 while its
    SQLite database is busy (seen once creating a run on 2 loaded cores)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(4):
            response = super().handle_request(request)
            if response.status_code not in (429, 503) or attempt == 3:
                return response
            response.close()
            time.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class PrefectServer:
    port: int
    home: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process that should use this server (and nothing else)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=str(self.home), PREFECT_API_URL=self.api, DO_NOT_TRACK="1",
            PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_UI_API_URL=self.api,
            PYTHONUNBUFFERED="1", **extra,
        )
        return env

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api, timeout=30, trust_env=False,
                            transport=_RetryBusy())

    def wait_for_run(self, run_id: str, timeout: float = 180) -> dict:
        """The flow run once it reaches a final state; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                run = client.get(f"/flow_runs/{run_id}").raise_for_status().json()
                if run["state_type"] in FINAL_STATES:
                    return run
                if time.monotonic() > deadline:
                    pytest.fail(f"flow run {run['name']} still {run['state_type']} "
                                f"after {timeout:.0f} s")
                time.sleep(1)


def stop_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM the process group ``proc`` leads (it was started with a new session), then
    SIGKILL what is left after ``timeout``."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    # Children of the leader (uvicorn, flow-run processes) may outlive it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


@contextlib.contextmanager
def running_server(root: Path) -> Iterator[PrefectServer]:
    """Start ``prefect server start`` with its home under ``root``; stop it on exit."""
    home = root / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    server = PrefectServer(free_port(), home, root / "server.log")
    with open(server.log, "wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
             "--port", str(server.port)],
            env=server.env(), cwd=root, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(server, proc)
        yield server
    finally:
        stop_group(proc)


def _wait_healthy(server: PrefectServer, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prefect server exited with {proc.returncode}:\n"
                        f"{server.log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.api}/health", timeout=2, trust_env=False).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {STARTUP_TIMEOUT} s:\n"
                f"{server.log.read_text(errors='replace')[-3000:]}")


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    """Headless Chromium with ``args`` (``--dump-dom URL``, ``--screenshot=PNG URL``),
    kept on loopback; skips without Chromium (fails under CI=true)."""
    from tests.helpers import require_tool

    browser = require_tool("chromium")
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'chromium'}",
         # Names other than loopback resolve to nothing: the browser never leaves the machine.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=15000", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


def screenshot(url: str, shot: Path, *, tmp: Path, size: str = "1400,1000") -> Path:
    """A PNG of the page at ``url``, checked to be one (and not a blank page)."""
    chromium(f"--window-size={size}", f"--screenshot={shot}", url, tmp=tmp)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return shot


def keep_screenshot(shot: Path) -> None:
    """A copy of ``shot`` in ``$UI_SCREENSHOTS`` when it is set, for a person to look at."""
    if folder := os.environ.get("UI_SCREENSHOTS"):
        import shutil

        shutil.copy(shot, Path(folder) / shot.name)
