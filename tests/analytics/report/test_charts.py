"""Figure builders: a Figure for normal and empty frames, stable topic colours, literal text."""

from __future__ import annotations

import io
import os
import subprocess
import warnings
from datetime import date, timedelta

import matplotlib.dates as mdates
import numpy as np
import polars as pl
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.patches import StepPatch

from analytics.contracts import schema
from analytics.report import chart_registry, charts, facts, formatting, writer
from analytics.report.charts import bursts as burst_charts
from analytics.report.charts import claims as claim_charts
from analytics.report.charts import themes as theme_charts
from analytics.report.charts import topics as topic_charts
from analytics.report.data import ReportData
from analytics.report.layout import chart_page
from tests import helpers as h

BUILDERS = {
    "topic_totals": lambda f: charts.topic_totals_chart(
        f["topic_mentions"], h.TOPIC_LABELS, articles_total=f["articles"].height),
    "topic_trends": lambda f: topic_charts.topic_trends_chart(f["topic_trends"], h.TOPIC_LABELS,
                                                              bursts=f.get("bursts")),
    "themes": lambda f: charts.themes_chart(f["themes"], status="not enough articles"),
    "spending_claims": lambda f: charts.spending_claims_chart(f["claims"]),
    "topic_share": lambda f: topic_charts.topic_share_chart(f["topic_trends"], h.TOPIC_LABELS,
                                                            bursts=f.get("bursts")),
    "source_shares": lambda f: topic_charts.source_shares_chart(f["source_shares"],
                                                                 h.TOPIC_LABELS),
    "cooccurrence": lambda f: topic_charts.cooccurrence_chart(f["cooccurrence"],
                                                               h.TOPIC_LABELS),
    "spending_claims_over_time": lambda f: claim_charts.spending_claims_over_time_chart(
        f["claims"], f["articles"]),
    "theme_map": lambda f: theme_charts.theme_map_chart(f["theme_coords"],
                                                         f["article_themes"], f["themes"]),
    "theme_trends": lambda f: theme_charts.theme_trends_chart(f["theme_trends"], f["themes"]),
}
CANONICAL = pl.col("article_id") != "a5"  # a5 is the helpers' near duplicate


