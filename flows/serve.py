"""The topic-report flow as a scheduled deployment, served by this process.

``topicwatch serve --cron "0 6 * * *"`` registers the deployment
``topic-report/daily-0600-utc`` (named from its schedule, ``deployment_name``) with the
Prefect API (``PREFECT_API_URL``: a running ``prefect server start``) and runs its
scheduled runs here until stopped. ``prefect.yaml`` deploys the same to a work pool.

What stays warm: this process (its API client, the registered deployment, the poll for due
runs). Prefect 3's runner starts each run in a new process (``run_flow_in_subprocess``,
``multiprocessing`` spawn; fork deadlocks its engine), which imports the flow again: so
``flows.topic_report`` imports little (about a second, mostly Prefect) and each stage
imports what it needs when it runs. A work pool's process worker does the same with
``python -m prefect.engine``.
"""

from __future__ import annotations

import re
from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from flows.topic_report import topic_report

TIMEZONE = "UTC"  # the run date of a scheduled run is its scheduled day in UTC
# One run at a time: a run due while another is still going waits for it (ENQUEUE)
# instead of both writing the store; the store's lock file is the second guard.
ONE_AT_A_TIME = ConcurrencyLimitConfig(
    limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
)


def schedule(*, cron: str | None = None, interval: float | None = None) -> Schedule:
    """A cron or interval schedule in UTC (exactly one of the two)."""
    if (cron is None) == (interval is None):
        raise ValueError("give exactly one of cron and interval")
    if cron is not None:
        return Cron(cron, timezone=TIMEZONE)
    if interval <= 0:
        raise ValueError("interval must be a positive number of seconds")
    return Interval(interval, timezone=TIMEZONE)


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def deployment_name(*, cron: str | None = None, interval: float | None = None) -> str:
    """A name that says when the deployment runs: "daily-0600-utc" for ``0 6 * * *``,
    "weekly-mon-0600-utc", "hourly-at-15", else the cron's fields ("cron-x-15-x-x-x-x"
    for ``*/15 * * * *``); "every-3600s" for an interval."""
    if interval is not None:
        return f"every-{interval:g}s".replace(".", "-")
    fields = (cron or "").split()
    if len(fields) == 5 and all(f.isdigit() for f in fields[:2]):
        minute, hour, dom, month, dow = fields
        at = f"{int(hour):02d}{int(minute):02d}-utc"
        if (dom, month, dow) == ("*", "*", "*"):
            return f"daily-{at}"
        if (dom, month) == ("*", "*") and dow.isdigit() and int(dow) <= 7:
            return f"weekly-{_DAYS[int(dow) % 7]}-{at}"
    if len(fields) == 5 and fields[0].isdigit() and fields[1:] == ["*"] * 4:
        return f"hourly-at-{int(fields[0]):02d}"
    slug = re.sub(r"[^0-9a-z]+", "-", (cron or "").replace("*", "x").lower()).strip("-")
    return f"cron-{slug}"


def deployment(
    parameters: dict[str, Any], *, cron: str | None = None, interval: float | None = None,
    name: str | None = None,
) -> RunnerDeployment:
    """The topic-report deployment, named ``name`` or from its schedule
    (``deployment_name``): ``parameters`` become the defaults of every run; its runs leave
    ``run_date`` unset, so each reports on its scheduled day."""
    return topic_report.to_deployment(
        name=name or deployment_name(cron=cron, interval=interval),
        schedules=[schedule(cron=cron, interval=interval)],
        parameters=parameters,
        concurrency_limit=ONE_AT_A_TIME,
        tags=["topicwatch"],
        description="topicwatch: ingest the sources and write the day's topic report.",
        # Loaded by module path: the flow is found whatever directory serve runs from.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve_deployment(dep: RunnerDeployment) -> None:
    """Register ``dep`` and run its scheduled runs here, one at a time, until stopped
    (SIGINT/SIGTERM); stopping pauses the schedule."""
    serve(dep, limit=1)
