"""Prefect artifacts of a run: the brief, the topic table and the way to the PDF.

Everything shown comes from what the report wrote: ``summary.md`` (rendered by
``analytics.report.markdown``; it starts with the brief, the PDF's page 1), the charts and
``tables/topic_totals.parquet``, so the UI and the PDF give the same numbers. With a
``reports_url`` (where ``topicwatch reports serve`` serves the reports folder) the
artifacts link to the PDF and the charts there; without one they say how to open them,
since a ``file://`` link does not open from the UI.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import quote

import polars as pl
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from analytics.contracts.run_summary import RunSummary
from analytics.report.formatting import fmt_int, plural
from analytics.report.markdown import md_escape, topic_rows
from analytics.report.writer import ReportFiles
from flows import defaults

# Image data inline keeps the artifact readable offline; a larger chart is linked instead.
MAX_INLINE_PNG = 400_000
# The brief's chart, then what stands in for it in a report that lacks it.
BRIEF_CHARTS = ("brief_share", "topic_share", "topic_totals")
# The brief's chart goes under this section (its moves), as on page 1.
CHART_AFTER = "What changed"
# Sections of summary.md the UI shows elsewhere (the run's Parameters tab).
LEFT_OUT = ("Run parameters",)


def report_url(reports_url: str, files: ReportFiles, path: Path) -> str:
    """The URL of ``path`` (a file of the report) under ``reports_url``, which serves the
    reports folder: ``<reports_url>/<run-date>/<path in the report>``."""
    parts = (files.out_dir.name, *path.relative_to(files.out_dir).parts)
    return reports_url.rstrip("/") + "/" + "/".join(quote(p) for p in parts)


def how_to_open(files: ReportFiles) -> str:
    """Where the PDF is and how to reach it from a browser, for runs without a reports URL."""
    pdf = md_escape(str(files.pdf.resolve()))
    folder = md_escape(str(files.out_dir.resolve().parent))
    return (f"The PDF report is {pdf} on the machine that ran this flow. To open it from "
            f"here, serve the reports there with `topicwatch reports serve --reports-dir "
            f"{folder}` and run with `--reports-url http://127.0.0.1:{defaults.REPORTS_PORT}` "
            f"(or set {defaults.REPORTS_URL_ENV}): the artifacts then link to it.")


def _sections(body: str) -> list[tuple[str, str]]:
    """``body`` cut at its ``## `` headings: (heading, text) pairs, ("", text) first."""
    parts = re.split(r"(?m)^(?=## )", body)
    return [(p.split("\n", 1)[0][3:].strip() if p.startswith("## ") else "", p) for p in parts]


def _brief_chart(files: ReportFiles) -> tuple[str, Path] | None:
    """The first of :data:`BRIEF_CHARTS` that a page of the PDF shows: a chart its section
    had too little data for is a "no data" box, which the brief's own line already says."""
    for name in BRIEF_CHARTS:
        path = files.charts.get(name) or files.out_dir / "charts" / f"{name}.png"
        if name in files.on_pages and path.is_file():
            return name, path
    return None


def summary_markdown(summary: RunSummary, files: ReportFiles,
                     reports_url: str | None) -> str:
    """``summary.md`` (the brief first) under a dated heading, without the run parameters,
    the brief's chart inline under its moves ("## What changed"), the link to the PDF
    first and to the charts last (or, without ``reports_url``, how to open them)."""
    text = files.summary_md.read_text(encoding="utf-8")
    body = text.split("\n", 1)[1] if text.startswith("# ") else text
    sections = [(h, t.strip()) for h, t in _sections(body) if h not in LEFT_OUT]
    top, end = "", how_to_open(files)
    if reports_url:
        top = f"**[Open the PDF report]({report_url(reports_url, files, files.pdf)})**"
        end = "Charts: " + ", ".join(
            f"[{md_escape(name)}]({report_url(reports_url, files, path)})"
            for name, path in sorted(files.charts.items()))
    chart = []
    if found := _brief_chart(files):
        name, path = found
        png = path.read_bytes()
        if len(png) <= MAX_INLINE_PNG:
            data = base64.b64encode(png).decode("ascii")
            chart = [f"![{md_escape(name)}](data:image/png;base64,{data})"]
        elif reports_url:
            chart = [f"![{md_escape(name)}]({report_url(reports_url, files, path)})"]
    at = next((i + 1 for i, (h, _) in enumerate(sections) if h == CHART_AFTER), 1)
    parts = [f"# topicwatch report {summary.run_date.isoformat()}",
             f"**{md_escape(summary.corpus)}**: {md_escape(_headline(summary))}.", top,
             *(t for _, t in sections[:at]), *chart, *(t for _, t in sections[at:]), end]
    return "\n\n".join(p for p in parts if p) + "\n"


def _headline(s: RunSummary) -> str:
    """The run's counts as the PDF prints them ("188,235 rows read", not "read 188235")."""
    return (f"{fmt_int(s.rows_read)} rows read, {fmt_int(s.new_articles)} new, "
            f"{fmt_int(s.stored_articles)} stored, {fmt_int(s.duplicates)} duplicates "
            f"(+{fmt_int(s.near_duplicates)} near), {fmt_int(s.quarantined)} quarantined, "
            f"{plural(s.topics_found, 'topic')} found")


def publish_artifacts(summary: RunSummary, files: ReportFiles, *,
                      reports_url: str | None = None) -> None:
    """The brief, the topic table and the report's link (or how to open it), each with a
    stable key."""
    day = summary.run_date.isoformat()
    create_markdown_artifact(
        summary_markdown(summary, files, reports_url), key="topic-report-summary",
        description=f"topicwatch brief for {day}: what changed, bursts, claims, sources",
    )
    create_table_artifact(
        topic_rows(pl.read_parquet(files.tables["topic_totals"])), key="topic-counts",
        description="Articles per topic (near duplicates counted once), most first",
    )
    if reports_url:
        create_link_artifact(
            report_url(reports_url, files, files.pdf), link_text=f"report.pdf ({day})",
            key="topic-report-pdf", description="The PDF report of this run",
        )
    else:
        create_markdown_artifact(how_to_open(files), key="topic-report-pdf",
                                 description="Where the PDF report of this run is")
