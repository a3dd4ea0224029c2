"""Read any configured source into a ``SourceBatch`` (one call per source: a shard).

``READERS`` maps every source kind of the sources-file contract
(``analytics.contracts.sources_config.SourceKind``) to its reader. Adding a kind: its
``KindRule`` in the contract, and its reader here.
"""

from __future__ import annotations

from typing import Protocol

from analytics.contracts.sources_config import Settings, Source, SourceKind
from analytics.sources.batch import SourceBatch, failed_batch
from analytics.sources.http_fetch import Fetcher
from analytics.sources.local import read_folder, read_table
from analytics.sources.web import Validators, read_feed, read_pages


class Reader(Protocol):
    def __call__(self, source: Source, settings: Settings, *, fetcher: Fetcher | None,
                 validators: Validators | None) -> SourceBatch: ...


def _local(read) -> Reader:
    """A reader of local files only: it takes no fetcher and no HTTP validators."""
    def reader(source: Source, settings: Settings, *, fetcher: Fetcher | None,
               validators: Validators | None) -> SourceBatch:
        return read(source, settings)
    return reader


READERS: dict[SourceKind, Reader] = {
    "folder": _local(read_folder),
    "table": _local(read_table),
    "feed": read_feed,
    "page": read_pages,
}


def read_source(source: Source, settings: Settings, *, fetcher: Fetcher | None = None,
                validators: Validators | None = None) -> SourceBatch:
    """Parse every row of ``source``; a source that cannot be read becomes a failed batch.

    ``validators`` are the ETag/Last-Modified values of earlier fetches (conditional
    requests); ``fetcher`` replaces the default HTTP client (tests, proxies).
    """
    try:
        return READERS[source.kind](source, settings, fetcher=fetcher, validators=validators)
    except Exception as exc:  # one broken source must not stop the others
        return failed_batch(source, f"{type(exc).__name__}: {exc}", str(source.path or source.id))
