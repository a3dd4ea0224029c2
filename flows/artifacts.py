"""Prefect artifacts of a run: a markdown summary, the topic table and a link to the PDF."""

from __future__ import annotations

import base64

import polars as pl
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from analytics.contracts.run_summary import RunSummary
from analytics.report.writer import ReportFiles

# Image data inline keeps the artifact readable offline; large charts are left out.
MAX_INLINE_PNG = 400_000


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def summary_markdown(summary: RunSummary, totals: pl.DataFrame, claims: pl.DataFrame,
                     files: ReportFiles) -> str:
    """The run's headline numbers, top topics and main charts as markdown."""
    lines = [
        f"# topicwatch report {summary.run_date.isoformat()}",
        "",
        f"**{summary.corpus}**: {summary.headline()}.",
        "",
        "| rows read | new | stored | duplicates | quarantined |",
        "|---:|---:|---:|---:|---:|",
        f"| {summary.rows_read} | {summary.new_articles} | {summary.stored_articles} | "
        f"{summary.duplicates} | {summary.quarantined} |",
        "",
    ]
    if summary.quarantine_reasons:
        lines += ["**Quarantined, by reason:** " + "; ".join(
            f"{_md_escape(r)} ({n})" for r, n in summary.quarantine_reasons.items()), ""]
    failed = [s for s in summary.sources if s.status != "ok"]
    for s in failed:
        lines.append(f"- source `{s.source}` {s.status}: {_md_escape(s.message)}")
    top = totals.filter(pl.col("articles") > 0).sort("articles", descending=True).head(10)
    lines += ["", "## Top topics", "", "| topic | articles | mentions | share |",
              "|---|---:|---:|---:|"]
    lines += [f"| {r['label']} | {r['articles']} | {r['mentions']} | {r['share']:.1%} |"
              for r in top.iter_rows(named=True)]
    if claims.height:
        levels = claims.group_by("value").len().sort("value")
        lines += ["", "## Spending targets mentioned (% of GDP)", "",
                  ", ".join(f"{v:g}% ({n})" for v, n in levels.iter_rows())]
    for name in ("topic_totals", "topic_trends"):
        path = files.charts.get(name)
        if path and path.exists() and path.stat().st_size <= MAX_INLINE_PNG:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            lines += ["", f"![{name}](data:image/png;base64,{data})"]
    lines += ["", f"PDF report: `{files.pdf}`"]
    return "\n".join(lines)


def publish_artifacts(summary: RunSummary, totals: pl.DataFrame, claims: pl.DataFrame,
                      files: ReportFiles) -> None:
    """Markdown summary, topic table and report link, each with a stable key."""
    create_markdown_artifact(
        summary_markdown(summary, totals, claims, files), key="topic-report-summary",
        description=f"topicwatch summary for {summary.run_date.isoformat()}",
    )
    create_table_artifact(
        totals.with_columns(pl.col("share").round(4)).to_dicts(), key="topic-counts",
        description="Articles and mentions per topic",
    )
    create_link_artifact(
        files.pdf.resolve().as_uri(), link_text=f"report.pdf ({summary.run_date.isoformat()})",
        key="topic-report-pdf", description="The PDF report of this run",
    )
