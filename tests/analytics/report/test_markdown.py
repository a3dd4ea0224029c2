"""Markdown: one escaper and one table renderer; untrusted text never breaks a table."""

from __future__ import annotations

from analytics.report.markdown import artifact_markdown, md_escape, table
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


def test_artifact_holds_the_summary_under_a_dated_heading_with_images_and_link():
    summary = h.summary(corpus="press | releases")
    md = artifact_markdown(summary, "# topicwatch report: x\n\n## What changed\n\n- a\n",
                           images={"topic_totals": b"\x89PNG..."}, pdf_link="[pdf](report.pdf)")
    lines = md.splitlines()
    assert lines[0] == f"# topicwatch report {summary.run_date.isoformat()}"
    assert "press \\| releases" in md and "## What changed" in md
    assert "# topicwatch report: x" not in md  # the summary's own title is replaced
    assert "![topic\\_totals](data:image/png;base64,iVBORy4uLg==)" in md
    assert lines[-1] == "PDF report: [pdf](report.pdf)"
