"""Page layout: a section that needs room starts a fresh page, cells stay inside their
row and column (matplotlib's own text extents, drawn on an Agg canvas)."""

from __future__ import annotations

import re

import polars as pl
import pytest
from matplotlib.figure import Figure

from analytics.report import charts
from analytics.report.data import ReportData
from analytics.report.layout import Column, Flow
from analytics.report.pages import Text, _Layout, write_claims_table, write_theme_table
from tests import helpers as h


def _data(**tables: pl.DataFrame) -> ReportData:
    return ReportData(**h.tables(**tables), topic_labels=h.TOPIC_LABELS, summary=h.summary(),
                      colors=charts.topic_colors(list(h.TOPIC_LABELS)))


def _overflows(page: Figure) -> list[str]:
    """The clipped texts whose ink runs past their clip box (cut on the page)."""
    page.canvas.draw()
    renderer = page.canvas.get_renderer()  # type: ignore[attr-defined]
    cut = []
    for text in page.texts:
        clip = text.get_clip_box()
        if clip is None or not text.get_text():
            continue
        ink = text.get_window_extent(renderer)
        if ink.x1 > clip.x1 + 0.5 or ink.y0 < clip.y0 - 0.5 or ink.y1 > clip.y1 + 0.5:
            cut.append(text.get_text())
    return cut


def test_a_text_with_min_space_starts_a_fresh_page_when_short_of_it():
    layout = _Layout()
    layout.add(Text("Topics", lambda f: f.space(f.remaining() - 4.0)))  # 4 in left
    assert layout.add(Text("Short", lambda f: f.paragraph("fits"))) == 0
    assert layout.add(Text("Data quality", lambda f: f.paragraph("x"), min_space=5.5)) == 1
    pages = layout.done()
    assert len(pages) == 2
    assert pages[1].texts[0].get_text() == "Data quality"  # its own heading, not "continued"


def test_a_six_line_cell_fits_its_row():
    # Press releases 2022-06-30, evidence: a title and link wrapped to six lines had its
    # last line cut in half by the row below.
    flow = Flow("Evidence")
    long = "Ukraine will build a European liberalized state · https://www.president.gov.ua/" \
           "en/news/ukrayina-buduvatime-yevropejsku-liberalizovanu-derzhavu-ale-76013"
    for size in (7.5, 8):
        flow.table([Column("Published", 0.75), Column("Article and link", 2.17, max_lines=6),
                    Column("Evidence sentence", 2.85, max_lines=5)],
                   [["2022-06-30", long, "x " * 200], ["2022-06-29", "short", "one"]],
                   size=size, char_em=0.6)
    assert [p for p in flow.pages if _overflows(p)] == []


WIDE = ("Members of the UN Security Council and NATO Member States welcomed MMW Group "
        "spending of 2.5% of GDP, WOMEN’S MEMO")


@pytest.mark.parametrize("write", [write_claims_table, write_theme_table])
def test_claims_and_theme_tables_are_not_clipped(write):
    # RSS run 2023-07-01: "members o the Security Council", "2.5% of GDF" (wrapped at
    # 0.53 em, a line of wide letters ran past its cell)
    claims = h.claims(snippet=WIDE).with_columns(actor=pl.lit("members of the Security Council"))
    themes = h.themes().with_columns(
        label=pl.lit("Ministry of Defence Women Members"),
        top_terms=pl.Series([["members", "council", "security", "women", "memorandum"]] * 3),
        size=pl.Series([118_205, 1, 1], dtype=pl.UInt32))
    flow = Flow("t")
    write(flow, _data(claims=claims, themes=themes))
    assert [cut for p in flow.pages for cut in _overflows(p)] == []
    # the narrow columns still hold a whole date, a six-digit count
    texts = [t.get_text() for p in flow.pages for t in p.texts]
    dates = [t for t in texts if re.match(r"\d{4}-\d\d", t)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates), dates
    assert dates or "118,205" in texts
