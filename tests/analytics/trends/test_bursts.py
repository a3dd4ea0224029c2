from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.trends.bursts import BurstConfig, topic_bursts

START = date(2025, 1, 1)  # a Wednesday
SOURCES = ["s1", "s2", "s3", "s4", "s5"]
STEADY = [2, 3, 1, 2, 4, 2, 3, 2, 1, 3, 2, 2, 3, 1]  # a topic's noisy but flat daily count


def _day(d):
    return START + timedelta(days=d)


def _spread(n, d=0):
    """n articles shared round-robin over the five outlets."""
    out = {}
    for i in range(n):
        s = SOURCES[(d + i) % len(SOURCES)]
        out[s] = out.get(s, 0) + 1
    return out


def _stream(topics, days=60, per_source=20, day_volume=None, outlets=SOURCES):
    """Articles and mentions: every day each outlet publishes ``per_source`` articles on
    nothing in particular (``day_volume[d]`` in all instead, when given) plus, for each
    topic, ``topics[topic](d)`` = {outlet: articles} on that topic."""
    rows, mentions = [], []
    for d in range(days):
        at = datetime(_day(d).year, _day(d).month, _day(d).day, 12, tzinfo=UTC)
        volume = day_volume.get(d) if day_volume else None
        background = (
            [outlets[i % len(outlets)] for i in range(volume)] if volume is not None
            else [s for s in outlets for _ in range(per_source)]
        )
        for s in background:
            rows.append((f"a{len(rows)}", s, at, None))
        for topic, counts in topics.items():
            for s, c in counts(d).items():
                for _ in range(c):
                    mentions.append((f"a{len(rows)}", topic))
                    rows.append((f"a{len(rows)}", s, at, None))
    articles = pl.DataFrame(rows, schema={"article_id": pl.String, "source": pl.String,
                                          "published_at": schema.UTC_DATETIME,
                                          "duplicate_of": pl.String}, orient="row")
    m = pl.DataFrame(mentions, schema={"article_id": pl.String, "topic_id": pl.String},
                     orient="row")
    return articles, m


def _steady(d):
    return _spread(STEADY[d % len(STEADY)], d)


def _flags(out, topic):
    return out.filter(pl.col("topic_id") == topic)


def test_a_jump_is_a_burst_that_day_and_not_before():
    jump = 40
    arts, m = _stream({
        "x": _steady,
        "y": lambda d: _spread(15, d) if d == jump else _steady(d + 5),
    })
    out = topic_bursts(arts, m, ["x", "y"])
    y = _flags(out, "y")
    first = y.row(0, named=True)
    assert first["period_start"] == _day(jump) and first["level"] == "burst"
    assert first["onset"] == _day(jump) and first["period"] == "day"
    assert first["articles"] == 15 and first["sources"] == 5
    assert first["total"] == 5 * 20 + 15 + STEADY[jump % len(STEADY)]
    assert first["share"] == pytest.approx(15 / first["total"])
    assert first["expected"] == pytest.approx(first["total"] * first["baseline_share"])
    assert first["ratio"] > 5 and first["p_value"] < 1e-6 and first["z"] > 4.5
    assert first["top_source_share"] == pytest.approx(3 / 15)
    assert y.filter(pl.col("period_start") < _day(jump)).is_empty()
    # the baseline: y's pooled share of the 28 days before, one pseudo-article added
    days = arts.with_columns(day=pl.col("published_at").dt.date())
    before = days.filter(pl.col("day").is_between(_day(jump - 28), _day(jump - 1)))
    y_before = before.join(m.filter(pl.col("topic_id") == "y"), on="article_id").height
    assert first["baseline_share"] == pytest.approx((y_before + 1) / (before.height + 1))
    assert _flags(out, "x").is_empty()  # the steady topic is never flagged


def test_a_steady_topic_gets_no_flags_even_when_the_stream_grows():
    # volume doubles half way (a new outlet feed, say): shares, not counts, are tested
    arts, m = _stream({"x": lambda d: _spread(2 * STEADY[d % 14] if d >= 30 else STEADY[d % 14],
                                              d)},
                      day_volume={d: 200 for d in range(30, 60)})
    assert topic_bursts(arts, m, ["x"]).is_empty()
    assert topic_bursts(arts, m, ["x"], BurstConfig.for_period("week")).is_empty()