def _render(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with charts.style():
        fig.savefig(buf, format="png", dpi=40, metadata={"Software": None})
    return buf.getvalue()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("frames", ["normal", "empty"])
def test_builder_returns_a_figure(name, frames):
    tables = h.tables() if frames == "normal" else h.empty_tables()
    fig = BUILDERS[name](tables)
    assert isinstance(fig, Figure)
    assert _render(fig).startswith(b"\x89PNG")
    if frames == "empty":
        assert any("no data" in t or "not enough" in t for t in _texts(fig))


def test_builders_draw_into_a_subfigure_and_return_the_root():
    page = charts.new_figure((8.27, 11.69))
    top, _ = page.subfigures(2, 1)
    assert topic_charts.topic_trends_chart(h.topic_trends(), h.TOPIC_LABELS, fig=top) is page


def test_topic_colours_are_stable_across_charts():
    order = charts.topic_order(h.TOPIC_LABELS)
    colors = charts.topic_colors(order)
    assert len(set(colors.values())) == len(order)
    assert charts.topic_colors(order) == colors  # no state between calls
    totals = charts.topic_totals_chart(h.topic_mentions(), h.TOPIC_LABELS, colors=colors)
    bar_colours = {tuple(p.get_facecolor()) for p in totals.axes[0].patches}
    assert bar_colours == set(colors.values())
    for build in (topic_charts.topic_trends_chart, topic_charts.topic_share_chart):
        fig = build(h.topic_trends(), h.TOPIC_LABELS, colors=colors)
        by_title = {ax.get_title(loc="left"): ax for ax in fig.axes}
        for topic, label in h.TOPIC_LABELS.items():
            steps = [p for p in by_title[label].patches if isinstance(p, StepPatch)]
            assert {tuple(p.get_edgecolor()) for p in steps if p.get_linewidth()} == {
                colors[topic]}


def test_topic_order_puts_unknown_topics_after_the_taxonomy():
    assert charts.topic_order({"b": "B", "a": "A"}, ["z", "a", None, "c"]) == ["b", "a", "c", "z"]


def test_topic_totals_table_counts_articles_mentions_and_share():
    mentions = h.topic_mentions().filter(CANONICAL)
    table = charts.topic_totals_table(mentions, h.TOPIC_LABELS, articles_total=5)
    first = table.row(0, named=True)
    assert first["topic_id"] == "drones"
    assert (first["articles"], first["mentions"], first["share"]) == (3, 8, pytest.approx(0.6))
    assert first["evidence"] == "A drone factory opened in the west."  # most mentions
    assert table.height == len(h.TOPIC_LABELS)


def test_topic_totals_table_lists_unmentioned_topics_with_zero():
    table = charts.topic_totals_table(schema.empty("topic_mentions"), h.TOPIC_LABELS)
    assert table["articles"].to_list() == [0] * len(h.TOPIC_LABELS)
    assert table["topic_id"].to_list() == list(h.TOPIC_LABELS)  # taxonomy order on ties
    assert table["share"].null_count() == table.height


@pytest.mark.parametrize(
    ("days", "expected"), [(10, "day"), (60, "week"), (400, "week"), (1000, "month")]
)
def test_choose_period_follows_the_date_range(days, expected):
    start = date(2024, 1, 1)
    frame = pl.DataFrame(
        [(start, p, "drones", 1, 1, 1.0) for p in ("day", "week", "month")]
        + [(start.fromordinal(start.toordinal() + days), p, "drones", 1, 1, 1.0)
           for p in ("day", "week", "month")],
        schema=schema.TOPIC_TRENDS, orient="row",
    )
    assert charts.choose_period(frame) == expected
    assert charts.choose_period(frame.filter(pl.col("period") == "month")) == "month"
    assert charts.choose_period(schema.empty("topic_trends")) is None


def test_hostile_text_is_drawn_literally():
    hostile = h.HOSTILE_TITLE
    labels = {"drones": hostile}
    mentions = h.topic_mentions().filter(pl.col("topic_id") == "drones")
    themes = h.themes().with_columns(pl.lit(hostile).alias("label"),
                                     pl.lit(["$x$", "W" * 500]).alias("top_terms"))
    claims = h.claims(snippet=hostile).with_columns(pl.lit("$ bn $").alias("unit"))
    all_labels = {**h.TOPIC_LABELS, "drones": hostile}
    figs = [
        charts.topic_totals_chart(mentions, labels),
        topic_charts.topic_trends_chart(h.topic_trends(), all_labels),
        charts.themes_chart(themes),
        charts.spending_claims_chart(claims),
        topic_charts.topic_share_chart(h.topic_trends(), all_labels),
        topic_charts.source_shares_chart(_outlet_shares(4, {"wire": 60}), all_labels),
        topic_charts.cooccurrence_chart(h.cooccurrence(), all_labels, min_articles=1),
        claim_charts.spending_claims_over_time_chart(
            claims.with_columns(pl.lit(hostile).alias("actor")), h.articles()),
        theme_charts.theme_map_chart(h.theme_coords(), h.article_themes(), themes),
        theme_charts.theme_trends_chart(h.theme_trends(), themes),
    ]
    for fig in figs:
        _render(fig)
        texts = fig.findobj(lambda a: hasattr(a, "get_parse_math") and "$" in a.get_text())
        assert texts, "expected the hostile text on the figure"
        assert not any(t.get_parse_math() or t.get_usetex() for t in texts)


def test_figures_come_from_the_object_api_not_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for build in BUILDERS.values():
        build(h.tables())
    assert plt.get_fignums() == before


def test_freeze_layout_keeps_the_picture_and_drops_the_engine():
    fig = BUILDERS["topic_totals"](h.tables())
    charts.freeze_layout(fig)
    assert isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine | None)
    assert _render(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("text", "width", "lines", "expected"),
    [
        ("a $x$ b", 20, None, ["a $x$ b"]),
        ("W" * 25, 10, 2, ["W" * 10, "W" * 9 + "…"]),
        ("one\ntwo\x00\tthree", 40, None, ["one two three"]),
        ("", 5, 1, [""]),
    ],
)
def test_wrap(text, width, lines, expected):
    assert formatting.wrap(text, width, lines) == expected


