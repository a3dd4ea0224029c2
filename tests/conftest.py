"""Session-wide test settings: offline, deterministic, and never writing into the repo."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import uuid
from pathlib import Path

import pytest

import flows  # noqa: F401  (project Prefect settings, before any test imports Prefect)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_DIR = REPO / "seeds"

os.environ.setdefault("SOURCE_DATE_EPOCH", "1749081600")  # 2025-06-05, the seed's meeting
os.environ["MPLBACKEND"] = "Agg"

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    """Refuse any connection that is not to this machine: tests never leave loopback."""
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None if host != "localhost" else ipaddress.ip_address("127.0.0.1")
        if ip is None or not ip.is_loopback:
            raise OSError(f"test network guard: connection to {host!r} refused (loopback only)")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only


@pytest.fixture
def shared_corpora() -> Path:
    """``../shared/corpora``; skips locally when absent, fails when CI=true."""
    from tests.helpers import require_path

    return require_path(SHARED / "corpora", "the shared corpora")


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on loopback for the session (``tests/s3_fixture.py``); skips
    without moto and s3fs locally, fails when CI=true."""
    from tests.s3_fixture import running_s3

    with running_s3() as server:
        yield server


@pytest.fixture
def s3_url(s3_server, monkeypatch) -> str:
    """``s3://<a new bucket>/data``, with the AWS variables pointing at the S3 server."""
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    return f"s3://{s3_server.new_bucket()}/data"


def _new_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "folder":
        return str(tmp_path / "data")
    if kind == "s3":
        return request.getfixturevalue("s3_url")
    import fsspec

    name = f"tw-{uuid.uuid4().hex[:12]}"

    def remove() -> None:
        with contextlib.suppress(FileNotFoundError):
            fsspec.filesystem("memory").rm(f"/{name}", recursive=True)

    request.addfinalizer(remove)
    return f"memory://{name}/data"


@pytest.fixture(params=["memory", "s3"])
def store_url(request, tmp_path) -> str:
    """A new, empty store location on an object store: fsspec's ``memory://`` and S3."""
    return _new_store(request.param, request, tmp_path)


@pytest.fixture(params=["folder", "memory", "s3"])
def any_store(request, tmp_path) -> str:
    """A new, empty store location: a folder, ``memory://`` or S3 (behaviour that must not
    depend on where the store is)."""
    return _new_store(request.param, request, tmp_path)
