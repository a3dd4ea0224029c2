"""The ``topicwatch`` command line."""

from __future__ import annotations

import re
import sys
from datetime import date
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Literal

import typer

import flows  # noqa: F401  (applies the project's Prefect settings before Prefect loads)
from analytics.contracts.sources_config import SourcesError, load_sources
from analytics.contracts.taxonomy import TaxonomyError, load_taxonomy
from analytics.store.backends import is_url
from flows import defaults
from flows.alerts_cli import alerts_app
from flows.export import export_command

# -h as well as --help, on every command (subcommands inherit the group's setting).
HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    help="topicwatch: topic analytics for a stream of news articles, run as a Prefect flow.",
    no_args_is_help=True,
    add_completion=False,
    context_settings=HELP,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error unwrapped (paths and line numbers stay on one line); the exit to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def _version() -> str:
    try:
        return package_version("topicwatch")
    except PackageNotFoundError:  # a source checkout on sys.path, not installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        print(f"topicwatch {_version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """topicwatch: topic analytics for a stream of news articles, run as a Prefect flow."""


def _themes(value: str) -> int | Literal["auto"]:
    """``--themes``: a whole number of themes (1 or more) or "auto"."""
    if value == "auto":
        return "auto"
    if not re.fullmatch(r"[1-9]\d*", value):
        raise typer.BadParameter(f"use a whole number of themes (1 or more) or 'auto', "
                                 f"not {value!r}")
    return int(value)


def _run_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


# Options shared by `run` and `serve`, declared once; their defaults are in flows.defaults.
DEFAULT_SOURCES_SHOWN = f"./{defaults.SOURCES_FILE} if present, else the seed folder"
DEFAULT_TAXONOMY_SHOWN = f"./{defaults.TAXONOMY_FILE} if present, else the seed taxonomy"
SourcesOpt = Annotated[Path | None, typer.Option(
    "--sources", "-s", show_default=DEFAULT_SOURCES_SHOWN,
    help="A folder of article files, a CSV/JSONL/Parquet file, or a sources .toml file.")]
TaxonomyOpt = Annotated[Path | None, typer.Option(
    "--taxonomy", "-t", show_default=DEFAULT_TAXONOMY_SHOWN, help="The taxonomy TOML file.")]
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


def _reports_url(value: str | None) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise typer.BadParameter(f"expected http://HOST:PORT[/PATH], got {value!r}")
    return value.rstrip("/")


ReportsUrlOpt = Annotated[str | None, typer.Option(
    "--reports-url", callback=_reports_url, envvar=defaults.REPORTS_URL_ENV,
    help="Where the reports folder is served (`topicwatch reports serve`), e.g. "
    f"http://127.0.0.1:{defaults.REPORTS_PORT}: the Prefect artifacts link to the PDF and "
    "charts there. Without it they say how to open them.")]
DaskAddressOpt = Annotated[str | None, typer.Option(
    "--dask-address", callback=_dask_address,
    help="Run the per-shard stages (reading sources, topics and claims of each store "
    "month) on the existing Dask cluster whose scheduler is at this address, e.g. "
    "tcp://10.0.0.5:8786. Default: run everything here.")]


def _config_paths(sources: Path | None, taxonomy: Path | None) -> tuple[Path, Path]:
    """The sources and taxonomy to use (the defaults for None), checked: config errors
    stop a command before any work, with the file, line and key."""
    sources = sources or defaults.default_sources()
    taxonomy = taxonomy or defaults.default_taxonomy()
    try:
        load_taxonomy(taxonomy)
        load_sources(sources)
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc
    return sources, taxonomy


