"""The alert state in the store: ``<data>/alerts/state.json``, written atomically.

IO (layer 2): a folder or an fsspec URL, as the article store. An unreadable or foreign
file is logged and replaced: at worst a run re-sends what an earlier one sent.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from analytics.alerts.state import AlertState
from analytics.store.backends import open_storage

log = logging.getLogger(__name__)
STATE_FILE = PurePosixPath("alerts", "state.json")


def read_state(data_dir: str | Path) -> AlertState:
    storage = open_storage(data_dir)
    path = storage.root / STATE_FILE
    if not storage.exists(path):
        return AlertState()
    try:
        return AlertState.from_json(storage.read_bytes(path).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("alert state %s unreadable (%s): starting afresh", path, exc)
        return AlertState()


def write_state(data_dir: str | Path, state: AlertState) -> None:
    storage = open_storage(data_dir)
    storage.write_bytes(storage.root / STATE_FILE, state.to_json().encode("utf-8"))
