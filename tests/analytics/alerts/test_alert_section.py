"""What a run alerted and why, in summary.md (and so the summary artifact)."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

from analytics.alerts.events import source_alerts
from analytics.alerts.section import AlertedRunSummary, alert_lines, notes
from analytics.alerts.state import AlertState, after, select
from analytics.contracts.run_summary import SourceOutcome
from tests import helpers as h
from tests.analytics.alerts.test_alert_events import DAY, _alerts, _burst, _bursts


def _alerted(summary, found, send, held):
    values = {f.name: getattr(summary, f.name) for f in fields(summary)}
    return AlertedRunSummary(**{**values, "alerts": notes(found, send, held, summary.run_date)})


def _decide(state, day):
    found = (_alerts(_bursts(_burst("drones", day)), end=day)
             + source_alerts((SourceOutcome("wire", "feed", "failed", 0, "HTTP 503 <b>"),),
                             end=day))
    send, held = select(found, state, day, 3)
    return found, send, held, after(state, send, day, day)


def test_lines_say_what_was_sent_and_why_and_a_rerun_of_the_day_says_the_same():
    summary = h.summary(run_date=DAY)
    found, send, held, state = _decide(AlertState(), DAY)
    first = alert_lines(_alerted(summary, found, send, held))
    assert first == (
        "2 alerts of 5 Jun 2025 sent as Prefect events (the automations of topicwatch alerts "
        "apply deliver them):",
        'Drones and unmanned systems: burst on 5 Jun 2025: 14 articles, usually 2; rule '
        'alert = "burst" (topicwatch.topic.burst).',
        "source wire failed: HTTP 503 <b> (topicwatch.source.failed).")
    found, send, held, _ = _decide(state, DAY)
    assert send == [] and alert_lines(_alerted(summary, found, send, held)) == first


def test_the_quiet_period_is_named_as_the_reason_for_holding_back():
    _, _, _, state = _decide(AlertState(), DAY)
    later = DAY + timedelta(days=1)
    found, send, held, _ = _decide(state, later)
    lines = alert_lines(_alerted(h.summary(run_date=later), found, send, held))
    assert lines[0].startswith("0 alerts of 6 Jun 2025 sent") and lines[0].endswith(
        "; 2 held back:")
    assert lines[2] == ("Held back: source wire failed: HTTP 503 <b> (topicwatch.source.failed; "
                        "quiet period: failed alerted on 5 Jun 2025 (alert_quiet_days = 3)).")


def test_no_section_without_an_alerts_plan_and_an_escaped_one_with_it():
    from analytics.report import charts
    from analytics.report.data import ReportData
    from analytics.report.markdown import brief_markdown

    def markdown(summary):
        return brief_markdown(ReportData(**h.tables(), topic_labels=h.TOPIC_LABELS,
                                         summary=summary,
                                         colors=charts.topic_colors(list(h.TOPIC_LABELS))))

    assert "## Alerts" not in markdown(h.summary())
    found, send, held, _ = _decide(AlertState(), DAY)
    text = markdown(_alerted(h.summary(), found, send, held))
    section = text.split("## Alerts\n", 1)[1].split("\n## ", 1)[0]
    assert "- source wire failed: HTTP 503 &lt;b&gt; \\(topicwatch.source.failed\\)." in section
    assert text.index("## What changed") < text.index("## Alerts") < text.index(
        "## New spending claims")
