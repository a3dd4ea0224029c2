"""Prefect artifacts of a run: the summary, the topic table and a link to the PDF.

Everything shown comes from what the report wrote: ``summary.md`` (rendered by
``analytics.report.markdown``) and ``tables/topic_totals.parquet``, so the UI and the PDF
give the same numbers.
"""

from __future__ import annotations

import polars as pl
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from analytics.contracts.run_summary import RunSummary
from analytics.report.markdown import artifact_markdown, topic_rows
from analytics.report.writer import ReportFiles

# Image data inline keeps the artifact readable offline; large charts are left out.
MAX_INLINE_PNG = 400_000
INLINE_CHARTS = ("topic_totals", "topic_trends")


def publish_artifacts(summary: RunSummary, files: ReportFiles) -> None:
    """Markdown summary, topic table and report link, each with a stable key."""
    images = {name: path.read_bytes() for name in INLINE_CHARTS
              if (path := files.charts.get(name)) and path.stat().st_size <= MAX_INLINE_PNG}
    pdf = files.pdf.resolve().as_uri()
    create_markdown_artifact(
        artifact_markdown(summary, files.summary_md.read_text(encoding="utf-8"),
                          images=images, pdf_link=f"`{pdf}`"),
        key="topic-report-summary",
        description=f"topicwatch summary for {summary.run_date.isoformat()}",
    )
    create_table_artifact(
        topic_rows(pl.read_parquet(files.tables["topic_totals"])), key="topic-counts",
        description="Articles per topic (near duplicates counted once), most first",
    )
    create_link_artifact(
        pdf, link_text=f"report.pdf ({summary.run_date.isoformat()})",
        key="topic-report-pdf", description="The PDF report of this run",
    )
