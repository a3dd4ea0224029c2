"""The topic-report flow as a scheduled deployment, served by this process.

``topicwatch serve --cron "0 6 * * *"`` registers the deployment ``topic-report/daily``
with the Prefect API (``PREFECT_API_URL``: a running ``prefect server start``) and runs
its scheduled runs here until stopped. ``prefect.yaml`` deploys the same to a work pool.
"""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from flows.topic_report import topic_report

DEPLOYMENT_NAME = "daily"
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


def deployment(
    parameters: dict[str, Any], *, cron: str | None = None, interval: float | None = None,
    name: str = DEPLOYMENT_NAME,
) -> RunnerDeployment:
    """The topic-report deployment: ``parameters`` become the defaults of every run; its
    runs leave ``run_date`` unset, so each reports on its scheduled day."""
    return topic_report.to_deployment(
        name=name,
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
