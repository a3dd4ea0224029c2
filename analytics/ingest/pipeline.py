"""Turn source batches into stored articles: date policy, normalisation, dedup, store.

Accounting: every input row ends up in exactly one of ``new`` (stored now; near
duplicates are stored, marked with ``duplicate_of``), ``duplicates`` (same URL or text
as a stored or earlier row, not stored again) or ``quarantined``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import polars as pl

from analytics.contracts import schema
from analytics.contracts.run_summary import SourceOutcome
from analytics.contracts.sources_config import Settings, Source
from analytics.ingest.dates import apply_date_policy
from analytics.ingest.near_duplicates import mark_near_duplicates
from analytics.ingest.normalize import split_exact_duplicates, to_articles
from analytics.sources.batch import SourceBatch
from analytics.sources.http_fetch import Fetcher
from analytics.sources.registry import read_source
from analytics.sources.web import Validators
from analytics.store.articles import ArticleStore


@dataclass(frozen=True)
class IngestResult:
    rows_read: int
    new: int  # new to the store as it was before the run date, near duplicates included
    added: int  # rows this execution wrote (0 when the same run date is run again)
    duplicates: int  # exact duplicates, not stored again
    near_duplicates: int  # stored now with duplicate_of set
    quarantine: pl.DataFrame
    sources: tuple[SourceOutcome, ...]

    @property
    def quarantined(self) -> int:
        return self.quarantine.height

    def reasons(self) -> dict[str, int]:
        """Quarantine counts by reason, the row-specific detail after a colon dropped."""
        counts = Counter(r.split(":")[0].strip() for r in self.quarantine["reason"].to_list())
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def prepare(batch_frames: list[pl.DataFrame], *, run_date: date, settings: Settings):
    """Parsed rows of all sources -> (articles, quarantined rows); pure."""
    parsed = pl.concat(batch_frames) if batch_frames else pl.DataFrame(
        schema={**schema.PARSED, "date_raw": pl.String}
    )
    kept, bad = apply_date_policy(
        parsed, run_date=run_date, min_date=settings.min_date,
        on_missing_date=settings.on_missing_date,
    )
    return to_articles(kept, run_date=run_date), bad


def prepare_batch(batch: SourceBatch, *, run_date: date, settings: Settings) -> SourceBatch:
    """The part of ingestion one source needs alone (run where it was read, e.g. on a Dask
    worker): date policy, normalisation and ids, and its exact duplicates.

    Returns the batch with ``articles`` set and ``parsed`` emptied; rows with a bad date
    join its quarantine. Duplicates within the source stay in ``articles`` without text:
    ``ingest`` still needs their keys to decide, over all sources, exactly as if every
    row were there, which rows are first.
    """
    if batch.articles is not None:
        return batch
    articles, bad = prepare([batch.parsed], run_date=run_date, settings=settings)
    firsts, dups = split_exact_duplicates(articles)
    light = dups.with_columns(text=pl.lit(None, pl.String), title=pl.lit(None, pl.String),
                              metadata=pl.lit(None, pl.String))
    return replace(batch, parsed=batch.parsed.clear(), articles=pl.concat([firsts, light]),
                   quarantine=pl.concat([batch.quarantine, bad]),
                   rows_parsed=batch.parsed.height)


def read_prepared(source: Source, settings: Settings, *, run_date: date,
                  validators: Validators | None = None,
                  fetcher: Fetcher | None = None) -> SourceBatch:
    """One source's shard: read (``read_source``: a source that cannot be read becomes a
    failed batch) and prepared (``prepare_batch``), where it is read."""
    read = read_source(source, settings, fetcher=fetcher, validators=validators)
    return prepare_batch(read, run_date=run_date, settings=settings)


def _articles_of(batch: SourceBatch) -> pl.DataFrame:
    """``batch.articles``, which ``prepare_batch`` has set."""
    if batch.articles is None:
        raise ValueError(f"source {batch.source!r}: batch not prepared (prepare_batch)")
    return batch.articles


def _near_duplicate_candidates(store: ArticleStore, new: pl.DataFrame, run_date: date,
                               settings: Settings) -> pl.DataFrame:
    """Stored canonical articles (ingested before ``run_date``) published within the
    near-duplicate window of a new article; only the partitions of those months are read."""
    cols = ["article_id", "published_at", "text"]
    if new.is_empty():
        return schema.empty("articles").select(cols)
    window = timedelta(days=settings.near_duplicate_window_days)
    first, last = new["published_at"].min(), new["published_at"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)  # the date policy set them
    lo, hi = first - window, last + window
    rows = store.read([*cols, "duplicate_of", "ingested_on"],
                      first_month=f"{lo:%Y-%m}", last_month=f"{hi:%Y-%m}")
    return rows.filter(
        (pl.col("ingested_on") < run_date) & pl.col("duplicate_of").is_null()
        & pl.col("published_at").is_between(lo, hi)
    ).select(cols)


def ingest(
    batches: list[SourceBatch], store: ArticleStore, *, run_date: date, settings: Settings
) -> IngestResult:
    """Store the new articles of ``batches`` and write this run's quarantine file.

    Rows are compared with the store as it was before ``run_date`` (articles ingested on
    earlier run dates), so a rerun of the same run date reports the same counts and the
    same report, while storing nothing twice. Holds the store's lock while it reads and
    writes, so two runs at once never both add the same article.
    """
    batches = [prepare_batch(b, run_date=run_date, settings=settings) for b in batches]
    articles = pl.concat([_articles_of(b) for b in batches]) if batches else \
        schema.empty("articles")
    quarantine = pl.concat([b.quarantine for b in batches]) if batches else \
        schema.empty("quarantine")
    with store.lock():
        damaged = store.set_aside_damaged()
        earlier = store.read(["article_id", "content_hash", "ingested_on"]).filter(
            pl.col("ingested_on") < run_date)
        firsts, dups = split_exact_duplicates(articles, earlier)
        firsts = mark_near_duplicates(
            firsts, _near_duplicate_candidates(store, firsts, run_date, settings),
            threshold=settings.near_duplicate_threshold,
            window_days=settings.near_duplicate_window_days,
        )
        added = store.add(firsts)
        store.write_quarantine(run_date, quarantine)
        store.write_http_state({u: v for b in batches for u, v in b.http_validators.items()})
        damaged += store.damaged  # partitions whose pages failed in the read above
    outcomes = tuple(
        SourceOutcome(b.source, b.kind, b.status, b.rows_read, b.message) for b in batches
    ) + tuple(SourceOutcome("store", "store", "degraded", 0, m) for m in damaged)
    return IngestResult(
        rows_read=sum(b.rows_read for b in batches),
        new=firsts.height,
        added=added,
        duplicates=dups.height,
        near_duplicates=int(firsts["duplicate_of"].is_not_null().sum()),
        quarantine=quarantine,
        sources=outcomes,
    )