@app.command()
def run(
    sources: SourcesOpt = None,
    taxonomy: TaxonomyOpt = None,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    reports_dir: ReportsDirOpt = Path(defaults.REPORTS_DIR),
    run_date: str | None = typer.Option(
        None, "--run-date", callback=_run_date,
        help="The run's date, YYYY-MM-DD (default: today, UTC). Articles dated later are "
        "quarantined; reruns of one date replace that date's report.",
    ),
    themes: ThemesOpt = defaults.THEMES,
    random_state: RandomStateOpt = defaults.RANDOM_STATE,
    dask_address: DaskAddressOpt = None,
    themes_refit_days: RefitDaysOpt = defaults.THEMES_REFIT_DAYS,
    reports_url: ReportsUrlOpt = None,
) -> None:
    """Ingest the sources, count topics, claims, trends and themes, and write the report.

    Exits 1 when every source failed (the report is written and says why)."""
    sources, taxonomy = _config_paths(sources, taxonomy)

    from prefect.exceptions import FailedRun

    from flows.topic_report import source_failures, topic_report

    try:
        summary = topic_report(
            sources=str(sources), taxonomy=str(taxonomy), data_dir=data_dir,
            reports_dir=str(reports_dir), run_date=run_date, themes=themes,
            random_state=random_state, dask_address=dask_address,
            themes_refit_days=themes_refit_days, reports_url=reports_url,
        )
    except FailedRun as exc:  # the flow's own verdict (all sources failed), not a crash
        raise _fail(str(exc), code=1) from exc
    failures = source_failures(summary)
    print(
        f"topicwatch {summary.run_date.isoformat()}: read {summary.rows_read}, "
        f"new {summary.new_articles}, stored {summary.stored_articles}, "
        f"duplicates {summary.duplicates}, quarantined {summary.quarantined}, "
        f"topics found {summary.topics_found}; report {summary.parameters['report']}"
        + (f"; {failures}" if failures else "")
    )


@app.command()
def serve(
    cron: str | None = typer.Option(
        None, "--cron", help='When to run, a cron expression in UTC, e.g. "0 6 * * *".'
    ),
    interval: float | None = typer.Option(
        None, "--interval", min=1, help="Or run every INTERVAL seconds."
    ),
    sources: SourcesOpt = None,
    taxonomy: TaxonomyOpt = None,
    data_dir: DataDirOpt = defaults.DATA_DIR,
    reports_dir: ReportsDirOpt = Path(defaults.REPORTS_DIR),
    themes: ThemesOpt = defaults.THEMES,
    random_state: RandomStateOpt = defaults.RANDOM_STATE,
    dask_address: DaskAddressOpt = None,
    themes_refit_days: RefitDaysOpt = defaults.THEMES_REFIT_DAYS,
    reports_url: ReportsUrlOpt = None,
    name: str | None = typer.Option(
        None, "--name", show_default="from the schedule: daily-0600-utc, every-3600s",
        help="The deployment's name."),
) -> None:
    """Serve the flow as the scheduled deployment topic-report/NAME until stopped (Ctrl-C).

    Each scheduled run reports on its scheduled day (UTC); runs never overlap. Needs a
    running Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api).
    """
    if (cron is None) == (interval is None):
        raise _fail("give exactly one of --cron and --interval")
    sources, taxonomy = _config_paths(sources, taxonomy)

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
    if reports_url:
        parameters["reports_url"] = reports_url
    try:
        dep = deployment(parameters, cron=cron, interval=interval, name=name)
    except ValueError as exc:  # an invalid cron expression
        raise _fail(str(exc).splitlines()[0]) from exc
    # Without a server URL Prefect would serve against a throwaway server of this process.
    if not get_current_settings().api.url:
        raise _fail("serve needs a running Prefect server: start one with "
                    "'prefect server start' and set PREFECT_API_URL=http://127.0.0.1:4200/api")
    serve_deployment(dep)


@app.command()
def init(
    directory: Path = typer.Argument(..., help="The project folder (created if missing)."),
    force: bool = typer.Option(False, "--force", help="Replace files that exist already."),
) -> None:
    """Start a project in DIRECTORY: sources.toml, taxonomy.toml, prefect.yaml and
    articles/ with the seed article; then `cd DIRECTORY && topicwatch run`."""
    from flows.project import init_project

    try:
        written = init_project(directory, force=force)
    except FileExistsError as exc:
        raise _fail(f"{directory}: {exc} exist already; --force replaces them") from exc
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {directory} && topicwatch run   (edit sources.toml and taxonomy.toml)")


taxonomy_app = typer.Typer(help="Check the taxonomy file.", no_args_is_help=True,
                           context_settings=HELP)
sources_app = typer.Typer(help="Check the sources file.", no_args_is_help=True,
                          context_settings=HELP)
reports_app = typer.Typer(help="Serve the reports.", no_args_is_help=True,
                          context_settings=HELP)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(sources_app, name="sources")
app.add_typer(reports_app, name="reports")
app.add_typer(alerts_app, name="alerts")
app.command("export")(export_command)