def test_a_flood_from_one_source_is_at_most_watch():
    flood = 40
    arts, m = _stream({
        "x": lambda d: {"s1": 25, "s2": 1} if d == flood else _steady(d),
        "y": lambda d: {"s1": 25} if d == flood else _steady(d),
    })
    out = topic_bursts(arts, m, ["x", "y"])
    day = out.filter(pl.col("period_start") == _day(flood))
    assert day["topic_id"].to_list() == ["x", "y"]  # flagged, so the test has teeth...
    assert day["level"].to_list() == ["watch", "watch"]  # ...but not a burst
    assert day["p_value"].max() < 1e-9 and day["top_source_share"].min() > 0.9
    assert not (out["level"] == "burst").any()
    # without the per-source excess rule x is a burst; on its own day y (one outlet)
    # still lacks the second outlet a burst needs
    loose = topic_bursts(arts, m, ["x", "y"], BurstConfig(max_top_excess=2.0, confirm_window=1))
    assert loose.filter(pl.col("period_start") == _day(flood))["level"].to_list() == [
        "burst", "watch"]
    # the same count spread over the outlets is a burst
    spread_arts, spread_m = _stream({"x": lambda d: _spread(26, d) if d == flood else _steady(d)})
    assert _flags(topic_bursts(spread_arts, spread_m, ["x"]), "x")["level"][0] == "burst"


def test_a_single_outlet_stream_can_burst():
    # a live blog: one outlet is the whole stream, so there is no other outlet to compare
    # with and the per-source conditions do not apply
    jump = 40
    arts, m = _stream({"y": lambda d: {"blog": 15 if d == jump else STEADY[d % 14]}},
                      per_source=100, outlets=["blog"])
    y = topic_bursts(arts, m, ["y"])
    assert y["period_start"].to_list() == [_day(jump)] and y["level"].to_list() == ["burst"]
    assert y["sources"].to_list() == [1] and y["top_source_share"].to_list() == [1.0]


def test_coverage_gaps_before_the_week_do_not_block_the_confirmation():
    # a stream that published every other day at first: the week before the jump has no
    # baseline of its own yet, so the confirmation is tested against the day's baseline
    jump = 31

    def gap(d):
        return d < 30 and d % 2 == 1

    arts, m = _stream({"y": lambda d: {} if gap(d) else _spread(15, d) if d == jump
                       else _steady(d)},
                      day_volume={d: 0 for d in range(30) if gap(d)})
    first = topic_bursts(arts, m, ["y"]).row(0, named=True)
    assert first["period_start"] == _day(jump) and first["level"] == "burst"
    assert first["window_p_value"] < 1e-2


def test_a_second_burst_soon_after_the_first_is_still_found():
    first = range(20, 32)  # twelve days at 20 articles a day
    second = 44
    counts = {d: 20 for d in first} | {second: 16}

    def y(d):
        return _spread(counts.get(d, STEADY[d % 14]), d)

    arts, m = _stream({"y": y})
    out = _flags(topic_bursts(arts, m, ["y"]), "y")
    row = out.filter(pl.col("period_start") == _day(second))
    assert row["level"].to_list() == ["burst"]
    assert row["onset"].to_list() == [_day(second)]  # a new run, not the first one's tail
    # the first burst is left out of the baseline: the window's plain mean share would
    # have hidden the second (ratio below the burst threshold of 2)
    window = [d for d in range(second - 28, second)]
    mean_share = sum(counts.get(d, STEADY[d % 14]) for d in window) / sum(
        100 + counts.get(d, STEADY[d % 14]) for d in window)
    assert row["share"][0] / mean_share < 2 <= row["ratio"][0]
    assert out.filter(pl.col("period_start") == _day(first[0]))["level"].to_list() == ["burst"]


