"""The seed report (one article) is short: page 1 is the brief, no page only says "no data",
and the brief's chart PNG is cut from page 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from analytics.report.charts.brief import HEIGHT
from analytics.report.layout import TEXT_W
from analytics.report.writer import PNG_DPI, PNG_PAD, write_report
from tests import helpers as h

MAX_SEED_PAGES = 5
BRIEF_HEADINGS = ("What changed", "New spending claims", "Data quality", "Contents")


def _text(pdf: Path, page: int | None = None) -> str:
    cmd = [h.require_tool("pdftotext"), "-layout"]
    if page:
        cmd += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*cmd, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(pdf: Path) -> int:
    out = subprocess.run([h.require_tool("pdfinfo"), str(pdf)], check=True,
                         capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def _body(text: str) -> list[str]:
    """A page's lines but its heading and its footer."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [line for line in lines[1:] if " · run " not in line]


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seed")
    cli = Path(sys.executable).with_name("topicwatch")
    subprocess.run([str(cli), "run", "--data-dir", str(root / "data"), "--reports-dir",
                    str(root / "reports"), "--run-date", "2025-06-10"], check=True, cwd=root,
                   capture_output=True, text=True, timeout=600)
    return next((root / "reports").glob("*/report.pdf"))


@pytest.mark.e2e
def test_the_seed_report_is_short_and_has_no_empty_page(seed_report):
    n = _pages(seed_report)
    assert n <= MAX_SEED_PAGES
    for page in range(1, n + 1):
        body = _body(_text(seed_report, page))
        assert body, f"page {page} holds nothing but its heading"
        said = [line for line in body if not line.lower().startswith(("no data", "none:"))]
        assert said, f"page {page} only says there is no data: {body}"
        assert "(continued)" not in _text(seed_report, page).splitlines()[0]


@pytest.mark.e2e
def test_seed_page_one_is_the_brief(seed_report):
    first = _text(seed_report, 1)
    for heading in BRIEF_HEADINGS:
        assert heading in first, heading
    assert "Run parameters" not in first
    flat = " ".join(first.split())
    assert "1 article published in the last 7 days" in flat
    assert "NATO: 2% of GDP by 2025 (pledge)" in flat
    # the sections without data are lines of the contents
    assert "Themes — not enough articles for themes" in flat
    assert "Run parameters" in _text(seed_report)  # on the data quality page


def test_brief_chart_png_is_cut_from_page_one(tmp_path):
    files = write_report(tmp_path / "r", tables=h.tables(), topic_labels=h.TOPIC_LABELS,
                         summary=h.summary(), parallel=False)
    assert "Core topics: weekly share of all articles" in _text(files.pdf, 1)
    img = mpimg.imread(files.charts["brief_share"])
    # cut from the page: the page's text width and the chart's height, with the cut's pad
    assert img.shape[1] == round((TEXT_W + 0.2 + 2 * PNG_PAD) * PNG_DPI)
    assert img.shape[0] == round((HEIGHT + PNG_PAD) * PNG_DPI)
    assert (img[..., :3].min(axis=2) < 0.5).sum() > 2_000  # a chart, not a blank cut
    assert list(files.charts)[0] == "brief_share"


def test_page_one_holds_many_alerts_by_naming_the_rest():
    # RSS run 2023-07-01: six alerts (seven lines) pushed the contents onto a second page.
    from dataclasses import fields

    from analytics.alerts.section import AlertedRunSummary, AlertNote
    from analytics.report import charts
    from analytics.report.data import ReportData
    from analytics.report.pages import build_pages

    plain = h.summary()
    alerts = tuple(AlertNote("topicwatch.claim.new", f"claim-{i}",
                             f"new claim: Country {i} 2.5% of GDP by 2030", True)
                   for i in range(12))
    summary = AlertedRunSummary(**{f.name: getattr(plain, f.name) for f in fields(plain)},
                                alerts=alerts)
    pages = build_pages(ReportData(**h.tables(), topic_labels=h.TOPIC_LABELS, summary=summary,
                                   colors=charts.topic_colors(list(h.TOPIC_LABELS))))
    first = [t.get_text() for t in pages[0].texts]
    assert "Contents" in first
    assert any(t == "Alerts" or t.startswith("12 alerts of ") for t in first)
    assert "(continued)" not in pages[1].texts[0].get_text()
    assert any("summary.md lists" in t for t in first)  # the alerts left out are named


def test_cut_alert_lines_keep_an_alert_or_one_line_naming_them_all():
    # RSS run 2023-07-01: page 1 printed the first line and "And 6 more", no alert at all.
    from dataclasses import fields

    from analytics.alerts.section import AlertedRunSummary, AlertNote
    from analytics.report.pages import _alert_lines

    plain = h.summary()
    alerts = tuple(AlertNote("topicwatch.topic.burst", f"topic-{i}", f"Topic {i}: burst", True)
                   for i in range(6))
    summary = AlertedRunSummary(**{f.name: getattr(plain, f.name) for f in fields(plain)},
                                alerts=alerts)
    head, first, rest = _alert_lines(summary, 1)
    assert head.startswith("6 alerts of ") and first.startswith("Topic 0: burst")
    assert rest == "And 5 more (summary.md lists every alert)."
    (only,) = _alert_lines(summary, 0)
    assert only.startswith("6 alerts of ") and only.endswith("; summary.md lists them.")
    assert len(_alert_lines(summary, None)) == 7 == len(_alert_lines(summary, 6))
