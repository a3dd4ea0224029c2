"""A run's alerts, end to end and pure: the events found, which go out, the state after.

``flows/alerts.py`` reads the state, calls :func:`plan_alerts`, emits ``plan.send`` and
writes ``plan.state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from analytics.alerts.events import (
    Alert,
    burst_alerts,
    claim_alerts,
    claim_key,
    source_alerts,
)
from analytics.alerts.rules import AlertRules
from analytics.alerts.state import AlertState, Held, after, select
from analytics.contracts.run_summary import RunSummary
from analytics.report import facts


@dataclass(frozen=True)
class AlertPlan:
    found: tuple[Alert, ...]  # every alert of the run, in order
    send: tuple[Alert, ...]  # those to emit
    held: tuple[Held, ...]  # the others, and why
    state: AlertState  # to write once ``send`` went out


def newest_day(articles: pl.DataFrame, run_date: date) -> date | None:
    """The newest publication day on or before ``run_date`` (the brief's "as of")."""
    days = articles.get_column("published_at").dt.date().drop_nulls()
    days = days.filter(days <= run_date)
    return days.max() if days.len() else None  # type: ignore[return-value]


def plan_alerts(*, summary: RunSummary, tables: Mapping[str, pl.DataFrame],
                labels: Mapping[str, str], rules: AlertRules, state: AlertState) -> AlertPlan:
    """The alerts of the run of ``summary.run_date`` from its ``tables`` (``articles``,
    ``topic_mentions``, ``claims``, ``bursts``, ``burst_stories``) and per-source status:
    bursts on days after the last day a run checked (the week before at most), the claims
    of articles stored this run not seen before, failed and degraded sources."""
    run_date = summary.run_date
    articles, mentions = tables["articles"], tables["topic_mentions"]
    end = newest_day(articles, run_date)
    found: list[Alert] = []
    if end is not None:
        checked = state.checked_day
        since = checked + timedelta(days=1) if checked and checked < end else None
        if checked and checked >= end:
            since = end  # nothing newer: today's day again (a second run of the same day)
        found += burst_alerts(tables["bursts"], tables["burst_stories"], articles, mentions,
                              labels, rules, end=end, since=since)
    fresh = facts.new_claims(tables["claims"], articles, run_date)
    # claims sent on earlier days are not new (left out before the cap on claim events);
    # today's stay, so a rerun of the day reports them as sent
    seen = {key for key, day in state.sent.items() if day < run_date.isoformat()}
    unseen = [claim_key(r) not in seen for r in fresh.iter_rows(named=True)]
    found += claim_alerts(fresh.filter(pl.Series(unseen, dtype=pl.Boolean)))
    found += source_alerts(summary.sources, end=run_date)
    send, held = select(found, state, run_date, rules.quiet_days)
    return AlertPlan(tuple(found), tuple(send), tuple(held), after(state, send, run_date, end))

