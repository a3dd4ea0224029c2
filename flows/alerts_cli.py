"""``topicwatch alerts apply`` and ``topicwatch alerts test``: the automations as code.

Registered in ``flows/cli.py``; Prefect loads only when a command runs.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from analytics.alerts.config import AlertsConfig

ALERTS_FILE = "alerts.toml"

alerts_app = typer.Typer(
    help="Alerts: Prefect automations that send a notification for each burst, new "
         "spending claim and failed source (docs/alerts.md).",
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})

ConfigOpt = typer.Option(Path(ALERTS_FILE), "--config", "-c",
                         help="The alerts config: [notify] kind, url or block, events.")


def _config(path: Path) -> AlertsConfig:
    from analytics.alerts.config import AlertsConfigError, parse_alerts_config

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {path}: cannot read the alerts config: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(2) from exc
    try:
        return parse_alerts_config(text, str(path), os.environ)
    except AlertsConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc


@alerts_app.command("apply")
def apply(config: Path = ConfigOpt) -> None:
    """Create or update the notification block and one automation per event on the server.

    Idempotent: the same config applied twice changes nothing."""
    from prefect.settings import get_current_settings

    from flows.alerts import apply_automations, block_name

    cfg = _config(config)
    if get_current_settings().api.url is None:  # a temporary server would forget them
        print("error: no Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api "
              "for `prefect server start`)", file=sys.stderr)
        raise typer.Exit(2)
    for done in apply_automations(cfg):
        print(f"{done.change} automation {done.name!r} ({done.id})")
    where = cfg.block if cfg.kind == "block" else f"block {block_name(cfg)!r} ({cfg.kind})"
    print(f"notifications go through {where}")


@alerts_app.command("test")
def test(config: Path = ConfigOpt) -> None:
    """Send one sample message through the configured notification block."""
    from flows.alerts import send_test

    cfg = _config(config)
    try:
        subject = send_test(cfg, datetime.now(UTC).date())
    except Exception as exc:  # the block's own error: an HTTP status, a refused connection
        print(f"error: the notification was not delivered: {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    print(f"sent: {subject}")
