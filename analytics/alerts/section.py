"""What a run alerted and why, for page 1, ``summary.md`` and the summary artifact.

The flow hands the report an :class:`AlertedRunSummary` (the run summary with its alert
notes); :func:`alert_lines` is what the report prints: "" lines when the run did not plan
alerts (a report written without the flow), else one line per alert sent or held back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from analytics.alerts.events import Alert, day_text
from analytics.alerts.state import Held
from analytics.contracts.run_summary import RunSummary
from analytics.report.formatting import plural

HEADING = "Alerts"


@dataclass(frozen=True)
class AlertNote:
    event: str  # the event's name, topicwatch.topic.burst ...
    resource: str  # its resource id
    reason: str  # what happened and which rule let it through
    sent: bool
    why_not: str = ""  # for an alert held back: why (already sent, quiet period)


@dataclass(frozen=True)
class AlertedRunSummary(RunSummary):
    """A run summary that also says what the run alerted (``alerts``)."""

    alerts: tuple[AlertNote, ...] = ()


def notes(found: Sequence[Alert], send: Iterable[Alert], held: Iterable[Held],
          run_date: date) -> tuple[AlertNote, ...]:
    """One note per alert ``found``, in its order: sent, or held back and why. An alert an
    earlier run of the same day sent counts as sent: a rerun's report says what the first
    one did (same inputs, same report)."""
    rid = "prefect.resource.id"
    by_id = {id(a): AlertNote(a.event, a.resource[rid], a.reason, True) for a in send}
    for h in held:
        today = h.sent_on == run_date
        by_id[id(h.alert)] = AlertNote(h.alert.event, h.alert.resource[rid], h.alert.reason,
                                       today, "" if today else h.why)
    return tuple(by_id[id(a)] for a in found if id(a) in by_id)


def alert_lines(summary: RunSummary) -> tuple[str, ...]:
    """The section's lines (plain text: the report escapes them); () when ``summary``
    carries no alerts plan."""
    if not isinstance(summary, AlertedRunSummary):
        return ()
    sent = [n for n in summary.alerts if n.sent]
    held = [n for n in summary.alerts if not n.sent]
    if not summary.alerts:
        return ("No alerts this run: no burst a topic's rule lets through, no new spending "
                "claim, every source read.",)
    lines = [f"{plural(len(sent), 'alert')} of {day_text(summary.run_date)} sent as Prefect "
             f"events (the automations of topicwatch alerts apply deliver them)"
             + (f"; {len(held)} held back" if held else "") + ":"]
    lines += [f"{n.reason} ({n.event})." for n in sent]
    lines += [f"Held back: {n.reason} ({n.event}; {n.why_not})." for n in held]
    return tuple(lines)
