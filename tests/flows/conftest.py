"""Flow tests run against Prefect's test harness: one temporary server for the session."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(autouse=True, scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real ``prefect server start`` on a free loopback port, shared by the UI and
    schedule tests (started only when a test asks for it)."""
    from tests.flows.server_fixture import running_server

    with running_server(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server
