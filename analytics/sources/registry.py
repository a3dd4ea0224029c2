"""Read any configured source into a ``SourceBatch`` (one call per source: a shard)."""

from __future__ import annotations

from analytics.contracts.sources_config import Settings, Source
from analytics.sources.http_fetch import Fetcher
from analytics.sources.local import SourceBatch, failed_batch, read_folder, read_table
from analytics.sources.web import Validators, read_feed, read_pages


def read_source(source: Source, settings: Settings, *, fetcher: Fetcher | None = None,
                validators: Validators | None = None) -> SourceBatch:
    """Parse every row of ``source``; a source that cannot be read becomes a failed batch.

    ``validators`` are the ETag/Last-Modified values of earlier fetches (conditional
    requests); ``fetcher`` replaces the default HTTP client (tests, proxies).
    """
    try:
        if source.kind == "folder":
            return read_folder(source, settings)
        if source.kind == "table":
            return read_table(source, settings)
        reader = read_feed if source.kind == "feed" else read_pages
        return reader(source, settings, fetcher=fetcher, validators=validators)
    except Exception as exc:  # one broken source must not stop the others
        return failed_batch(source, f"{type(exc).__name__}: {exc}", str(source.path or source.id))
