"""Sane Prefect settings for this project, applied before Prefect is imported.

Values already set in the environment win, so a user's ``PREFECT_API_URL`` (a running
server) or own ``PREFECT_HOME`` is respected. ``PREFECT_HOME`` defaults to ``.prefect``
in the working directory (the project folder or the checkout), never the installed
package's folder.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The 20 s default times out on a loaded 2-core machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "INFO",
    "MPLBACKEND": "Agg",
}


def defaults(cwd: Path | None = None) -> dict[str, str]:
    """The settings, with ``PREFECT_HOME`` under ``cwd`` (default: the working directory)."""
    home = (cwd if cwd is not None else Path.cwd()) / ".prefect"
    return {"PREFECT_HOME": str(home), **DEFAULTS}


def apply(environ: MutableMapping[str, str] | None = None) -> None:
    """Set every default not already set in ``environ`` (default: ``os.environ``)."""
    environ = os.environ if environ is None else environ
    for key, value in defaults().items():
        environ.setdefault(key, value)
