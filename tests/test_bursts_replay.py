"""The replay benchmark's event list and its flag-to-event matching (bench/bursts_replay)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

import polars as pl

from analytics.contracts.taxonomy import load_taxonomy
from bench import bursts_replay as replay
from bench.eval.load import CNN, GNEWS, RSS

# First and last day of each corpus (SOURCE.md); checked against the data below.
RANGES = {RSS: (date(2022, 1, 1), date(2023, 12, 31)),
          GNEWS: (date(2025, 7, 24), date(2026, 8, 22)),
          CNN: (date(2022, 2, 24), date(2023, 10, 6))}


def _events() -> list[dict[str, str]]:
    with replay.EVENTS_CSV.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_event_list_has_25_rss_events_with_known_topics_and_dates_in_range():
    rows = _events()
    topics = set(load_taxonomy(replay.TAXONOMY).ids)
    assert set(rows[0]) == {"corpus", "date", "topic_id", "event", "evidence"}
    assert sum(r["corpus"] == RSS for r in rows) >= 25
    assert sum(r["corpus"] == GNEWS for r in rows) >= 25
    for r in rows:
        assert r["corpus"] in RANGES, r
        assert r["topic_id"] in topics, r
        lo, hi = RANGES[r["corpus"]]
        assert lo <= date.fromisoformat(r["date"]) <= hi, r
        assert r["event"].strip() and r["evidence"].strip(), r
    keys = [(r["corpus"], r["date"], r["topic_id"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_event_dates_fall_inside_the_corpora_and_have_articles(shared_corpora):
    rows = _events()
    for corpus in (GNEWS, CNN):  # the headline corpora are small enough to read here
        arts = replay.load_corpus(shared_corpora, corpus)
        days = set(arts["published_at"].dt.date().to_list())
        lo, hi = min(days), max(days)
        assert (lo, hi) == RANGES[corpus]
        for r in (r for r in rows if r["corpus"] == corpus):
            d = date.fromisoformat(r["date"])
            assert lo <= d <= hi, r
            assert any(d + timedelta(days=k) in days for k in (-1, 0, 1)), r


def _flags(period: str, starts: list[date], topic: str = "drones") -> pl.DataFrame:
    return pl.DataFrame({"topic_id": [topic] * len(starts), "period_start": starts},
                        schema={"topic_id": pl.String, "period_start": pl.Date})


EVENT = pl.DataFrame({"topic_id": ["drones"], "date": [date(2023, 5, 3)]},
                     schema={"topic_id": pl.String, "date": pl.Date})


def test_a_daily_flag_two_days_after_the_event_finds_it_one_twenty_days_after_does_not():
    ev, fl = replay.match_events(EVENT, _flags("day", [date(2023, 5, 5)]), "day")
    assert ev["found"].to_list() == [True] and ev["lead_days"].to_list() == [2]
    assert fl["matched"].to_list() == ["2023-05-03"]
    ev, fl = replay.match_events(EVENT, _flags("day", [date(2023, 5, 23)]), "day")
    assert ev["found"].to_list() == [False] and ev["lead_days"].to_list() == [None]
    assert fl["matched"].to_list() == [None]


def test_daily_window_is_three_days_before_to_seven_after_and_the_first_flag_counts():
    starts = [date(2023, 4, 29), date(2023, 4, 30), date(2023, 5, 10), date(2023, 5, 11)]
    ev, fl = replay.match_events(EVENT, _flags("day", starts), "day")
    assert ev["lead_days"].to_list() == [-3]  # early flags count, lead is negative
    assert fl["matched"].to_list() == [None, "2023-05-03", "2023-05-03", None]


def test_flags_of_another_topic_do_not_match():
    ev, _ = replay.match_events(EVENT, _flags("day", [date(2023, 5, 3)], "sanctions"), "day")
    assert ev["found"].to_list() == [False]


def test_weekly_flags_match_the_event_week_or_the_next_with_lead_to_the_week_end():
    # 2023-05-03 is a Wednesday: its week starts 2023-05-01
    starts = [date(2023, 4, 24), date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 15)]
    ev, fl = replay.match_events(EVENT, _flags("week", starts), "week")
    assert fl["matched"].to_list() == [None, "2023-05-03", "2023-05-03", None]
    assert ev["lead_days"].to_list() == [4]  # flag date = 2023-05-07, the week's Sunday
    ev, _ = replay.match_events(EVENT, _flags("week", [date(2023, 5, 22)]), "week")
    assert ev["found"].to_list() == [False]


def test_naive_rule_needs_double_the_four_week_mean_and_five_articles():
    weeks = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(6)]
    share = [0.01, 0.01, 0.01, 0.01, 0.03, 0.021]
    articles = [2, 2, 2, 2, 6, 5]
    trends = pl.DataFrame({"topic_id": ["drones"] * 6, "period_start": weeks,
                           "articles": articles, "share": share})
    flags = replay.naive_flags(trends)
    # week 5: 0.03 > 2 x 0.01 with 6 articles; week 6: 0.021 < 2 x 0.015 (mean incl. week 5)
    assert flags["period_start"].to_list() == [weeks[4]]


def test_precision_counts_matched_flags_real_and_reads_judgements():
    sample = pl.DataFrame({
        "period": ["day", "day", "day"], "topic_id": ["drones", "drones", "terrorism"],
        "period_start": [date(2023, 5, 3), date(2023, 6, 1), date(2023, 6, 2)],
        "matched": ["2023-05-03", None, None]})
    judged = {(RSS, "day", "drones", "2023-06-01"): (0, "noise")}
    p = replay.precision(sample, RSS, judged)
    assert (p.value, p.judged, p.unjudged, p.auto) == (0.5, 2, 1, 1)


def test_the_sample_is_seeded_and_stable_when_flags_are_added():
    starts = [date(2023, 1, 1) + timedelta(days=i) for i in range(60)]
    fl = _flags("day", starts)
    a = replay.sample_flags(fl, 10, seed=14)
    assert a.equals(replay.sample_flags(fl, 10, seed=14))
    more = pl.concat([fl, _flags("day", [date(2024, 1, 1)])])
    b = replay.sample_flags(more, 10, seed=14)
    assert len(set(a["period_start"]) & set(b["period_start"])) >= 9


def test_exact_duplicates_within_a_week_are_marked_and_later_repeats_are_not():
    t = [datetime(2023, 1, d, tzinfo=UTC) for d in (1, 2, 20)]
    frame = pl.DataFrame({"article_id": ["a", "b", "c"], "title": ["Drone hits X!"] * 3,
                          "published_at": t})
    out = replay.mark_duplicates(frame, pl.col("title")).sort("article_id")
    assert out["duplicate_of"].to_list() == [None, "a", None]


def test_missing_corpora_exit_2_with_skipped(tmp_path, capsys):
    assert replay.main(["--corpora", str(tmp_path), "--corpus", "gnews"]) == 2
    assert capsys.readouterr().err.startswith("skipped:")