def test_a_gradual_rise_is_caught_by_the_week_and_a_tiny_day_needs_the_week():
    # y goes from ~2 to 6 a day for a week: no single day is a burst, the week is
    rise = range(40, 47)
    arts, m = _stream({"y": lambda d: _spread(6, d) if d in rise else _steady(d)})
    y = _flags(topic_bursts(arts, m, ["y"]), "y")
    assert (y["level"] == "burst").any()
    assert y.filter(pl.col("level") == "burst")["period_start"].min() > _day(rise[0])
    assert y["period_start"].min() >= _day(rise[0])
    # on a near-empty day (a feed outage) 5 of 12 articles is a daily burst test pass,
    # but the week around it is not unusual: 'watch', not 'burst'
    outage = 40
    arts, m = _stream({"y": lambda d: _spread(5, d) if d == outage else _steady(d)},
                      day_volume={outage: 7})
    day = _flags(topic_bursts(arts, m, ["y"]), "y")
    assert day["period_start"].to_list() == [_day(outage)]
    assert day["level"].to_list() == ["watch"] and day["p_value"][0] < 1e-5
    assert day["window_p_value"][0] > 1e-2


def test_appending_later_days_changes_no_earlier_flag():
    def y(d):
        if d == 36:
            return {"s1": 12}  # one outlet's flood: a 'watch'
        return _spread(14 if d in (25, 26, 47) else 8 if 52 <= d < 56 else STEADY[d % 14], d)

    arts, m = _stream({"x": _steady, "y": y}, days=70)
    full = topic_bursts(arts, m, ["x", "y"])
    assert full["level"].n_unique() == 2  # both levels occur
    for cut in (_day(26), _day(40), _day(48), _day(54)):
        part = topic_bursts(arts.filter(pl.col("published_at").dt.date() <= cut), m, ["x", "y"])
        assert part.equals(full.filter(pl.col("period_start") <= cut))
    # weekly periods: the same for complete weeks
    week = BurstConfig.for_period("week")
    full_w = topic_bursts(arts, m, ["x", "y"], week)
    monday = date(2025, 2, 24)
    part_w = topic_bursts(arts.filter(pl.col("published_at").dt.date() < monday), m,
                          ["x", "y"], week)
    assert part_w.equals(full_w.filter(pl.col("period_start") < monday))


def test_weekly_periods():
    # days 54-60 are the week of Monday 24 February
    arts, m = _stream({"y": lambda d: _spread(12, d) if 54 <= d < 61 else _steady(d)}, days=70)
    out = topic_bursts(arts, m, ["y"], BurstConfig.for_period("week"))
    assert out["period"].to_list() == ["week"]
    assert out["period_start"].to_list() == [date(2025, 2, 24)]
    assert out["level"].to_list() == ["burst"] and out["window_articles"][0] == out["articles"][0]


def test_output_follows_the_bursts_schema_and_counts_canonical_articles_only():
    jump = 40
    arts, m = _stream({"y": lambda d: _spread(15, d) if d == jump else _steady(d)})
    out = topic_bursts(arts, m, ["y", "never"])
    assert out.schema == pl.Schema(schema.BURSTS)
    assert schema.validate(out, "bursts").equals(out)
    assert set(out["level"]) <= {"watch", "burst"} and out.height >= 1
    # the jump's articles marked as duplicates of one article: no burst any more
    jump_ids = m.join(arts.filter(pl.col("published_at").dt.date() == _day(jump)),
                      on="article_id")["article_id"]
    dup = arts.with_columns(duplicate_of=pl.when(pl.col("article_id").is_in(jump_ids.implode()))
                            .then(pl.lit("a0")))
    assert topic_bursts(dup, m, ["y"]).is_empty()


def test_empty_inputs_give_an_empty_table_with_the_schema():
    arts, m = _stream({"y": _steady}, days=20)
    cases = [
        (arts.head(0), m),
        (arts, m.head(0)),
        (arts, m, []),
        (arts.head(0), m.head(0)),
    ]
    for case in cases:
        a, mm, *rest = case
        out = topic_bursts(a, mm, rest[0] if rest else ["y"])
        assert out.is_empty() and out.schema == pl.Schema(schema.BURSTS)


def test_bad_config_is_refused():
    arts, m = _stream({"y": _steady}, days=5)
    with pytest.raises(ValueError, match="period"):
        topic_bursts(arts, m, ["y"], BurstConfig(period="month"))
    with pytest.raises(ValueError, match="min_history"):
        topic_bursts(arts, m, ["y"], BurstConfig(window=7, min_history=10))
