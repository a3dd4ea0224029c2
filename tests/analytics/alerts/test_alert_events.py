"""The event builders: bursts, new claims and failed sources as plain data, messages inert."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from analytics.alerts.events import (
    BURST,
    CLAIM,
    SOURCE,
    burst_alerts,
    claim_alerts,
    source_alerts,
)
from analytics.alerts.rules import AlertRules
from analytics.alerts.text import link, plain
from analytics.contracts import schema
from analytics.contracts.run_summary import SourceOutcome

DAY = date(2025, 6, 5)
LABELS = {"drones": "Drones and unmanned systems", "sanctions": "Sanctions"}


def _burst(topic: str, day: date, level: str = "burst", articles: int = 14,
           onset: date | None = None) -> dict:
    return {"topic_id": topic, "period": "day", "period_start": day, "articles": articles,
            "total": 400, "share": articles / 400, "baseline_share": 0.005, "expected": 2.0,
            "ratio": articles / 2.0, "z": 6.0, "p_value": 1e-9, "sources": 4,
            "top_source": "A", "top_source_share": 0.3, "top_source_excess": 0.3,
            "window_articles": 20, "window_ratio": 3.0, "window_p_value": 1e-6,
            "level": level, "onset": onset or day}


def _bursts(*rows: dict) -> pl.DataFrame:
    return schema.conform(pl.DataFrame(list(rows)), "bursts")


def _stories(topic: str, day: date, labels: list[str]) -> pl.DataFrame:
    return schema.conform(pl.DataFrame([{
        "topic_id": topic, "period": "day", "period_start": day, "onset": day, "rank": i + 1,
        "label": label, "articles": 5 - i, "sources": 2, "outlets": ["BBC", "CNN"],
        "urls": [f"https://example.org/{i}"], "first_seen": None}
        for i, label in enumerate(labels)]), "burst_stories")


DEFAULT_RULES = AlertRules()


def _alerts(bursts, stories=None, rules=DEFAULT_RULES, end=DAY, **kw):
    return burst_alerts(bursts, stories if stories is not None else schema.empty("burst_stories"),
                        schema.empty("articles"), schema.empty("topic_mentions"), LABELS, rules,
                        end=end, **kw)


def test_a_burst_makes_one_event_with_topic_resource_counts_and_stories():
    [alert] = _alerts(_bursts(_burst("drones", DAY)),
                      _stories("drones", DAY, ["Drone swarm hits port", "Second story"]))
    assert alert.event == BURST == "topicwatch.topic.burst"
    assert alert.resource == {"prefect.resource.id": "topicwatch.topic.drones",
                              "prefect.resource.name": "Drones and unmanned systems",
                              "topicwatch.level": "burst"}
    p = alert.payload
    assert (p["label"], p["articles"], p["usual"], p["level"], p["day"]) == (
        "Drones and unmanned systems", 14, 2.0, "burst", "2025-06-05")
    assert [s["title"] for s in p["stories"]] == ["Drone swarm hits port", "Second story"]
    assert p["subject"] == "topicwatch: Drones and unmanned systems, burst"
    assert p["message"].splitlines() == [
        "Drones and unmanned systems: burst on 5 Jun 2025: 14 articles, usually 2 (7.0x), "
        "from 4 outlets.",
        "Top stories:",
        "- Drone swarm hits port (5 articles: BBC, CNN) https://example.org/0",
        "- Second story (4 articles: BBC, CNN) https://example.org/1",
        'Why: the topic\'s rule is alert = "burst" (docs/alerts.md).']


def test_a_run_of_flagged_days_is_one_alert_at_its_highest_level():
    rows = [_burst("drones", date(2025, 6, d), "watch" if d == 3 else "burst", 10 + d,
                   onset=date(2025, 6, 3)) for d in (3, 4, 5)]
    [alert] = _alerts(_bursts(*rows))
    assert alert.level == "burst" and alert.payload["day"] == "2025-06-05"
    assert alert.payload["onset"] == "2025-06-03" and "since 3 Jun 2025" in alert.payload["message"]


def test_rules_decide_which_levels_alert():
    flagged = _bursts(_burst("drones", DAY, "watch"), _burst("sanctions", DAY, "burst"))
    # the default, "burst": the burst alerts, the day to watch does not
    assert [a.payload["topic_id"] for a in _alerts(flagged)] == ["sanctions"]
    watch = AlertRules({"drones": "watch", "sanctions": "off"})
    assert [a.payload["topic_id"] for a in _alerts(flagged, rules=watch)] == ["drones"]


def test_flags_older_than_the_lookback_or_the_last_check_do_not_alert():
    old = _bursts(_burst("drones", date(2025, 5, 20)))
    assert _alerts(old) == []
    yesterday = _bursts(_burst("drones", date(2025, 6, 4)))
    assert len(_alerts(yesterday)) == 1
    assert _alerts(yesterday, since=DAY) == []


def test_hostile_story_title_is_inert_text():
    title = "<@U123> <!channel> {{name}} {% raw %} a & b\nsecond line"
    [alert] = _alerts(_bursts(_burst("drones", DAY)), _stories("drones", DAY, [title]))
    story_line = alert.payload["message"].splitlines()[2]
    assert story_line.startswith(
        "- &lt;@U123&gt; &lt;!channel&gt; { {name}} { % raw %} a &amp; b second line (5 articles")
    assert alert.payload["stories"][0]["title"] == title  # the data stays as it was


def test_plain_and_link():
    assert plain("x" * 300).endswith("…") and len(plain("x" * 300)) == 200
    assert plain("{{{ a }}}") == "{ { { a }}}"
    assert link("javascript:alert(1)") == "" and link("/etc/passwd") == ""
    assert link("https://a.org/?q=<b>&x={{y}}") == "https://a.org/?q=%3Cb%3E&x=%7B%7By%7D%7D"


def test_new_claims_one_event_per_distinct_claim_with_value_actor_year_sentence():
    published = datetime(2025, 6, 5, 9, tzinfo=UTC)
    fresh = pl.DataFrame([
        {"article_id": a, "claim_type": "defense_spending_gdp", "value": 3.5,
         "unit": "percent_gdp", "target_year": 2030, "actor": "Germany", "kind": "pledge",
         "snippet": "Germany will spend 3.5% of GDP on defence by 2030.", "title": "Berlin pledges",
         "source": s, "url": f"https://example.org/{a}", "published_at": published}
        for a, s in (("a1", "BBC"), ("a2", "CNN"))])
    [alert] = claim_alerts(fresh)
    assert alert.event == CLAIM == "topicwatch.claim.new"
    assert alert.resource["prefect.resource.id"] == "topicwatch.actor.germany"
    p = alert.payload
    assert (p["value"], p["actor"], p["year"], p["kind"]) == (3.5, "Germany", 2030, "pledge")
    assert p["sentence"].startswith("Germany will spend 3.5%")
    assert p["message"].splitlines()[0] == "Germany: 3.5% of GDP by 2030 (pledge)."
    assert alert.related[0]["prefect.resource.id"] == "topicwatch.article.a1"
    many = pl.concat([fresh.with_columns(value=pl.lit(float(v))) for v in range(1, 9)])
    assert len(claim_alerts(many)) == 5  # capped per run


def test_failed_and_degraded_sources_alert_ok_ones_do_not():
    outcomes = (SourceOutcome("wire", "feed", "failed", 0, "HTTP 503 <b>busy</b>"),
                SourceOutcome("local", "folder", "ok", 12),
                SourceOutcome("table", "table", "degraded", 40, "3 rows quarantined"))
    alerts = source_alerts(outcomes, end=DAY)
    assert [a.resource["prefect.resource.id"] for a in alerts] == [
        "topicwatch.source.wire", "topicwatch.source.table"]
    assert {a.event for a in alerts} == {SOURCE}
    assert alerts[0].payload["message"] == (
        "Source wire (feed) failed on 5 Jun 2025: 0 rows read; HTTP 503 &lt;b&gt;busy&lt;/b&gt;.")
    assert alerts[0].payload["reason"] == "HTTP 503 <b>busy</b>"
