"""The topic-report flow: sources -> store -> topics, claims, trends, themes -> report.

Each task wraps one analytics call; the flow body reads like the data-flow diagram in
the design notes. Tasks take frames, so they never cache on inputs (``NO_CACHE``):
hashing a DataFrame is slow and breaks cache keys.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from prefect import Flow, flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary, run_summary
from analytics.contracts.sources_config import Settings, Source, SourcesConfig, load_sources
from analytics.contracts.taxonomy import Taxonomy, load_taxonomy
from analytics.report.formatting import plural
from analytics.sources.batch import SourceBatch
from analytics.store.articles import ArticleStore
from analytics.store.derived import DerivedStore
from flows import defaults
from flows.defaults import Themes

# Each stage imports its modules when it runs (sources and ingest, trends, themes with
# scikit-learn, the report writer with matplotlib): importing the flow costs little, so
# a CLI command or a served run's process starts quickly. Flow signatures keep real
# imports, since Prefect resolves their annotations to validate parameters.
if TYPE_CHECKING:
    from analytics.ingest.pipeline import IngestResult
    from analytics.report.writer import ReportFiles
    from analytics.themes.history import StableThemes

# A URL source that failed transiently is read again by the task, after the fetcher's own
# quick retries (seconds apart) are spent: these delays outlast a restart or a short outage.
SOURCE_RETRIES = 2
SOURCE_RETRY_DELAYS = [30, 120]


class TransientSourceError(RuntimeError):
    """A source failed for a reason worth retrying later (timeout, connection, 429, 5xx)."""


def _scheduled_day() -> date:
    """The UTC day this run was scheduled for: a late or queued scheduled run keeps its
    day; an ad-hoc run's scheduled time is when it was created."""
    start = flow_run.scheduled_start_time
    return start.astimezone(UTC).date() if start else datetime.now(UTC).date()


def _run_name() -> str:
    """``topic-report-<run date>[-<HHMM>]-<id>``: the day the run reports on (its
    ``run_date``, else its scheduled day, so a late run keeps its day), the scheduled time
    (UTC) for runs of a deployment (an interval gives several a day) and the end of the
    run's id (random in Prefect's ids, whose start is a timestamp), so no two runs share
    a name."""
    run_date = flow_run.parameters.get("run_date") or _scheduled_day().isoformat()
    ctx = FlowRunContext.get()
    deployed = ctx is not None and ctx.flow_run is not None and ctx.flow_run.deployment_id
    start = flow_run.scheduled_start_time
    at = f"-{start.astimezone(UTC):%H%M}" if deployed and start else ""
    return f"topic-report-{run_date}{at}-{str(flow_run.id).replace('-', '')[-6:]}"


def _corpus_name(sources: str) -> str:
    """The report's name for the inputs: the sources file's or folder's name, not its path
    (the full path is among the run parameters)."""
    path = Path(sources)
    return (path.stem if path.suffix.lower() == ".toml" else path.name) or sources


def _shortened(message: str, limit: int = 400) -> str:
    # Long enough for a file's column list: the cause is usually at the end.
    return message if len(message) <= limit else message[: limit - 1] + "…"


def source_failures(summary: RunSummary) -> str:
    """"" when every source was read, else which failed and why, on one line."""
    failed = [o for o in summary.sources if o.status == "failed"]
    if not failed:
        return ""
    why = "; ".join(f"{o.source}: {_shortened(o.message)}" if o.message else o.source
                    for o in failed)
    if len(failed) == len(summary.sources):
        return f"every source failed ({why})"
    return f"{len(failed)} of {len(summary.sources)} sources failed ({why})"


def _dask_worker() -> str | None:
    """The name of the Dask worker running the current task, None when not on one."""
    if "distributed" not in sys.modules:  # a worker has it loaded; importing it costs 0.5 s
        return None
    from distributed import get_worker

    try:
        return str(get_worker().name)
    except ValueError:  # not inside a Dask worker
        return None


def _on_cluster(shard_flow: Flow, dask_address: str | None) -> Flow:
    """``shard_flow`` as a subflow whose tasks run on the Dask cluster at ``dask_address``,
    or, without an address, its body run inline so its tasks run where the flow runs."""
    if not dask_address:
        return shard_flow.fn
    from prefect_dask import DaskTaskRunner

    return shard_flow.with_options(task_runner=DaskTaskRunner(address=dask_address))