def test_truncate_marks_the_cut():
    assert formatting.truncate("abcdef", 4) == "abc…"


NEW_BUILDERS_INTO = {
    "topic_share": lambda f, fig: topic_charts.topic_share_chart(
        f["topic_trends"], h.TOPIC_LABELS, fig=fig),
    "source_shares": lambda f, fig: topic_charts.source_shares_chart(
        f["source_shares"], h.TOPIC_LABELS, fig=fig),
    "cooccurrence": lambda f, fig: topic_charts.cooccurrence_chart(
        f["cooccurrence"], h.TOPIC_LABELS, fig=fig),
    "spending_claims_over_time": lambda f, fig: claim_charts.spending_claims_over_time_chart(
        f["claims"], f["articles"], fig=fig),
    "theme_map": lambda f, fig: theme_charts.theme_map_chart(
        f["theme_coords"], f["article_themes"], f["themes"], fig=fig),
    "theme_trends": lambda f, fig: theme_charts.theme_trends_chart(
        f["theme_trends"], f["themes"], fig=fig),
}


@pytest.mark.parametrize("name", NEW_BUILDERS_INTO)
@pytest.mark.parametrize("frames", ["normal", "empty"])
def test_new_builders_draw_into_a_subfigure_and_return_the_root(name, frames):
    tables = h.tables() if frames == "normal" else h.empty_tables()
    page = charts.new_figure((8.27, 11.69))
    top, _ = page.subfigures(2, 1)
    assert NEW_BUILDERS_INTO[name](tables, top) is page
    charts.freeze_layout(page)
    assert _render(page).startswith(b"\x89PNG")