@reports_app.command("serve")
def reports_serve(
    reports_dir: Path = typer.Option(Path(defaults.REPORTS_DIR), "--reports-dir",
                                     help="The reports folder (REPORTS_DIR/<run-date>/...)."),
    host: str = typer.Option(defaults.REPORTS_HOST, "--host",
                             help="The address to listen on (loopback: this machine only)."),
    port: int = typer.Option(defaults.REPORTS_PORT, "--port", min=0, max=65535,
                             help="The port (0: any free one)."),
) -> None:
    """Serve REPORTS_DIR read-only over HTTP until stopped (Ctrl-C), so that the links of
    the Prefect artifacts open in a browser: run with --reports-url set to the URL shown."""
    from flows.report_server import ReportServer

    try:
        server = ReportServer(reports_dir, host, port)
    except OSError as exc:  # no such folder, the port taken, an address not of this host
        raise _fail(f"cannot serve {reports_dir} on {host}:{port}: {exc.strerror or exc}"
                    ) from exc
    print(f"serving {reports_dir.resolve()} at {server.url}/  (runs link to it with "
          f"--reports-url {server.url}; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


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
    path: Path | None = typer.Argument(None, show_default=DEFAULT_TAXONOMY_SHOWN,
                                       help="The taxonomy file."),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Also list phrases that match nothing in this folder, table "
        "or sources file.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when there are warnings."),
) -> None:
    """Lint a taxonomy: invalid entries (errors), overlapping phrases, unmatched phrases."""
    from analytics.topics.taxonomy_lint import lint_taxonomy

    path = path or defaults.default_taxonomy()
    try:
        articles = _load_corpus(corpus, date.today()) if corpus else None
        text = Path(path).read_text(encoding="utf-8")
        findings = lint_taxonomy(text, path, articles)
    except OSError as exc:
        raise _fail(f"{path}: cannot read taxonomy: {exc.strerror}") from exc
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc
    for finding in findings:
        print(finding)
    warnings = sum(f.level == "warning" for f in findings)
    print(f"{path}: {len(load_taxonomy(path).topics)} topics, {warnings} warnings, "
          f"{len(findings) - warnings} notes")
    if strict and warnings:
        raise typer.Exit(1)


@taxonomy_app.command("suggest")
def taxonomy_suggest(
    topic: str = typer.Argument(..., help="The topic's id."),
    corpus: Path = typer.Option(..., "--corpus", help="A folder, table or sources file to "
                                "mine (e.g. seeds/sources/rss-world-news.toml)."),
    taxonomy: TaxonomyOpt = None,
    top: int = typer.Option(20, "--top", min=1, help="How many terms to list."),
    min_support: int = typer.Option(5, "--min-support", min=1,
                                    help="A term must stand in this many tagged articles."),
    output: Literal["table", "csv", "json"] = typer.Option(
        "table", "--format", help="table (for reading), csv or json (every column)."),
) -> None:
    """Candidate cues for TOPIC: terms of its articles that its cues do not cover, by lift,
    with sentences from the untagged articles that they would add."""
    import json
    import os

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from analytics.contracts.taxonomy import Taxonomy
    from analytics.topics.suggest import suggest_cues
    from analytics.topics.tagging import tag_topics

    taxonomy = taxonomy or defaults.default_taxonomy()
    try:
        tax = load_taxonomy(taxonomy)
        articles = _load_corpus(corpus, date.today())
    except (TaxonomyError, SourcesError) as exc:
        raise _fail(str(exc)) from exc
    if topic not in tax.ids:
        raise _fail(f"{taxonomy}: no topic {topic!r} (topics: {', '.join(tax.ids)})")
    if articles.is_empty():
        raise _fail(f"{corpus}: no article read (a table needs the columns text, title, date "
                    "and url, or a sources .toml file that maps its columns)")
    mentions = tag_topics(articles, Taxonomy((tax.topic(topic),)))
    found = suggest_cues(articles, mentions, tax.topic(topic), top=top, min_support=min_support)
    tagged = mentions.get_column("article_id").n_unique()
    total = articles.get_column("article_id").n_unique()
    if output == "csv":
        print(found.write_csv(), end="")
        return
    if output == "json":
        print(json.dumps({"topic": topic, "articles": total, "tagged": tagged,
                          "min_support": min_support, "terms": found.to_dicts()},
                         ensure_ascii=False, indent=2))
        return
    # Not a terminal (a file, a pipe): wide enough for the examples, unless COLUMNS says.
    wide = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    # Text as it is: no markup, emoji codes or highlighting from article text.
    console = Console(width=wide, markup=False, emoji=False, highlight=False)
    label = tax.topic(topic).label
    console.print(f"{topic} ({label}): {tagged:,} of {total:,} articles tagged; "
                  f"terms in at least {min_support} of them that its cues do not match, by "
                  "lift = P(term | tagged) / P(term | all).")
    console.print("tagged, all: articles with the term; adds: its untagged articles (share of "
                  "all), what it would add as a cue; near: how many of those are among the "
                  f"{tagged:,} untagged articles closest to the tagged ones (TF-IDF); examples "
                  "from them, closest first.")
    if found.is_empty():
        console.print("no article is tagged with it: nothing to learn from" if not tagged else
                      f"no candidate term (one needs {min_support} tagged articles and one "
                      "untagged; try a lower --min-support)")
        return
    table = Table(show_lines=True)
    for name in ("term", "lift", "tagged", "all", "adds", "near"):
        table.add_column(name, justify="left" if name == "term" else "right", no_wrap=True)
    table.add_column("examples (untagged articles)", ratio=1)
    for r in found.iter_rows(named=True):
        examples = "\n".join(f"· {e}" for e in (r["example_1"], r["example_2"]) if e)
        cells = [r["term"], f"{r['lift']:.1f}", str(r["topic_articles"]), str(r["articles"]),
                 f"{r['untagged']} ({r['untagged_share']:.0%})", str(r["near"]), examples]
        table.add_row(*(Text(c) for c in cells))
    console.print(table)


