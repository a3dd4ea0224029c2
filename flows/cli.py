"""The ``topicwatch`` command line."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

import flows  # noqa: F401  (applies the project's Prefect settings before Prefect loads)
from analytics.contracts.sources_config import SourcesError, load_sources
from analytics.contracts.taxonomy import TaxonomyError, load_taxonomy
from analytics.store.backends import is_url

app = typer.Typer(
    help="topicwatch: topic analytics for a stream of news articles, run as a Prefect flow.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error unwrapped (paths and line numbers stay on one line); the exit to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


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


# Options shared by `run` and `serve`, declared once.
SourcesOpt = Annotated[Path, typer.Option(
    "--sources", "-s",
    help="A folder of article files, a CSV/JSONL/Parquet file, or a sources .toml file.")]
TaxonomyOpt = Annotated[Path, typer.Option("--taxonomy", "-t", help="The taxonomy TOML file.")]
DataDirOpt = Annotated[str, typer.Option(
    "--data-dir", help="Where the article store lives: a folder, or an fsspec URL such as "
    "s3://bucket/prefix.")]
ReportsDirOpt = Annotated[Path, typer.Option(
    "--reports-dir", help="Reports go to REPORTS_DIR/<run-date>/.")]
ThemesOpt = Annotated[str, typer.Option(
    "--themes", callback=_themes,
    help="Number of themes to cluster into, or 'auto' to choose it from the data.")]
RandomStateOpt = Annotated[int, typer.Option("--random-state", help="Seed of the theme model.")]
RefitDaysOpt = Annotated[int, typer.Option(
    "--themes-refit-days", min=0,
    help="Refit the themes over every stored article when the last fit is this many days "
    "old; runs in between place only new articles into its themes (0: every run).")]


def _dask_address(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d+|[^\s/:]+:\d+", value):
        raise typer.BadParameter(f"expected tcp://HOST:PORT, got {value!r}")
    try:
        import prefect_dask  # noqa: F401
    except ImportError as exc:
        raise typer.BadParameter(
            "needs prefect-dask: pip install 'topicwatch[dask]'") from exc
    return value


DaskAddressOpt = Annotated[str | None, typer.Option(
    "--dask-address", callback=_dask_address,
    help="Run the per-shard stages (reading sources, topics and claims of each store "
    "month) on the existing Dask cluster whose scheduler is at this address, e.g. "
    "tcp://10.0.0.5:8786. Default: run everything here.")]


@app.command()
def run(
    sources: SourcesOpt = Path("seeds"),
    taxonomy: TaxonomyOpt = Path("seeds/taxonomy.toml"),
    data_dir: DataDirOpt = "data",
    reports_dir: ReportsDirOpt = Path("reports"),
    run_date: str | None = typer.Option(
        None, "--run-date", callback=_run_date,
        help="The run's date, YYYY-MM-DD (default: today, UTC). Articles dated later are "
        "quarantined; reruns of one date replace that date's report.",
    ),
    themes: ThemesOpt = "auto",
    random_state: RandomStateOpt = 0,
    dask_address: DaskAddressOpt = None,
    themes_refit_days: RefitDaysOpt = 7,
) -> None:
    """Ingest the sources, count topics, claims, trends and themes, and write the report."""
    # Config errors stop the run before any work, with the file, line and key.
    try:
        load_taxonomy(taxonomy)
        load_sources(sources)
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc

    from flows.topic_report import topic_report

    summary = topic_report(
        sources=str(sources), taxonomy=str(taxonomy), data_dir=data_dir,
        reports_dir=str(reports_dir), run_date=run_date, themes=themes,
        random_state=random_state, dask_address=dask_address,
        themes_refit_days=themes_refit_days,
    )
    print(
        f"topicwatch {summary.run_date.isoformat()}: read {summary.rows_read}, "
        f"new {summary.new_articles}, stored {summary.stored_articles}, "
        f"duplicates {summary.duplicates}, quarantined {summary.quarantined}, "
        f"topics found {summary.topics_found}; report {summary.parameters['report']}"
    )


@app.command()
def serve(
    cron: str | None = typer.Option(
        None, "--cron", help='When to run, a cron expression in UTC, e.g. "0 6 * * *".'
    ),
    interval: float | None = typer.Option(
        None, "--interval", min=1, help="Or run every INTERVAL seconds."
    ),
    sources: SourcesOpt = Path("seeds"),
    taxonomy: TaxonomyOpt = Path("seeds/taxonomy.toml"),
    data_dir: DataDirOpt = "data",
    reports_dir: ReportsDirOpt = Path("reports"),
    themes: ThemesOpt = "auto",
    random_state: RandomStateOpt = 0,
    dask_address: DaskAddressOpt = None,
    themes_refit_days: RefitDaysOpt = 7,
    name: str = typer.Option("daily", "--name", help="The deployment's name."),
) -> None:
    """Serve the flow as the scheduled deployment topic-report/NAME until stopped (Ctrl-C).

    Each scheduled run reports on its scheduled day (UTC); runs never overlap. Needs a
    running Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api).
    """
    if (cron is None) == (interval is None):
        raise _fail("give exactly one of --cron and --interval")
    try:
        load_taxonomy(taxonomy)
        load_sources(sources)
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc

    from prefect.settings import get_current_settings

    from flows.serve import deployment, serve_deployment

    # Absolute paths: runs start in whatever directory the serving process has.
    parameters = {
        "sources": str(sources.resolve()), "taxonomy": str(taxonomy.resolve()),
        "data_dir": data_dir if is_url(data_dir) else str(Path(data_dir).resolve()),
        "reports_dir": str(reports_dir.resolve()),
        "themes": themes, "random_state": random_state,
        "themes_refit_days": themes_refit_days,
    }
    if dask_address:
        parameters["dask_address"] = dask_address
    try:
        dep = deployment(parameters, cron=cron, interval=interval, name=name)
    except ValueError as exc:  # an invalid cron expression
        raise _fail(str(exc).splitlines()[0]) from exc
    # Without a server URL Prefect would serve against a throwaway server of this process.
    if not get_current_settings().api.url:
        raise _fail("serve needs a running Prefect server: start one with "
                    "'prefect server start' and set PREFECT_API_URL=http://127.0.0.1:4200/api")
    serve_deployment(dep)


taxonomy_app = typer.Typer(help="Check the taxonomy file.", no_args_is_help=True)
sources_app = typer.Typer(help="Check the sources file.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(sources_app, name="sources")


def _load_corpus(path: Path, run_date: date):
    """Articles of a folder, table or sources file, parsed and cleaned but not stored."""
    from analytics.ingest.pipeline import prepare
    from analytics.sources.registry import read_source

    config = load_sources(path)
    batches = [read_source(s, config.settings) for s in config.sources]
    articles, _ = prepare([b.parsed for b in batches], run_date=run_date,
                          settings=config.settings)
    return articles


@taxonomy_app.command("check")
def taxonomy_check(
    path: Path = typer.Argument(Path("seeds/taxonomy.toml"), help="The taxonomy file."),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Also list phrases that match nothing in this folder, table "
        "or sources file.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when there are warnings."),
) -> None:
    """Lint a taxonomy: invalid entries (errors), overlapping phrases, unmatched phrases."""
    from analytics.topics.taxonomy_lint import lint_taxonomy

    try:
        articles = _load_corpus(corpus, date.today()) if corpus else None
        findings = lint_taxonomy(path, articles)
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc
    for finding in findings:
        print(finding)
    warnings = sum(f.level == "warning" for f in findings)
    print(f"{path}: {len(load_taxonomy(path).topics)} topics, {warnings} warnings, "
          f"{len(findings) - warnings} notes")
    if strict and warnings:
        raise typer.Exit(1)


@sources_app.command("check")
def sources_check(
    path: Path = typer.Argument(Path("seeds"), help="A sources .toml file, folder or table."),
) -> None:
    """Validate a sources file and say, per source, what it points at."""
    try:
        config = load_sources(path)
    except SourcesError as exc:
        raise _fail(str(exc)) from exc
    problems = 0
    for src in config.sources:
        where = src.path if src.path is not None else ", ".join(src.urls)
        exists = src.path is None or src.path.exists()
        problems += not exists
        state = "ok" if exists else "MISSING"
        print(f"{src.id:24} {src.kind:7} {state:8} {where}")
    print(f"{path}: {len(config.sources)} sources, {problems} problems")
    if problems:
        raise typer.Exit(1)


@app.command()
def explain(
    article_id: str = typer.Argument(..., help="An article id (or its first characters)."),
    data_dir: str = typer.Option("data", "--data-dir", help="The article store (folder or URL)."),
    taxonomy: Path = typer.Option(Path("seeds/taxonomy.toml"), "--taxonomy", "-t"),
) -> None:
    """Print why an article counts for each topic: every phrase matched and its sentence."""
    import polars as pl

    from analytics.store.articles import ArticleStore
    from analytics.topics.claims import extract_claims
    from analytics.topics.tagging import explain as explain_matches

    articles = ArticleStore(data_dir).read()
    found = articles.filter(pl.col("article_id").str.starts_with(article_id))
    if found.height != 1:
        raise _fail(f"{found.height} articles in {data_dir} have an id starting with "
                    f"{article_id!r}")
    art = found.row(0, named=True)
    print(f"{art['article_id']}  {art['published_at']:%Y-%m-%d}  {art['source']}")
    print(f"{art['title']}\n{art['url'] or art['location']}")
    if art["duplicate_of"]:
        print(f"near duplicate of {art['duplicate_of']}")
    matches = explain_matches(art, load_taxonomy(taxonomy))
    current = None
    for topic_id, phrase, sentence in matches:
        if topic_id != current:
            count = sum(m[0] == topic_id for m in matches)
            print(f"\n{topic_id} ({count} mentions)")
            current = topic_id
        print(f"  [{phrase}] {sentence}")
    if not matches:
        print("\nno topic of the taxonomy is mentioned")
    for claim in extract_claims(found).iter_rows(named=True):
        year = f" by {claim['target_year']}" if claim["target_year"] else ""
        print(f"\nspending claim: {claim['value']:g}% of GDP{year}: {claim['snippet']}")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
