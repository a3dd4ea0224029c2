"""The ``topicwatch`` command line."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

import flows  # noqa: F401  (applies the project's Prefect settings before Prefect loads)
from analytics.sources_config import SourcesError, load_sources
from analytics.taxonomy import TaxonomyError, load_taxonomy

app = typer.Typer(
    help="topicwatch: topic analytics for a stream of news articles, run as a Prefect flow.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@app.callback()
def main_options() -> None:
    """topicwatch: topic analytics for a stream of news articles, run as a Prefect flow."""


def _themes(value: str) -> str:
    if value != "auto" and not re.fullmatch(r"[1-9]\d*", value):
        raise typer.BadParameter("use a positive whole number of themes or 'auto'")
    return value


def _run_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


@app.command()
def run(
    sources: Path = typer.Option(
        Path("seeds"), "--sources", "-s",
        help="A folder of article files, a CSV/JSONL/Parquet file, or a sources .toml file.",
    ),
    taxonomy: Path = typer.Option(
        Path("seeds/taxonomy.toml"), "--taxonomy", "-t", help="The taxonomy TOML file."
    ),
    data_dir: Path = typer.Option(
        Path("data"), "--data-dir", help="Where the article store lives."
    ),
    reports_dir: Path = typer.Option(
        Path("reports"), "--reports-dir", help="Reports go to REPORTS_DIR/<run-date>/."
    ),
    run_date: str | None = typer.Option(
        None, "--run-date", callback=_run_date,
        help="The run's date, YYYY-MM-DD (default: today, UTC). Articles dated later are "
        "quarantined; reruns of one date replace that date's report.",
    ),
    themes: str = typer.Option(
        "auto", "--themes", callback=_themes,
        help="Number of themes to cluster into, or 'auto' to choose it from the data.",
    ),
    random_state: int = typer.Option(0, "--random-state", help="Seed of the theme model."),
) -> None:
    """Ingest the sources, count topics, claims, trends and themes, and write the report."""
    # Config errors stop the run before any work, with the file, line and key.
    try:
        load_taxonomy(taxonomy)
        load_sources(sources)
    except (TaxonomyError, SourcesError) as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from exc

    from flows.topic_report import topic_report

    summary = topic_report(
        sources=str(sources), taxonomy=str(taxonomy), data_dir=str(data_dir),
        reports_dir=str(reports_dir), run_date=run_date, themes=themes,
        random_state=random_state,
    )
    print(
        f"topicwatch {summary.run_date.isoformat()}: read {summary.rows_read}, "
        f"new {summary.new_articles}, stored {summary.stored_articles}, "
        f"duplicates {summary.duplicates}, quarantined {summary.quarantined}, "
        f"topics found {summary.topics_found}; report {summary.parameters['report']}"
    )


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