@task(cache_policy=NO_CACHE, task_run_name="load-taxonomy")
def load_taxonomy_task(path: str) -> Taxonomy:
    return load_taxonomy(path)


@task(cache_policy=NO_CACHE, task_run_name="load-sources")
def load_sources_task(path: str) -> SourcesConfig:
    return load_sources(path)


@task(cache_policy=NO_CACHE, task_run_name="read-source-{source.id}",
      retries=SOURCE_RETRIES, retry_delay_seconds=SOURCE_RETRY_DELAYS)
def read_source_task(source: Source, settings: Settings, validators: dict,
                     run_date: date) -> SourceBatch:
    """One source's batch, read and normalised and deduplicated within the source
    (``read_prepared``). A transient failure raises ``TransientSourceError`` while task
    retries remain (only this source is read again); after the last one the failed batch
    is returned, so the report still comes out and names the failing source."""
    from analytics.ingest.pipeline import read_prepared

    batch = read_prepared(source, settings, run_date=run_date, validators=validators)
    log = get_run_logger()
    level = log.warning if batch.status != "ok" else log.info
    worker = _dask_worker()
    level(
        "source %s (%s): %s, %d rows read, %d parsed, %d quarantined%s%s",
        batch.source, batch.kind, batch.status, batch.rows_read, batch.rows_parsed,
        batch.quarantine.height, f" - {batch.message}" if batch.message else "",
        f" (on Dask worker {worker})" if worker else "",
    )
    ctx = TaskRunContext.get()
    if batch.transient and ctx and ctx.task_run.run_count <= (ctx.task.retries or 0):
        raise TransientSourceError(f"source {batch.source}: {batch.message}")
    return batch


@task(cache_policy=NO_CACHE, task_run_name="ingest")
def ingest_task(
    batches: list[SourceBatch], data_dir: str, run_date: date, settings: Settings
) -> IngestResult:
    from analytics.ingest.pipeline import ingest

    result = ingest(batches, ArticleStore(data_dir), run_date=run_date, settings=settings)
    get_run_logger().info(
        "ingest: %d rows read, %d new (%d near duplicates), %d duplicates, %d quarantined",
        result.rows_read, result.new, result.near_duplicates, result.duplicates,
        result.quarantined,
    )
    return result


# What the whole-corpus stages and the report need of every article: not the texts,
# which only the themes read (themes_task reads them itself, so they are not held twice).
ARTICLE_FIELDS = [c for c in schema.ARTICLES if c not in ("text", "metadata")]


@task(cache_policy=NO_CACHE, task_run_name="read-store")
def read_store_task(data_dir: str) -> pl.DataFrame:
    articles = ArticleStore(data_dir).read(ARTICLE_FIELDS)
    get_run_logger().info("store: %d articles", articles.height)
    return articles


@task(cache_policy=NO_CACHE, task_run_name="stale-partitions")
def stale_partitions_task(data_dir: str, taxonomy: Taxonomy) -> list[str]:
    """Store partitions (months) whose topics and claims must be computed (again)."""
    stale = DerivedStore(ArticleStore(data_dir), taxonomy).stale_months()
    get_run_logger().info("partitions to tag: %d (%s)", len(stale),
                          ", ".join(stale[:6]) + (" ..." if len(stale) > 6 else ""))
    return stale


@task(cache_policy=NO_CACHE, task_run_name="tag-partition-{month}")
def tag_partition_task(month: str, data_dir: str, taxonomy: Taxonomy) -> tuple[int, int, int]:
    """Topic mentions and claims of one store partition, read and kept where it is stored."""
    n, mentions, claims = DerivedStore(ArticleStore(data_dir), taxonomy).update_month(month)
    worker = _dask_worker()
    get_run_logger().info(
        "shard %s: %s, %s, %s%s", month, plural(n, "article"),
        plural(mentions, "article-topic pair"), plural(claims, "claim"),
        f" (on Dask worker {worker})" if worker else "",
    )
    return n, mentions, claims


