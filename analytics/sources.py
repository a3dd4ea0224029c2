"""Read any configured source into a ``SourceBatch`` (one call per source: a shard)."""

from __future__ import annotations

from analytics.local_sources import SourceBatch, failed_batch, read_folder, read_table
from analytics.sources_config import Settings, Source


def read_source(source: Source, settings: Settings) -> SourceBatch:
    """Parse every row of ``source``; a source that cannot be read becomes a failed batch."""
    readers = {"folder": read_folder, "table": read_table}
    reader = readers.get(source.kind)
    if reader is None:
        return failed_batch(source, f"kind {source.kind!r} is not supported", source.id)
    try:
        return reader(source, settings)
    except Exception as exc:  # one broken source must not stop the others
        return failed_batch(source, f"{type(exc).__name__}: {exc}", str(source.path or source.id))
