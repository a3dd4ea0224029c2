"""The brief (page 1): only moves that pass the burst test or the count rule, in sentences
with counts and stories; no percentage-point junk; new claims with actor and link."""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from analytics.contracts import schema
from analytics.report import brief
from tests import helpers as h

END = date(2025, 6, 30)  # the run date, and the newest publication day
LABELS = {"air_missile_defense": "Air and missile defence", "terrorism": "Terrorism",
          "sanctions": "Sanctions"}


def _stream(per_day: int, topic_days: dict[str, dict[int, int]], weeks: int = 13):
    """``per_day`` articles a day over ``weeks`` weeks to END, two outlets; ``topic_days``:
    topic -> {days before END: how many of that day's articles mention it}."""
    rows, mentions = [], []
    for back in range(weeks * 7):
        day = END - timedelta(days=back)
        for i in range(per_day):
            aid = f"{day.isoformat()}-{i}"
            rows.append({"article_id": aid, "source": "wire" if i % 2 else "agency",
                         "url": f"https://example.org/{aid}", "title": f"Story {aid}",
                         "published_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                         "duplicate_of": None, "ingested_on": END})
            for topic, days in topic_days.items():
                if i < days.get(back, 0):
                    mentions.append({"article_id": aid, "topic_id": topic, "mentions": 2,
                                     "matched": topic, "evidence": f"A sentence on {topic}."})
    articles = schema.conform(pl.DataFrame(rows), "articles")
    return articles, pl.DataFrame(mentions, schema=schema.TOPIC_MENTIONS)


def _build(articles, mentions, *, bursts=None, stories=None, claims=None):
    return brief.build(articles, mentions, bursts if bursts is not None else schema.empty("bursts"),
                       stories if stories is not None else schema.empty("burst_stories"),
                       claims if claims is not None else schema.empty("claims"), articles,
                       schema.empty("quarantine"), h.summary(run_date=END), LABELS)


def _texts(b: brief.Brief) -> list[str]:
    lines = [b.headline, b.stale, b.quiet, b.claims_line, b.quality, *b.sources]
    for move in b.moves:
        lines += [move.sentence, *(" ".join(astuple(s)) for s in move.stories)]
    return lines + [" ".join(astuple(s)) for s in (*b.top, *b.claims)]


def _burst_row(topic: str, day: date, articles: int, onset: date) -> dict:
    return {"topic_id": topic, "period": "day", "period_start": day, "articles": articles,
            "total": 40, "share": articles / 40, "baseline_share": 0.01, "expected": 0.4,
            "ratio": articles / 40 / 0.01, "z": 9.0, "p_value": 1e-9, "sources": 2,
            "top_source": "wire", "top_source_share": 0.5, "level": "burst", "onset": onset}


def test_a_burst_topic_is_named_with_its_count_usual_count_and_story_link():
    # about one air-defence article a week for 12 weeks, then 14 in the last 7 days
    history = {back: 1 for back in range(7, 91, 7)}
    recent = {back: 2 for back in range(7)}
    articles, mentions = _stream(10, {"air_missile_defense": {**history, **recent}})
    bursts = schema.conform(pl.DataFrame([_burst_row("air_missile_defense", END - timedelta(1),
                                                     2, END - timedelta(3))]), "bursts")
    stories = schema.conform(pl.DataFrame([{
        "topic_id": "air_missile_defense", "period": "day", "period_start": END - timedelta(1),
        "onset": END - timedelta(3), "rank": 1, "label": "Interceptors shot down drones",
        "articles": 2, "sources": 2, "outlets": ["wire", "agency"],
        "urls": ["https://example.org/interceptors"],
        "first_seen": datetime(2025, 6, 29, 9, tzinfo=UTC)}]), "burst_stories")
    b = _build(articles, mentions, bursts=bursts, stories=stories)
    assert [m.topic_id for m in b.moves] == ["air_missile_defense"]
    sentence = b.moves[0].sentence
    assert sentence.startswith("Air and missile defence: 14 articles in the last 7 days, "
                               "usually 1 a week")
    assert "burst since 27 Jun" in sentence
    assert len(b.moves[0].stories) == 1  # the burst's own story, not the window's articles
    story = b.moves[0].stories[0]
    assert story.text == "Interceptors shot down drones"
    assert story.url == "https://example.org/interceptors" and "wire, agency" in story.detail


def test_a_big_share_move_on_three_articles_is_not_a_move():
    # 5 articles a week; terrorism 0 or 1 a week before, 3 in the last 7 days: +40 pp
    history = {back: 1 for back in range(14, 91, 14)}
    articles, mentions = _stream(1, {"terrorism": {**history, 0: 1, 2: 1, 4: 1}})
    b = _build(articles, mentions)
    assert b.moves == ()
    assert b.quiet.startswith("No topic moved")
    assert "Terrorism (3 articles, usually" in b.quiet  # named as covered, not as a move
    assert len(b.top) == 3 and all(s.url.startswith("https://example.org/") for s in b.top)


def test_a_rise_passes_the_count_rule_without_a_burst():
    history = {back: 1 for back in range(7, 91, 7)}
    articles, mentions = _stream(10, {"sanctions": {**history, 0: 3, 1: 3}})
    b = _build(articles, mentions)
    assert [m.topic_id for m in b.moves] == ["sanctions"]
    assert b.moves[0].sentence.startswith(
        "Sanctions: 6 articles in the last 7 days, usually 1 a week (8.6% of all articles, "
        "usually 1.4%)")
    assert "2x its usual count" in b.moves[0].sentence
    assert b.moves[0].stories[0].url.startswith("https://example.org/2025-06-")


def test_no_percentage_point_or_rounding_junk():
    history = {back: 1 for back in range(3, 91, 3)}
    articles, mentions = _stream(30, {"sanctions": history, "terrorism": {0: 6, 1: 6}})
    b = _build(articles, mentions)
    text = " ".join(_texts(b))
    assert " pp" not in text and "→" not in text and "->" not in text
    assert "(0.3% of all articles, usually 0.3%)" not in text  # equal shares say nothing


def test_new_claims_carry_actor_level_and_link():
    articles, mentions = _stream(1, {}, weeks=1)
    aid = articles["article_id"][0]
    claims = h.claims().with_columns(article_id=pl.lit(aid),
                                     actor=pl.Series(["Germany", "Germany", None]))
    b = _build(articles, mentions, claims=claims)
    assert b.claims_line == "3 claims in 1 article stored this run:"
    first = b.claims[0]
    assert first.text == "Germany: 5% of GDP by 2035 (pledge)"
    assert first.url == f"https://example.org/{aid}" and first.detail.startswith("agency, ")
    assert b.claims[-1].text.startswith("No actor named: 2% of GDP")


def test_a_claim_stated_twice_in_an_article_counts_once():
    # RSS run 2023-07-01, article d36dd1695abe5901: the UK's 2.5% as a pledge, then
    # restated as a target two sentences on; page 1 said "21 claims" for 19.
    articles, mentions = _stream(1, {}, weeks=1)
    aid = articles["article_id"][0]
    claims = h.claims().with_columns(article_id=pl.lit(aid),
                                     actor=pl.lit("United Kingdom"), value=pl.lit(2.5),
                                     target_year=pl.lit(None, pl.Int32))
    b = _build(articles, mentions, claims=claims)
    assert b.claims_line == "1 claim in 1 article stored this run:"
    assert [c.text for c in b.claims] == ["United Kingdom: 2.5% of GDP (pledge)"]


def test_an_old_corpus_says_how_old_its_last_week_is():
    articles, mentions = _stream(2, {}, weeks=2)
    b = brief.build(articles, mentions, schema.empty("bursts"), schema.empty("burst_stories"),
                    schema.empty("claims"), articles, schema.empty("quarantine"),
                    h.summary(run_date=END + timedelta(days=30)), LABELS)
    assert b.as_of == END
    assert "30 days before the run date" in b.stale


def test_quality_line_counts_rows_reasons_and_failed_sources():
    line = brief.quality_line(h.summary(), h.quarantine())
    assert line == ("Read 9 rows: 5 new articles stored, 2 exact duplicates, "
                    "2 quarantined (missing text: 1; unparseable date: 1); 2 sources, 1 failed "
                    "(blog: HTTP 503).")
    one_reason = h.quarantine().filter(pl.col("reason") == "missing text")
    line = brief.quality_line(replace(h.summary(), stored_articles=40, quarantined=1, quarantine_reasons={}),
                              one_reason)
    assert "stored (the store holds 40)" in line
    assert "1 quarantined (missing text);" in line  # one reason: its count is the total
