"""Read feed and page sources, from files or URLs, into ``SourceBatch``es.

HTTP goes through a ``Fetcher`` (``analytics.sources.http_fetch``): timeouts, size cap, retries
for transient failures only, the private-address guard, and conditional requests with
the validators (ETag, Last-Modified) remembered from the previous run, so an unchanged
feed costs one 304 and yields no rows. Each source has a time budget per read
(``settings.source_budget_seconds``): no request, retry or Retry-After wait runs past it, so one
slow or hostile host costs its own source that long at most while the others are read.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analytics.contracts.sources_config import Settings, Source
from analytics.sources.batch import PARSED_RAW, SourceBatch, quarantine_frame
from analytics.sources.files import folder_files, read_capped, unreadable_entries
from analytics.sources.http_fetch import FetchConfig, Fetcher, HttpFetcher
from analytics.sources.parse.feeds import MAX_FEED_BYTES, parse_feed
from analytics.sources.parse.html_pages import MAX_PAGE_BYTES, extract_page

Validators = dict[str, tuple[str | None, str | None]]  # url -> (etag, last_modified)
MAX_DOCUMENT_BYTES = max(MAX_FEED_BYTES, MAX_PAGE_BYTES)


def fetch_config(settings: Settings) -> FetchConfig:
    return FetchConfig(
        read_timeout=settings.timeout_seconds, total_timeout=settings.total_timeout_seconds,
        max_attempts=max(1, settings.retries + 1),
        max_bytes=settings.max_download_bytes, allow_private=settings.allow_private_addresses,
        allowed_networks=settings.allowed_networks,
    )


def _with_raw_date(df: pl.DataFrame) -> pl.DataFrame:
    """PARSED rows + ``date_raw``; a headline-only entry keeps its title as its text."""
    return df.with_columns(
        text=pl.when(pl.col("text").fill_null("").str.strip_chars() == "")
        .then(pl.col("title"))
        .otherwise(pl.col("text")),
        date_raw=pl.col("published_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ"),
    ).select(list(PARSED_RAW))


def _inputs(source: Source) -> Iterator[tuple[str, Path | None]]:
    """(location, local path or None for a URL) of every input of a feed or page source."""
    for url in source.urls:
        yield url, None
    if source.path is not None:
        if source.path.is_dir():
            for f in folder_files(source):
                yield str(f), f
        else:
            yield str(source.path), source.path


class _Collector:
    """Accumulates parsed rows, quarantine rows, status and messages of one source."""

    def __init__(self, source: Source, budget: float):
        self.source = source
        self.deadline = time.monotonic() + budget  # of the source's HTTP time budget
        self.frames: list[pl.DataFrame] = []
        self.bad: list[pl.DataFrame] = []
        self.messages: list[str] = []
        self.read = 0
        self.failures = 0
        self.transient_failures = 0
        self.degraded = False
        self.validators: Validators = {}
        if source.path is not None and source.path.is_dir():
            for path, why in unreadable_entries(source):  # never opened: a FIFO blocks
                self.fail(str(path), why)

    def fail(self, location: str, reason: str, *, transient: bool = False) -> None:
        self.failures += 1
        self.transient_failures += transient
        self.read += 1
        self.bad.append(quarantine_frame([(self.source.id, location, reason)]))
        self.messages.append(f"{location}: {reason}")

    def batch(self, inputs: int) -> SourceBatch:
        parsed = pl.concat(self.frames) if self.frames else pl.DataFrame(schema=PARSED_RAW)
        bad = pl.concat(self.bad) if self.bad else quarantine_frame([])
        status = ("failed" if inputs and self.failures == inputs else
                  "degraded" if self.failures or self.degraded or bad.height else "ok")
        return SourceBatch(self.source.id, self.source.kind, parsed, bad, self.read, status,
                           "; ".join(self.messages[:5]), http_validators=self.validators,
                           transient=status == "failed"
                           and self.transient_failures == self.failures)


def _get(fetcher: Fetcher, url: str, known: Validators, out: _Collector) -> bytes | None:
    etag, modified = known.get(url, (None, None))
    result = fetcher.get(url, etag=etag, last_modified=modified, deadline=out.deadline)
    if result.error:
        out.fail(url, result.error.removeprefix(f"{url}: "), transient=result.transient)
        return None
    if result.warning:
        out.degraded = True
        out.messages.append(f"{url}: degraded: {result.warning.removeprefix(f'{url}: ')}")
    if result.etag or result.last_modified:
        out.validators[url] = (result.etag, result.last_modified)
    if result.not_modified:
        out.validators[url] = (etag, modified)
        out.messages.append(f"{url}: not modified (304)")
        return None
    return result.content


def read_feed(source: Source, settings: Settings, *, fetcher: Fetcher | None = None,
              validators: Validators | None = None,
              budget: float | None = None) -> SourceBatch:
    """Entries of RSS/Atom feeds (files or URLs); optionally each entry's page as text.
    ``budget``: seconds of HTTP for the whole source (default the settings')."""
    budget = settings.source_budget_seconds if budget is None else budget
    out, inputs = _Collector(source, budget), list(_inputs(source))
    with _fetcher(fetcher, settings) as http:
        for location, path, data in _documents(inputs, settings, http, validators or {}, out):
            result = parse_feed(data, source=source.id, location=location,
                                base_url=None if path else location,
                                max_text_chars=settings.max_text_chars)
            out.read += result.articles.height + result.quarantine.height
            out.bad.append(result.quarantine)
            if result.status == "rejected":
                out.failures += 1
                out.messages.append(f"{location}: {result.message}")
                continue
            if result.status == "degraded":
                out.degraded = True
                out.messages.append(f"{location}: degraded: {result.message}")
            articles = result.articles
            if source.fetch_pages and articles.height:
                articles = _with_pages(articles, settings, http, out)
            out.frames.append(_with_raw_date(articles))
    return out.batch(len(inputs))


def _with_pages(entries: pl.DataFrame, settings: Settings, http: Fetcher,
                out: _Collector) -> pl.DataFrame:
    """Replace each entry's summary by its page's main text where the page can be had."""
    rows = []
    for row in entries.iter_rows(named=True):
        url = row["url"]
        if url:
            result = http.get(url, deadline=out.deadline)
            if result.ok and result.content:
                page = extract_page(result.content, source=row["source"], location=url, url=url,
                                    max_text_chars=settings.max_text_chars)
                if page.articles.height:
                    row = {**row, "text": page.articles["text"][0]}
            else:
                out.degraded = True
                out.messages.append(f"{url}: page not fetched ({result.error}); summary kept")
        rows.append(row)
    return pl.DataFrame(rows, schema=entries.schema)


def read_pages(source: Source, settings: Settings, *, fetcher: Fetcher | None = None,
               validators: Validators | None = None,
               budget: float | None = None) -> SourceBatch:
    """One article per HTML page (files, folders of pages, or URLs), main text extracted.
    ``budget``: seconds of HTTP for the whole source (default the settings')."""
    budget = settings.source_budget_seconds if budget is None else budget
    out, inputs = _Collector(source, budget), list(_inputs(source))
    with _fetcher(fetcher, settings) as http:
        for location, path, data in _documents(inputs, settings, http, validators or {}, out):
            result = extract_page(data, source=source.id, location=location,
                                  url=None if path else location,
                                  max_text_chars=settings.max_text_chars)
            out.read += 1
            out.bad.append(result.quarantine)
            if result.articles.height:
                out.frames.append(_with_raw_date(result.articles))
    return out.batch(len(inputs))


def _documents(inputs: list[tuple[str, Path | None]], settings: Settings, http: Fetcher,
               known: Validators, out: _Collector) -> Iterator[tuple[str, Path | None, bytes]]:
    """(location, path, bytes) of every input that could be read; the others are failed
    (or not modified) in ``out``."""
    for location, path in inputs:
        data = _load(location, path, settings, http, known, out)
        if data is not None:
            yield location, path, data


def _load(location: str, path: Path | None, settings: Settings, http: Fetcher,
          known: Validators, out: _Collector) -> bytes | None:
    if path is None:
        return _get(http, location, known, out)
    try:  # the parsers refuse more than MAX_*_BYTES: reading further only costs memory
        return read_capped(path, min(settings.max_file_bytes, MAX_DOCUMENT_BYTES))
    except (OSError, ValueError) as exc:
        out.fail(location, str(exc))
    except (EOFError, zlib.error) as exc:  # a truncated or corrupt .gz
        out.fail(location, f"damaged compressed file: {exc}")
    return None


@contextlib.contextmanager
def _fetcher(fetcher: Fetcher | None, settings: Settings) -> Iterator[Fetcher]:
    """The given fetcher, or an ``HttpFetcher`` made from the settings and closed after."""
    if fetcher is not None:
        yield fetcher
        return
    own = HttpFetcher(fetch_config(settings))
    try:
        yield own
    finally:
        own.close()
