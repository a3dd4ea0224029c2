"""Markdown: one escaper and one table renderer; untrusted text never breaks a table."""

from __future__ import annotations

import polars as pl

from analytics.contracts import schema
from analytics.report.markdown import md_escape, table
from tests import helpers as h


def test_md_escape_leaves_no_markup():
    out = md_escape("<script>alert(1)</script> | *x* [a](b) $x$")
    assert "<" not in out and "|" not in out.replace("\\|", "")
    assert "&lt;script&gt;" in out


def test_table_aligns_and_keeps_escaped_pipes_inside_their_cell():
    lines = table([("topic", "<"), ("articles", ">")], [[md_escape("a | b"), "3"]])
    assert lines[:2] == ["| topic | articles |", "|---|---:|"]
    cells = [c for c in lines[2].replace("\\|", "").split("|") if c.strip()]
    assert len(cells) == 2 and cells[1].strip() == "3"


def _report_data():
    from analytics.report import charts
    from analytics.report.data import ReportData

    t = h.tables()
    return ReportData(**t, topic_labels=h.TOPIC_LABELS, summary=h.summary(),
                      colors=charts.topic_colors(list(h.TOPIC_LABELS)))


def test_brief_markdown_is_page_one_with_stories_claims_and_sources():
    from analytics.report.markdown import brief_markdown, summary_markdown

    data = _report_data()
    md = brief_markdown(data)
    assert md.startswith("## What changed\n")
    assert ("- **Drones and unmanned systems: 2 articles in the last 7 days, usually under 1 "
            "a week") in md
    assert "  - [Drone factory opens](<https://example.org/3>) — agency, 17 Jun" in md
    assert "## New spending claims" in md
    assert "- [No actor named: 2% of GDP (target)](<https://example.org/2>)" in md
    assert "- quarantined, missing text: 1" in md
    assert "- source blog \\(rss\\): failed, 0 rows read; HTTP 503" in md
    assert " pp" not in md
    summary = summary_markdown(data)
    assert summary.split("\n## ", 1)[1].startswith("What changed")  # the brief comes first
    assert md.strip() in summary


def test_link_text_keeps_its_parentheses_and_escapes_its_brackets():
    from analytics.report import brief
    from analytics.report.markdown import _md_line

    line = _md_line(brief.Line("NATO: 2% of GDP (target) [sic]", "FT, 19 May",
                               "https://example.org/a"))
    assert line == r"[NATO: 2% of GDP (target) \[sic\]](<https://example.org/a>) — FT, 19 May"


def test_quality_page_names_the_first_location_of_each_grouped_reason():
    """The run summary groups reasons without their row detail; the page still finds where
    the first such row was."""
    from dataclasses import replace

    from analytics.report.layout import Flow
    from analytics.report.pages import write_quality

    data = _report_data()
    q = pl.DataFrame({"source": ["feed"] * 2, "location": ["f.csv:9", "f.csv:3"],
                      "reason": ["publication date after the run date 2025-07-01: 2025-07-05",
                                 "publication date after the run date 2025-07-01: 2025-07-02"]},
                     schema=schema.QUARANTINE)
    summary = replace(data.summary, quarantine_reasons={
        "publication date after the run date 2025-07-01": 2})
    data = replace(data, quarantine=q, summary=summary)
    flow = Flow("Data quality")
    write_quality(flow, data)
    texts = [t.get_text() for page in flow.pages for t in page.texts]
    assert "f.csv:3" in texts


def test_summary_lists_a_claim_stated_twice_once():
    from dataclasses import replace

    from analytics.report.markdown import summary_markdown

    data = _report_data()
    twice = pl.concat([data.claims, data.claims.head(1).with_columns(kind=pl.lit("target"))])
    md = summary_markdown(replace(data, claims=twice))
    claims = md.split("## Spending claims")[1].split("## Themes")[0]
    rows = [line for line in claims.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + data.claims.height  # the header, then each claim once
