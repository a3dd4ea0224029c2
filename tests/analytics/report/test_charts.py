"""Figure builders: a Figure for normal and empty frames, stable topic colours, literal text."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from analytics.contracts import schema
from analytics.report import charts, facts, formatting
from analytics.report.charts import claims as claim_charts
from analytics.report.charts import themes as theme_charts
from analytics.report.charts import topics as topic_charts
from tests import helpers as h

BUILDERS = {
    "topic_totals": lambda f: charts.topic_totals_chart(
        f["topic_mentions"], h.TOPIC_LABELS, articles_total=f["articles"].height),
    "topic_trends": lambda f: charts.topic_trends_chart(f["topic_trends"], h.TOPIC_LABELS),
    "themes": lambda f: charts.themes_chart(f["themes"], status="not enough articles"),
    "spending_claims": lambda f: charts.spending_claims_chart(f["claims"]),
    "topic_share": lambda f: topic_charts.topic_share_chart(f["topic_trends"], h.TOPIC_LABELS),
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
    assert charts.topic_trends_chart(h.topic_trends(), h.TOPIC_LABELS, fig=top) is page


def test_topic_colours_are_stable_across_charts():
    order = charts.topic_order(h.TOPIC_LABELS)
    colors = charts.topic_colors(order)
    assert len(set(colors.values())) == len(order)
    assert charts.topic_colors(order) == colors  # no state between calls
    totals = charts.topic_totals_chart(h.topic_mentions(), h.TOPIC_LABELS, colors=colors)
    trends = charts.topic_trends_chart(h.topic_trends(), h.TOPIC_LABELS, colors=colors)
    bar_colours = {tuple(p.get_facecolor()) for p in totals.axes[0].patches}
    line_colours = {tuple(line.get_color()) for line in trends.axes[0].get_lines()}
    assert bar_colours == line_colours == set(colors.values())


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
        charts.topic_trends_chart(h.topic_trends(), all_labels),
        charts.themes_chart(themes),
        charts.spending_claims_chart(claims),
        topic_charts.topic_share_chart(h.topic_trends(), all_labels),
        topic_charts.source_shares_chart(h.source_shares(), all_labels),
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


def test_source_shares_pool_periods_per_source():
    fig = topic_charts.source_shares_chart(h.source_shares(), h.TOPIC_LABELS)
    ax = fig.axes[0]
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert columns == ["wire (3)", "agency (2)"]  # most articles first, counts in brackets
    cells = {t.get_text() for t in ax.texts}
    assert {"33", "100", "50"} <= cells  # 1 of 3 wire articles; 2 of 2 agency ones


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
