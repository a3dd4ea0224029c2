"""The summary artifact's chart: the brief's chart inline when page 1 shows it, none when
page 1 has only a line saying why (the PNG would be a "no data" box)."""

from __future__ import annotations

from dataclasses import replace

from analytics.report.writer import write_report
from flows.artifacts import summary_markdown
from tests import helpers as h


def test_the_brief_chart_is_inline_only_when_page_one_shows_it(tmp_path):
    summary = h.summary(corpus="press | releases")
    files = write_report(tmp_path / "r", tables=h.tables(), topic_labels=h.TOPIC_LABELS,
                         summary=summary, parallel=False)
    assert "brief_share" in files.on_pages
    md = summary_markdown(summary, files, None)
    assert md.count("data:image/png;base64,") == 1
    assert "![brief\\_share](data:image/png;base64," in md
    lines = md.splitlines()
    assert lines[0] == f"# topicwatch report {summary.run_date.isoformat()}"
    assert lines[2].startswith("**press \\| releases**: ")  # the corpus, escaped
    big = replace(summary, rows_read=188_235, quarantined=69_130)
    # Counts as the PDF prints them (the RSS run's artifact read "read 188235").
    assert "188,235 rows read" in summary_markdown(big, files, None).splitlines()[2]
    assert "69,130 quarantined" in summary_markdown(big, files, None)
    assert md.count("\n# ") == 0  # summary.md's own title is replaced by the dated one
    assert "topicwatch reports serve" in lines[-1]  # no URL: how to open the PDF, last
    # The same files, had no page held a chart: no "no data" box in the artifact.
    bare = summary_markdown(summary, replace(files, on_pages=frozenset()), None)
    assert "data:image/png" not in bare and "## What changed" in bare