@sources_app.command("check")
def sources_check(
    path: Path | None = typer.Argument(None, show_default=DEFAULT_SOURCES_SHOWN,
                                       help="A sources .toml file, folder or table."),
) -> None:
    """Validate a sources file and say, per source, what it points at; a table's header
    (or schema) is read to check that it has every mapped column."""
    from analytics.contracts.sources_config import KIND_RULES
    from analytics.sources.local import check_table

    path = path or defaults.default_sources()
    try:
        config = load_sources(path)
    except SourcesError as exc:
        raise _fail(str(exc)) from exc
    problems = 0
    for src in config.sources:
        where = src.path if src.path is not None else ", ".join(src.urls)
        exists = src.path is None or src.path.exists()
        wrong = check_table(src) if exists and KIND_RULES[src.kind].tabular else None
        problems += not exists or wrong is not None
        state = "MISSING" if not exists else "BAD" if wrong else "ok"
        print(f"{src.id:24} {src.kind:7} {state:8} {where}")
        if wrong:
            print(f"    {where}: {wrong}")
    print(f"{path}: {len(config.sources)} sources, {problems} problems")
    if problems:
        raise typer.Exit(1)


@app.command()
def explain(
    article_id: str = typer.Argument(..., help="An article id (or its first characters)."),
    data_dir: str = typer.Option(defaults.DATA_DIR, "--data-dir",
                                 help="The article store (folder or URL)."),
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Print why an article counts for each topic: every match, the cue (phrase, pattern
    or rule) that fired, and its sentence."""
    taxonomy = taxonomy or defaults.default_taxonomy()
    import polars as pl

    from analytics.store.articles import ArticleStore
    from analytics.topics.claims import extract_claims
    from analytics.topics.tagging import cue_of
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
    tax = load_taxonomy(taxonomy)
    matches = explain_matches(art, tax)
    current = None
    for topic_id, phrase, sentence in matches:
        if topic_id != current:
            count = sum(m[0] == topic_id for m in matches)
            print(f"\n{topic_id} ({count} mentions)")
            current = topic_id
        print(f"  [{phrase}] by {cue_of(tax.topic(topic_id), phrase)}: {sentence}")
    if not matches:
        print("\nno topic of the taxonomy is mentioned")
    for claim in extract_claims(found).iter_rows(named=True):
        year = f" for {claim['target_year']}" if claim["target_year"] else ""
        actor = claim["actor"] or "actor not stated"
        print(f"\nspending claim ({claim['kind']}, {actor}): {claim['value']:g}% of GDP{year}: "
              f"{claim['snippet']}")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
