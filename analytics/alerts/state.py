"""What was alerted before, and which of a run's alerts go out: the quiet period.

An alert goes out unless its ``key`` was sent before (a second run of the same day, a
claim seen in an earlier run) or its ``subject`` (a topic, a source) alerted within the
quiet period, ``quiet_days`` days, at the same level or higher: a watch that becomes a
burst is news. The state is plain JSON data (``state_file`` keeps it in the store).
Pure: the run date is a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from analytics.alerts.events import Alert, day_text

FORMAT = 1
KEEP_DAYS = 400  # sent keys are forgotten after this (claim keys too: a year-old claim
# stated again is news again)
_RANK = {"burst": 2, "failed": 2, "watch": 1, "degraded": 1}


@dataclass(frozen=True)
class AlertState:
    sent: dict[str, str] = field(default_factory=dict)  # key -> ISO day it was sent
    last: dict[str, tuple[str, str]] = field(default_factory=dict)  # subject -> (day, level)
    checked: str | None = None  # the newest publication day a run looked at

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "checked": self.checked, "sent": self.sent,
                           "last": {k: list(v) for k, v in self.last.items()}},
                          indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AlertState:
        """The state of ``text``; raises ``ValueError`` for anything else than this
        module's own JSON (the caller starts afresh)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an alert state of format {FORMAT}")
        sent, last, checked = data.get("sent", {}), data.get("last", {}), data.get("checked")
        if not (isinstance(sent, dict) and isinstance(last, dict)
                and all(isinstance(v, str) for v in sent.values())
                and all(isinstance(v, list) and len(v) == 2 for v in last.values())
                and (checked is None or isinstance(checked, str))):
            raise ValueError("malformed alert state")
        return cls({str(k): v for k, v in sent.items()},
                   {str(k): (str(v[0]), str(v[1])) for k, v in last.items()}, checked)

    @property
    def checked_day(self) -> date | None:
        return date.fromisoformat(self.checked) if self.checked else None


@dataclass(frozen=True)
class Held:
    alert: Alert
    why: str
    sent_on: date | None = None  # the day it was sent, when it was (not the quiet period)


def select(alerts: Sequence[Alert], state: AlertState, run_date: date,
           quiet_days: int) -> tuple[list[Alert], list[Held]]:
    """(the alerts to send, those held back and why)."""
    send: list[Alert] = []
    held: list[Held] = []
    for alert in alerts:
        if alert.key in state.sent:
            sent_on = date.fromisoformat(state.sent[alert.key])
            held.append(Held(alert, f"already sent on {day_text(sent_on)}", sent_on))
            continue
        last = state.last.get(alert.subject)
        if last and alert.event != "topicwatch.claim.new":
            day, level = date.fromisoformat(last[0]), last[1]
            escalates = _RANK.get(alert.level, 0) > _RANK.get(level, 0)
            if (run_date - day).days < quiet_days and not escalates:
                held.append(Held(alert, f"quiet period: {level} alerted on {day_text(day)} "
                                        f"(alert_quiet_days = {quiet_days})"))
                continue
        send.append(alert)
    return send, held


def after(state: AlertState, sent: Sequence[Alert], run_date: date,
          checked: date | None) -> AlertState:
    """The state once ``sent`` went out on ``run_date``, having looked at days up to
    ``checked``; keys older than :data:`KEEP_DAYS` forgotten."""
    today = run_date.isoformat()
    horizon = (run_date - timedelta(days=KEEP_DAYS)).isoformat()
    keys = {k: v for k, v in state.sent.items() if v >= horizon}
    keys.update({a.key: today for a in sent})
    last = {k: v for k, v in state.last.items() if v[0] >= horizon}
    last.update({a.subject: (today, a.level) for a in sent if a.event != "topicwatch.claim.new"})
    newest = max(filter(None, [state.checked, checked.isoformat() if checked else None]),
                 default=None)
    return AlertState(keys, last, newest)
