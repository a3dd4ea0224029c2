"""Figure builders: a Figure for normal and empty frames, stable topic colours, literal text."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from analytics import charts, report_text, schema
from tests import helpers as h

BUILDERS = {
    "topic_totals": lambda f: charts.topic_totals_chart(
        f["topic_mentions"], h.TOPIC_LABELS, articles_total=f["articles"].height),
    "topic_trends": lambda f: charts.topic_trends_chart(f["topic_trends"], h.TOPIC_LABELS),
    "themes": lambda f: charts.themes_chart(f["themes"], status="not enough articles"),
    "spending_claims": lambda f: charts.spending_claims_chart(f["claims"]),
}


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
    table = charts.topic_totals_table(h.topic_mentions(), h.TOPIC_LABELS, articles_total=5)
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
    figs = [
        charts.topic_totals_chart(mentions, labels),
        charts.topic_trends_chart(h.topic_trends(), {**h.TOPIC_LABELS, "drones": hostile}),
        charts.themes_chart(themes),
        charts.spending_claims_chart(claims),
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
    assert report_text.wrap(text, width, lines) == expected


def test_md_escape_leaves_no_markup():
    out = report_text.md_escape("<script>alert(1)</script> | *x* [a](b) $x$")
    assert "<" not in out and "|" not in out.replace("\\|", "")
    assert "&lt;script&gt;" in out
    assert report_text.truncate("abcdef", 4) == "abc…"