@task(cache_policy=NO_CACHE, task_run_name="read-derived")
def read_derived_task(data_dir: str, taxonomy: Taxonomy,
                      articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    mentions, claims = DerivedStore(ArticleStore(data_dir), taxonomy).read(articles)
    get_run_logger().info(
        "topics: %s, %s found; claims: %s", plural(mentions.height, "article-topic pair"),
        plural(mentions["topic_id"].n_unique(), "topic"),
        plural(claims.height, "spending-target claim"),
    )
    return mentions, claims


@flow(name="topic-report-read-sources", flow_run_name="read-sources-{run_date}")
def read_sources_flow(config: SourcesConfig, validators: dict,
                      run_date: date) -> list[SourceBatch]:
    """Read and prepare every source, one task per source (the shards)."""
    return read_source_task.map(
        config.sources, settings=unmapped(config.settings), validators=unmapped(validators),
        run_date=unmapped(run_date),
    ).result()


@flow(name="topic-report-tag-partitions", flow_run_name="tag-partitions")
def tag_partitions_flow(months: list[str], data_dir: str, taxonomy: Taxonomy) -> list:
    """Topic mentions and claims of the given store partitions, one task per month; each
    task reads its partition from ``data_dir`` and writes its results beside it."""
    return tag_partition_task.map(months, data_dir=unmapped(data_dir),
                                  taxonomy=unmapped(taxonomy)).result()


@task(cache_policy=NO_CACHE, task_run_name="trends")
def trends_task(articles: pl.DataFrame, mentions: pl.DataFrame,
                topic_ids: list[str]) -> dict[str, pl.DataFrame]:
    from analytics.trends.tables import trend_tables

    tables = trend_tables(articles, mentions, topic_ids)
    get_run_logger().info("trends: %d emerging topics, %d burst days",
                          tables["emerging_topics"]["emerging"].sum(),
                          tables["bursts"].filter(pl.col("level") == "burst").height)
    return tables


@task(cache_policy=NO_CACHE, task_run_name="themes")
def themes_task(n_themes: Themes, random_state: int, data_dir: str, run_date: date,
                refit_days: int) -> StableThemes:
    from analytics.themes.fits import themes_for_run

    run = themes_for_run(ArticleStore(data_dir), run_date, n_themes=n_themes,
                         random_state=random_state, refit_days=refit_days)
    result = run.stable.result
    if run.placed is not None:
        get_run_logger().info("themes: %d themes of the fit of %s, %d articles placed into them",
                              result.themes.height, run.fitted_on, run.placed)
    else:
        get_run_logger().info(
            "themes: %d themes (%d new, %d vanished)%s", result.themes.height,
            len(run.stable.new), len(run.stable.vanished),
            f" - {result.status}" if result.status else "",
        )
    return run.stable


@task(cache_policy=NO_CACHE, task_run_name="theme-trends")
def theme_trends_task(article_themes: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    from analytics.themes.clustering import theme_trends

    return theme_trends(article_themes, articles, period="week")


@task(cache_policy=NO_CACHE, task_run_name="report")
def report_task(
    out_dir: str, tables: dict[str, pl.DataFrame], labels: dict[str, str], summary: RunSummary
) -> ReportFiles:
    from analytics.report.writer import write_report

    files = write_report(Path(out_dir), tables=tables, topic_labels=labels, summary=summary)
    get_run_logger().info("report: %s", files.pdf)
    return files


@task(cache_policy=NO_CACHE, task_run_name="publish-artifacts")
def publish_task(summary: RunSummary, files: ReportFiles, reports_url: str | None) -> None:
    from flows.artifacts import publish_artifacts

    publish_artifacts(summary, files, reports_url=reports_url)


@flow(name="topic-report", flow_run_name=_run_name, log_prints=True)
def topic_report(
    sources: str | None = None,
    taxonomy: str | None = None,
    data_dir: str = defaults.DATA_DIR,
    reports_dir: str = defaults.REPORTS_DIR,
    run_date: str | None = None,
    themes: Themes = defaults.THEMES,
    random_state: int = defaults.RANDOM_STATE,
    dask_address: str | None = None,
    themes_refit_days: int = defaults.THEMES_REFIT_DAYS,
    reports_url: str | None = None,
) -> State:
    """Ingest ``sources`` into the store under ``data_dir`` and write the report of
    ``run_date`` (YYYY-MM-DD, default the scheduled day, UTC) to ``reports_dir/<run_date>/``.

    ``sources`` and ``taxonomy`` default to ``sources.toml`` and ``taxonomy.toml`` of the
    working directory when it has them, else to the seed corpus and taxonomy that ship
    with the package (``flows.defaults``); relative paths are read from the working
    directory. ``themes`` is a number of themes (1 or more) or "auto".

    Themes are refitted over every stored article when the last fit (same ``themes`` and
    ``random_state``) is ``themes_refit_days`` old or more; runs in between place only the
    new articles into that fit's themes (0: refit every run).

    With ``dask_address`` (e.g. ``tcp://10.0.0.5:8786``; default: the sources file's
    ``[settings] dask_address``) the per-shard stages (reading, normalising and
    deduplicating each source; topics and claims of each changed store partition) run on
    that Dask cluster; ingest into the store, trends, themes and the report stay where the
    flow runs.

    ``reports_url`` (default: ``TOPICWATCH_REPORTS_URL``) is where ``reports_dir`` is
    served (``topicwatch reports serve``): the artifacts link to the PDF and charts there.

    Returns the run's ``RunSummary`` (a Completed state naming failed sources, if any);
    when every source failed the run is Failed, after writing the report that says why."""
    day = date.fromisoformat(run_date) if run_date else _scheduled_day()
    sources = sources or str(defaults.default_sources())
    taxonomy = taxonomy or str(defaults.default_taxonomy())
    params = {"sources": sources, "taxonomy": taxonomy, "data_dir": data_dir,
              "reports_dir": reports_dir, "run_date": day.isoformat(), "themes": str(themes),
              "random_state": str(random_state), "themes_refit_days": str(themes_refit_days)}
    tax = load_taxonomy_task(taxonomy)
    config = load_sources_task(sources)
    dask_address = dask_address or config.settings.dask_address
    if dask_address:
        params["dask_address"] = dask_address
    validators = ArticleStore(data_dir).read_http_state()
    batches = _on_cluster(read_sources_flow, dask_address)(config, validators, day)
    ingested = ingest_task(batches, data_dir, day, config.settings)
    del batches  # the sources' rows are stored now; a million of them need not stay in memory
    stale = stale_partitions_task(data_dir, tax)
    if stale:
        _on_cluster(tag_partitions_flow, dask_address)(stale, data_dir, tax)
    # Themes first: a refit reads every stored text, so it runs before the flow holds the
    # store's articles (the first ingestion of a million articles peaks here).
    stable = themes_task(themes, random_state, data_dir, day, themes_refit_days)
    fitted = stable.result
    articles = read_store_task(data_dir)
    mentions, claims = read_derived_task(data_dir, tax, articles)
    trends = trends_task(articles, mentions, tax.ids)

    summary = run_summary(day, _corpus_name(sources), params, ingested, articles, mentions,
                          theme_status=fitted.status)
    tables = {
        "articles": articles, "topic_mentions": mentions, "claims": claims,
        **trends, "themes": fitted.themes, "article_themes": fitted.article_themes,
        "theme_terms": fitted.term_weights, "theme_coords": fitted.coords,
        "theme_trends": theme_trends_task(fitted.article_themes, articles),
        "quarantine": ingested.quarantine,
    }
    from flows.alerts import plan_alerts_task, send_alerts_task  # docs/alerts.md

    alerts, summary = plan_alerts_task(data_dir, summary, tables, tax)
    files = report_task(str(Path(reports_dir) / day.isoformat()), tables, tax.labels(), summary)
    publish_task(summary, files, reports_url or defaults.reports_url())
    send_alerts_task(alerts, data_dir)
    result = replace(summary, parameters={**params, "report": str(files.pdf)})
    failures = source_failures(summary)
    if failures:
        get_run_logger().warning("%s", failures)
    if failures.startswith("every "):
        return Failed(message=f"{failures}; report {files.pdf}")
    return Completed(message=failures or None, data=result)
