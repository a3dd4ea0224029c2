"""The quiet period and the state a second run reads."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from analytics.alerts.events import source_alerts
from analytics.alerts.state import AlertState, after, select
from analytics.alerts.state_file import read_state, write_state
from analytics.contracts.run_summary import SourceOutcome
from tests.analytics.alerts.test_alert_events import DAY, _alerts, _burst, _bursts


def _run(state: AlertState, day: date, level: str = "burst", onset: date | None = None,
         quiet: int = 3):
    alerts = _alerts(_bursts(_burst("drones", day, level, onset=onset)), end=day)
    send, held = select(alerts, state, day, quiet)
    return send, held, after(state, send, day, day)


def test_same_day_twice_sends_once():
    send, _, state = _run(AlertState(), DAY)
    assert len(send) == 1
    send, held, _ = _run(state, DAY)
    assert send == [] and held[0].why == "already sent on 5 Jun 2025"


def test_quiet_period_holds_a_new_burst_of_the_same_topic_then_lets_it_through():
    _, _, state = _run(AlertState(), DAY)
    later = DAY + timedelta(days=2)
    send, held, _ = _run(state, later, onset=later)
    assert send == [] and held[0].why.startswith("quiet period: burst alerted on 5 Jun 2025")
    after_quiet = DAY + timedelta(days=3)
    send, _, _ = _run(state, after_quiet, onset=after_quiet)
    assert len(send) == 1


def test_a_watch_that_becomes_a_burst_alerts_inside_the_quiet_period():
    _, _, state = _run(AlertState(), DAY, "watch")
    nxt = DAY + timedelta(days=1)
    send, _, _ = _run(state, nxt, "burst", onset=DAY)
    assert len(send) == 1 and send[0].level == "burst"


def test_a_failing_source_alerts_again_after_the_quiet_period_only():
    failed = (SourceOutcome("wire", "feed", "failed", 0, "timeout"),)
    state = AlertState()
    sent = []
    for d in range(5):
        day = DAY + timedelta(days=d)
        send, _ = select(source_alerts(failed, end=day), state, day, 3)
        state = after(state, send, day, day)
        sent += [day.day for _ in send]
    assert sent == [5, 8]


def test_state_round_trips_through_the_store(tmp_path):
    _, _, state = _run(AlertState(), DAY)
    write_state(tmp_path / "data", state)
    assert read_state(tmp_path / "data") == state
    assert (tmp_path / "data" / "alerts" / "state.json").read_text().startswith("{")
    assert read_state(tmp_path / "nothing") == AlertState()


@pytest.mark.parametrize("text", ["", "not json", '{"format": 99}', '{"format": 1, "sent": []}'])
def test_an_unreadable_state_starts_afresh(tmp_path, text):
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "state.json").write_text(text)
    assert read_state(tmp_path) == AlertState()


def _plan(tables, summary, state):
    from analytics.alerts.plan import plan_alerts
    from analytics.alerts.rules import AlertRules

    return plan_alerts(summary=summary, tables=tables, labels={}, rules=AlertRules(),
                       state=state)


def _claim_plan(state):
    from analytics.contracts import schema
    from tests.helpers import articles as sample_articles
    from tests.helpers import summary as sample_summary

    arts = sample_articles()
    claims = pl.DataFrame([{"article_id": arts["article_id"][-1],
                            "claim_type": "defense_spending_gdp", "value": 2.0,
                            "unit": "percent_gdp", "target_year": 2025, "actor": "NATO",
                            "kind": "target", "snippet": "Allies should spend 2% of GDP."}])
    summary = sample_summary(sources=())
    tables = {"articles": arts, "topic_mentions": schema.empty("topic_mentions"),
              "claims": schema.conform(claims, "claims"), "bursts": schema.empty("bursts"),
              "burst_stories": schema.empty("burst_stories")}
    return _plan(tables, summary, state), tables, summary


def test_claims_seen_on_an_earlier_day_are_not_new_again():
    from dataclasses import replace

    first, tables, summary = _claim_plan(AlertState())
    assert [a.event for a in first.send] == ["topicwatch.claim.new"]
    # the next day the same articles are still those stored on the run date of the summary
    earlier = AlertState({k: "2025-06-30" for k in first.state.sent}, {}, None)
    again = _plan(tables, replace(summary), earlier)
    assert again.send == () and again.found == ()


def test_a_claim_sent_earlier_the_same_day_is_reported_as_sent_not_sent_again():
    from analytics.alerts.section import notes

    plan, tables, summary = _claim_plan(AlertState())
    again = _plan(tables, summary, plan.state)
    assert again.send == () and [h.why for h in again.held] == ["already sent on 1 Jul 2025"]
    assert [n.sent for n in notes(again.found, again.send, again.held, summary.run_date)] == [True]