def _outlet_shares(months: int, per_month: dict[str, int]) -> pl.DataFrame:
    """Monthly source shares: each outlet's articles per month, a third about drones."""
    rows = []
    for m in range(months):
        start = date(2024, 1 + m, 1)
        for source, n in per_month.items():
            rows.append((start, source, "drones", n // 3, n, (n // 3) / n))
    return pl.DataFrame(rows, schema=schema.SOURCE_SHARES, orient="row")


def test_source_shares_are_drawn_over_time_per_outlet_with_enough_articles():
    shares = _outlet_shares(4, {"wire": 60, "agency": 30, "blog": 6})
    fig = topic_charts.source_shares_chart(shares, h.TOPIC_LABELS)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles == ["wire (240)", "agency (120)"]  # blog: 6 a month, under the rule
    line = fig.axes[0].get_lines()[0]
    assert line.get_ydata() == pytest.approx([20 / 60] * 4)  # share per month, not a count
    assert topic_charts.enough_per_outlet(shares)


def test_source_shares_say_too_few_articles_per_outlet():
    assert not topic_charts.enough_per_outlet(h.source_shares())
    fig = topic_charts.source_shares_chart(h.source_shares(), h.TOPIC_LABELS)
    assert any("too few articles per outlet" in t for t in _texts(fig))
    # Months under the rule are gaps, not zeros or noisy points.
    shares = _outlet_shares(4, {"wire": 60}).with_columns(
        source_articles=pl.Series([60, 5, 60, 60], dtype=pl.UInt32))
    fig = topic_charts.source_shares_chart(shares, h.TOPIC_LABELS)
    assert np.isnan(fig.axes[0].get_lines()[0].get_ydata()[1])


def test_cooccurrence_is_an_upper_triangle_with_counts():
    fig = topic_charts.cooccurrence_chart(h.cooccurrence(), h.TOPIC_LABELS, min_articles=1)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert len(rows) == len(cols) == 3  # 4 topics: the triangle drops one row and column
    assert set(rows).isdisjoint({cols[-1]}) and set(cols).isdisjoint({rows[0]})
    assert {"2", "1"} <= {t.get_text() for t in ax.texts}


def test_theme_map_colours_outliers_grey_and_labels_themes():
    fig = theme_charts.theme_map_chart(h.theme_coords(), h.article_themes(), h.themes())
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["0: air defence drones (3)", "1: spending target (1)", "no theme (1)"]
    grey = fig.axes[0].collections[0].get_facecolor()[0][:3]
    assert tuple(grey) == pytest.approx(theme_charts.OUTLIER_COLOR[:3])


def test_spending_claims_over_time_groups_actors():
    fig = claim_charts.spending_claims_over_time_chart(h.claims(), h.articles())
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["NATO allies", claim_charts.NO_ACTOR]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 3  # 3 distinct dots


def test_share_changes_compare_the_latest_period_with_the_one_before():
    changes = facts.share_changes(h.topic_trends())
    assert changes.height == len(h.TOPIC_LABELS)
    assert set(changes["period_start"]) == {date(2025, 6, 23)}
    assert set(changes["previous_start"]) == {date(2025, 6, 16)}
    row = changes.filter(pl.col("topic_id") == "drones").row(0, named=True)
    assert row["delta"] == pytest.approx(row["share"] - row["previous_share"])
    rising, falling = facts.risers_and_fallers(changes, 3)
    assert (rising["delta"] > 0).all() and (falling["delta"] < 0).all()
    assert facts.share_changes(h.topic_trends().head(4)).height == 0  # one period


def test_topic_reach_counts_near_duplicates():
    reach = facts.topic_reach(h.topic_mentions(), h.articles())
    drones = reach.filter(pl.col("topic_id") == "drones").row(0, named=True)
    assert (drones["canonical"], drones["reach"]) == (3, 4)


def test_articles_of_gives_the_first_row_of_each_asked_article():
    arts = h.articles()
    twice = pl.concat([arts, arts.head(1).with_columns(title=pl.lit("a later copy"))])
    ids = pl.DataFrame({"article_id": ["a0", "a3", "a0", "not stored"]})
    got = facts.articles_of(twice, ids, "title").sort("article_id")
    assert got.rows() == [("a0", arts["title"][0]), ("a3", arts["title"][3])]


def test_new_claims_are_those_of_articles_stored_on_the_run_date():
    fresh = facts.new_claims(h.claims(), h.articles(), h.RUN_DATE)
    assert fresh["article_id"].to_list() == ["a2"]


def test_quotes_are_newest_first_canonical_and_prefer_full_sentences():
    q = facts.quotes(h.topic_mentions(), h.articles(), ["drones", "sanctions"])
    drones = q.filter(pl.col("topic_id") == "drones")
    assert "a5" not in drones["article_id"].to_list()  # the near duplicate
    # a4's and a1's sentences are short, but with three articles all are kept, newest first
    assert drones["article_id"].to_list() == ["a4", "a3", "a1"]
    assert q["topic_id"].to_list()[-1] == "sanctions"
    assert q.filter(pl.col("topic_id") == "drones")["link"][0] == "https://example.org/4"
    one = facts.quotes(h.topic_mentions(), h.articles(), ["drones"], per_topic=1)
    assert one["article_id"].to_list() == ["a3"]  # a full sentence beats newer fragments


def test_emerging_quotes_come_from_the_flagged_period():
    q = facts.emerging_quotes(h.emerging_topics(), h.topic_mentions(), h.articles())
    assert set(q["topic_id"]) == {"drones"}
    assert q["article_id"].to_list() == ["a4", "a3"]  # published 2025-06-16..22, newest first


def test_theme_map_draws_a_sample_of_a_large_map_but_counts_every_article():
    n = 5_000
    ids = [f"{i:05d}" for i in range(n)]
    coords = pl.DataFrame({"article_id": ids, "x": [float(i % 97) for i in range(n)],
                           "y": [float(i % 89) for i in range(n)]})
    placed = pl.DataFrame({"article_id": ids, "theme_id": [i % 3 - 1 for i in range(n)],
                           "weight": 0.5}, schema_overrides={"theme_id": pl.Int32})
    themes = pl.DataFrame({"theme_id": [0, 1], "label": ["a", "b"], "top_terms": [["a"], ["b"]],
                           "size": [1667, 1666]})
    fig = theme_charts.theme_map_chart(coords, placed, themes, max_points=1_000)
    dots = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert dots == 1_000
    # A grown map keeps drawing the articles it drew, unless newer ones take their place.
    def drawn(m: int):
        coords = pl.DataFrame({"article_id": [f"{i:05d}" for i in range(m)],
                               "x": [float(i) for i in range(m)], "y": 0.0})
        placed = coords.select("article_id", theme_id=pl.lit(0, pl.Int32), weight=0.5)
        chart = theme_charts.theme_map_chart(coords, placed, themes, max_points=1_000)
        return {int(x) for c in chart.axes[0].collections for x, _ in c.get_offsets()}

    before, after = drawn(n), drawn(n + 50)
    assert len(before) == len(after) == 1_000
    assert after - before <= set(range(n, n + 50))  # only new articles come in
    assert len(before & after) >= 950
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1] == "no theme (1,667)" and "(1,667)" in legend[0]
    full = theme_charts.theme_map_chart(coords, placed, themes)
    assert sum(len(c.get_offsets()) for c in full.axes[0].collections) == n


# --- charts that answer the question (issue 15) and a readable theme map (issue 14) ---


def _report_data(tables: dict[str, pl.DataFrame], labels=h.TOPIC_LABELS, **summary) -> ReportData:
    order = charts.topic_order(labels, tables["topic_mentions"]["topic_id"],
                               tables["topic_trends"]["topic_id"])
    frames = {name: tables.get(name, schema.empty(name))
              for name in (*writer.REPORT_TABLES, *schema.REPORT_EXTRAS)}
    return ReportData(**frames, topic_labels=labels, summary=h.summary(**summary),
                      colors=charts.topic_colors(order))


def _daily_trends(days: int, start: date = date(2025, 6, 1)) -> pl.DataFrame:
    rows = [(start + timedelta(days=d), "day", t, (d + i) % 3, (d + i) % 3, ((d + i) % 3) / 6)
            for d in range(days) for i, t in enumerate(h.TOPIC_LABELS)]
    return pl.DataFrame(rows, schema=schema.TOPIC_TRENDS, orient="row")


def _long_tables() -> dict[str, pl.DataFrame]:
    """Weekly trends over 18 months, monthly ones over 22 (old charts' AutoDateLocator
    warned on 20 to 24 months), monthly outlet shares, weekly themes."""
    weeks = [date(2021, 12, 27) + timedelta(weeks=w) for w in range(79)]  # to 26 June 2023
    rows = [(w, "week", t, (i * 3 + k) % 7, 1, ((i * 3 + k) % 7) / 40)
            for i, w in enumerate(weeks) for k, t in enumerate(h.TOPIC_LABELS)]
    months = [date(2022 + m // 12, m % 12 + 1, 1) for m in range(22)]
    rows += [(m, "month", t, (i + k) % 5 + 1, 1, ((i + k) % 5 + 1) / 170)
             for i, m in enumerate(months) for k, t in enumerate(h.TOPIC_LABELS)]
    themes = [(w, t, (i + t) % 6) for i, w in enumerate(weeks) for t in (0, 1)]
    return h.tables(
        topic_trends=pl.DataFrame(rows, schema=schema.TOPIC_TRENDS, orient="row"),
        source_shares=pl.concat([
            _outlet_shares(6, {"wire": 60, "agency": 30}).with_columns(
                period_start=pl.col("period_start").dt.offset_by(f"{y}y"))
            for y in range(3)]),
        theme_trends=pl.DataFrame(themes, schema=schema.THEME_TRENDS, orient="row"))


def _one_day_tables() -> dict[str, pl.DataFrame]:
    """The seed run: one article, one day."""
    return h.tables(topic_trends=_daily_trends(1), bursts=schema.empty("bursts"),
                    theme_trends=h.theme_trends().head(1))


@pytest.mark.parametrize("frames", ["normal", "empty", "one day", "long range"])
def test_every_chart_page_builds_and_saves_without_a_warning(frames):
    tables = {"normal": h.tables, "empty": h.empty_tables, "one day": _one_day_tables,
              "long range": _long_tables}[frames]()
    data = _report_data(tables)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for spec in chart_registry.CHARTS:
            page = chart_registry.page(spec, data)
            charts.freeze_layout(page)
            with charts.style():
                page.savefig(io.BytesIO(), format="pdf", metadata={"CreationDate": None})


def _tick_labels(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.get_xticklabels() if t.get_text()]


@pytest.mark.parametrize("days", [1, 5, 19])
def test_date_axes_of_daily_data_show_days_never_hours(days):
    trends = _daily_trends(days)
    bursts = h.bursts().with_columns(period_start=pl.lit(date(2025, 6, 1)),
                                     onset=pl.lit(date(2025, 6, 1)))
    for fig in (topic_charts.topic_share_chart(trends, h.TOPIC_LABELS, bursts=bursts),
                topic_charts.topic_trends_chart(trends, h.TOPIC_LABELS, bursts=bursts),
                burst_charts.bursts_timeline_chart(bursts, h.TOPIC_LABELS)):
        _render(fig)
        labels = _tick_labels(fig)
        assert labels and not any(":" in t for t in labels), labels
        ticks = fig.axes[0].get_xticks()
        assert all(float(t).is_integer() for t in ticks)  # midnight: whole days only
        assert labels[0].startswith("1 Jun")


def test_date_ticks_step_up_from_days_to_months_to_years():
    assert charts.date_ticks(date(2025, 6, 1), date(2025, 6, 3))[1] == [
        "1 Jun\n2025", "2 Jun", "3 Jun"]
    ticks, labels = charts.date_ticks(date(2021, 12, 27), date(2023, 7, 1), 4)
    assert ticks == [date(2022, 1, 1), date(2022, 7, 1), date(2023, 1, 1), date(2023, 7, 1)]
    assert labels == ["Jan\n2022", "Jul", "Jan\n2023", "Jul"]
    assert charts.date_ticks(date(2015, 3, 1), date(2025, 3, 1), 6)[1][:2] == ["2016", "2018"]


def _many_topic_labels() -> dict[str, str]:
    return {f"t{i:02d}": f"Topic {i:02d}" for i in range(16)}


def _many_topic_trends() -> pl.DataFrame:
    """16 topics over 10 weeks; the three topics after the core are the busiest by far."""
    weeks = [date(2025, 3, 3) + timedelta(weeks=w) for w in range(10)]
    rows = []
    for w, week in enumerate(weeks):
        for i in range(16):
            n = 50 + w if i >= charts.CORE_TOPICS else (i + 1) * (1 + w % 3)
            rows.append((week, "week", f"t{i:02d}", n, n, n / 1000))
    return pl.DataFrame(rows, schema=schema.TOPIC_TRENDS, orient="row")


def test_share_panels_put_core_topics_first_each_on_its_own_scale():
    labels = _many_topic_labels()
    fig = topic_charts.topic_share_chart(_many_topic_trends(), labels, period="week")
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    titles = [ax.get_title(loc="left") for ax in panels]
    core = [labels[t] for t in charts.core_topics(labels)]
    assert titles[:charts.CORE_TOPICS] == core  # taxonomy order, though the others are busier
    assert titles[charts.CORE_TOPICS:] == ["Topic 13", "Topic 14"]  # the busiest others fill up
    tops = [ax.get_ylim()[1] for ax in panels]
    assert tops[0] < tops[12] / 5  # a small core topic is not flattened by a big one
    steps = [p for p in panels[0].patches if isinstance(p, StepPatch) and p.get_linewidth()]
    assert max(steps[0].get_data().values) == pytest.approx(3 / 1000)  # 3 of 1,000 articles


def test_share_is_the_lead_topic_chart_and_counts_follow():
    names = [s.name for s in chart_registry.CHARTS if s.section == chart_registry.TOPIC_CHARTS]
    assert names[:2] == ["topic_share", "topic_trends"]


def test_bursts_mark_their_start_day_and_the_largest_date():
    fig = topic_charts.topic_share_chart(_daily_trends(20), h.TOPIC_LABELS, bursts=h.bursts())
    by_title = {ax.get_title(loc="left"): ax for ax in fig.axes}
    air = by_title["Air and missile defence"]
    marks = [line for line in air.get_lines() if line.get_marker() == "v"]
    # One run (12-13 June): one filled mark, on its first day.
    assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(
        mdates.date2num(date(2025, 6, 12)) + 0.5)
    assert marks[0].get_markerfacecolor() != "white"
    assert "12 Jun" in [t.get_text() for t in air.texts]
    drones = [line for line in by_title["Drones and unmanned systems"].get_lines()
              if line.get_marker() == "v"]
    assert [m.get_markerfacecolor() for m in drones] == ["white"]  # a day to watch
    assert not [line for line in by_title["Sanctions"].get_lines() if line.get_marker() == "v"]


def test_theme_trends_subtitle_covers_exactly_the_data_range():
    tables = _long_tables()
    fig = theme_charts.theme_trends_chart(tables["theme_trends"], h.themes(),
                                          date_range=(date(2022, 1, 1), date(2023, 7, 1)))
    subtitle = fig.axes[0].get_title(loc="left")
    assert "2022-01-01 to 2023-07-01" in subtitle
    # The week of 27 December 2021 holds January's articles: it counts for January.
    x = fig.axes[0].collections[0].get_paths()[0].vertices[:, 0]
    assert mdates.num2date(x.min()).date() == date(2022, 1, 1)


def _theme_map_frames(k: int, seed: int = 7) -> tuple[pl.DataFrame, ...]:
    """``k`` themes of Pareto sizes as overlapping blobs: labels start on top of each other."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 2))
    sizes = np.sort((rng.pareto(1.2, k) + 1) * 40)[::-1].astype(int)
    ids, xy, theme = [], [], []
    for t in range(k):
        ids += [f"{t}-{j}" for j in range(sizes[t])]
        xy.append(centres[t] + rng.normal(size=(sizes[t], 2)) * 0.3)
        theme += [t] * int(sizes[t])
    points = np.vstack(xy)
    coords = pl.DataFrame({"article_id": ids, "x": points[:, 0], "y": points[:, 1]})
    placed = pl.DataFrame({"article_id": ids, "theme_id": theme, "weight": 0.8},
                          schema_overrides={"theme_id": pl.Int32})
    themes = pl.DataFrame({"theme_id": list(range(k)),
                           "label": [f"story {t} / place {t} / w" for t in range(k)],
                           "top_terms": [["w"]] * k, "size": [int(n) for n in sizes]},
                          schema=schema.THEMES)
    return coords, placed, themes


@pytest.mark.parametrize("k", [30, 50])
def test_theme_map_labels_do_not_overlap_at_50_themes(k):
    coords, placed, themes = _theme_map_frames(k)
    page = chart_page(lambda sf: theme_charts.theme_map_chart(coords, placed, themes, fig=sf),
                      chart_height=8.6, note="", name="theme_map")
    charts.freeze_layout(page)
    with charts.style():
        page.canvas.draw()
        renderer = page.canvas.get_renderer()
    (labels,) = page.findobj(theme_charts.PlacedLabels)
    boxes = labels.boxes(renderer)
    assert len(boxes) == k  # every theme is labelled
    for i, a in enumerate(boxes):
        assert labels.ax.bbox.contains(a.x0, a.y0) and labels.ax.bbox.contains(a.x1, a.y1)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    moved = [line for line in labels.leaders if line.get_visible()]
    assert moved  # crowded labels moved aside, with a line back to their theme
    colours = theme_charts.theme_colors(themes)
    largest = [colours[t] for t in range(theme_charts.DISTINCT)]
    assert len(set(largest)) == theme_charts.DISTINCT  # the largest themes: distinct colours
    legend = [t.get_text() for t in page.legends[0].get_texts()] if page.legends else [
        t.get_text() for sub in page.subfigs for lg in sub.legends for t in lg.get_texts()]
    assert len(legend) == k + 1  # every theme, and "no theme"


def test_theme_colours_agree_between_map_and_trends():
    themes = h.themes()
    fig = theme_charts.theme_trends_chart(h.theme_trends(), themes)
    colours = theme_charts.theme_colors(themes)
    fills = [tuple(c.get_facecolor()[0][:3]) for c in fig.axes[0].collections]
    assert fills == [pytest.approx(colours[0][:3]), pytest.approx(colours[1][:3])]


# --- fonts ---


def test_font_fallback_lists_dejavu_first_and_only_installed_fonts():
    families = charts.font_families()
    assert families[0] == "DejaVu Sans"
    for name in families:
        font_manager.findfont(FontProperties(family=name), fallback_to_default=False)


def _require_cjk_font() -> str:
    cjk = [f for f in charts.font_families() if f in charts.CJK_FAMILIES]
    if not cjk:
        reason = "no CJK font installed (apt-get install fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    return cjk[0]


def _pdf(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with charts.style():
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None})
    return buf.getvalue()


def test_cjk_cyrillic_and_greek_titles_print_and_embed_only_what_they_use(tmp_path):
    family = _require_cjk_font()
    labels = {**h.TOPIC_LABELS, "drones": "无人机 ドローン 드론 / Дрони / Drones Ελλάδα"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph missing" warning: every glyph has a font
        cjk = _pdf(charts.topic_totals_chart(h.topic_mentions(), labels))
    latin = _pdf(charts.topic_totals_chart(h.topic_mentions(), h.TOPIC_LABELS))
    assert cjk == _pdf(charts.topic_totals_chart(h.topic_mentions(), labels))  # deterministic
    path = tmp_path / "cjk.pdf"
    path.write_bytes(cjk)
    text = subprocess.run([h.require_tool("pdftotext"), str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "无人机 ドローン 드론" in text and "Дрони" in text and "Ελλάδα" in text
    name = family.replace(" ", "").encode()[:11]  # b"NotoSansCJK": the embedded font's name
    assert name in cjk and name not in latin  # the CJK font only where it is used
    assert len(cjk) < len(latin) + 60_000  # a subset of a few glyphs, not a 16 MB font


def test_brief_panel_titles_of_a_row_start_at_one_height():
    # Press releases, page 1: "Military logistics" sat a line below "Air and missile
    # defence" beside it (set_title aligns a title's last line).
    from matplotlib.text import Text

    from analytics.report.charts.brief import brief_share_chart

    weeks = [date(2025, 4, 7) + timedelta(weeks=i) for i in range(6)]
    labels = {"a": "Air and missile defence", "b": "Military logistics", "c": "Terrorism"}
    share = pl.DataFrame({"period_start": weeks * 3, "topic_id": [t for t in labels
                                                                  for _ in weeks],
                          "share": [0.1, 0.2, 0.1, 0.3, 0.2, 0.4] * 3})
    fig = brief_share_chart(share, labels, list(labels))
    renderer = fig.canvas.get_renderer()
    tops = {t.get_text(): t.get_window_extent(renderer).y1 for t in fig.findobj(Text)
            if t.get_text() in {"Air and missile\ndefence", "Military logistics", "Terrorism"}}
    assert len(tops) == 3
    assert max(tops.values()) - min(tops.values()) < 1  # pixels
