"""The chart registry is the one place a chart is declared: its page, PNG and order follow."""

from __future__ import annotations

import subprocess

import polars as pl
from matplotlib.figure import Figure, SubFigure

from analytics.report import chart_registry, charts
from analytics.report.chart_registry import ChartSpec
from analytics.report.data import ReportData
from analytics.report.writer import write_report
from tests import helpers as h


def test_every_declared_chart_gets_a_png_in_declared_order(tmp_path):
    files = write_report(tmp_path / "r", tables=h.tables(), topic_labels=h.TOPIC_LABELS,
                         summary=h.summary(), parallel=False)
    assert list(files.charts) == [spec.name for spec in chart_registry.CHARTS]
    assert len({spec.name for spec in chart_registry.CHARTS}) == len(chart_registry.CHARTS)


def _articles_per_source(data: ReportData, fig: SubFigure | None) -> Figure:
    counts = data.articles.group_by("source").len().sort("source")
    target = fig if fig is not None else charts.new_figure()
    ax = target.subplots()
    ax.barh(counts["source"].to_list(), counts["len"].to_list())
    ax.set_title("Articles per source")
    return target if isinstance(target, Figure) else target.figure


def test_a_new_spec_is_all_a_chart_needs(tmp_path, monkeypatch):
    """One spec added to the registry: a page in its section, a PNG cut from that page,
    listed last; nothing else changes."""
    spec = ChartSpec("articles_per_source", chart_registry.SOURCES, _articles_per_source,
                     lambda d: 5.0, lambda d: f"{d.articles.height} articles by source.")
    monkeypatch.setattr(chart_registry, "CHARTS", (*chart_registry.CHARTS, spec))
    before = write_report(tmp_path / "before", tables=h.tables(), topic_labels=h.TOPIC_LABELS,
                          summary=h.summary(), parallel=False)
    assert list(before.charts)[-1] == "articles_per_source"
    png = before.charts["articles_per_source"]
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5_000
    text = subprocess.run([h.require_tool("pdftotext"), str(before.pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "articles by source." in text  # its note, under the chart on its page
    monkeypatch.undo()
    plain = write_report(tmp_path / "plain", tables=h.tables(), topic_labels=h.TOPIC_LABELS,
                         summary=h.summary(), parallel=False)
    assert before.pages == plain.pages + 1
    assert "articles_per_source" not in plain.charts


def test_a_section_without_data_still_draws_its_charts_on_their_own(tmp_path):
    tables = h.tables(claims=pl.DataFrame(schema=h.tables()["claims"].schema))
    files = write_report(tmp_path / "r", tables=tables, topic_labels=h.TOPIC_LABELS,
                         summary=h.summary(), parallel=False)
    for name in ("spending_claims", "spending_claims_over_time"):
        assert files.charts[name].read_bytes().startswith(b"\x89PNG")
