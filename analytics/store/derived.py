"""Topic mentions and claims kept beside each store partition, so a run tags only what changed.

Layout, under the store's root::

    derived/tagger=<fingerprint>/month=2025-06/topic_mentions.parquet
    derived/tagger=<fingerprint>/month=2025-06/claims.parquet
    derived/tagger=<fingerprint>/month=2025-06/partition.json   what they were computed from

The fingerprint hashes the taxonomy and the code that tags and extracts claims, so an
edited taxonomy or tagger never reuses old results. ``partition.json`` (written last)
records the article partition's size and modification time (on an object store, its size
and ETag): a partition that ``ArticleStore.add`` rewrote since, or whose results are
missing or unreadable, is *stale* and is tagged again; every other month is read back as
it is.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from pathlib import PurePath

import polars as pl

from analytics.contracts import schema, taxonomy
from analytics.contracts.taxonomy import Taxonomy
from analytics.store.articles import ArticleStore
from analytics.topics import claims, regex_literals, tagging
from analytics.topics.shards import combine_claims, combine_mentions

MENTIONS = "topic_mentions.parquet"
CLAIMS = "claims.parquet"
STAMP = "partition.json"


@functools.cache
def _code_digest() -> str:
    """The tagging and claims code as this process loaded it (read once: a file edited
    while a run goes on must not change the fingerprint halfway)."""
    h = hashlib.sha256()
    for module in (tagging, regex_literals, taxonomy, claims, schema):
        h.update(inspect.getsource(module).encode())
    h.update(pl.__version__.encode())  # the regex engine's version decides matches too
    return h.hexdigest()


def fingerprint(tax: Taxonomy) -> str:
    """12 hex digits naming the taxonomy's topics and the tagging and claims code."""
    return hashlib.sha256((repr(tax.topics) + _code_digest()).encode()).hexdigest()[:12]


class DerivedStore:
    """Per-partition topic mentions and claims of one ``ArticleStore`` and one tagger."""

    def __init__(self, store: ArticleStore, tax: Taxonomy):
        self.store = store
        self.storage = store.storage
        self.taxonomy = tax
        self.root = store.root / "derived" / f"tagger={fingerprint(tax)}"

    def _dir(self, month: str) -> PurePath:
        return self.root / f"month={month}"

    def _partition_stamp(self, month: str) -> dict:
        return {"month": month, **self.storage.signature(self.store.partition(month))}

    def is_fresh(self, month: str) -> bool:
        folder = self._dir(month)
        try:
            stamp = json.loads(self.storage.read_bytes(folder / STAMP))
        except (OSError, ValueError):
            return False
        return (stamp == self._partition_stamp(month) and self.storage.exists(folder / MENTIONS)
                and self.storage.exists(folder / CLAIMS))

    def stale_months(self) -> list[str]:
        """Months whose articles changed since their results were written, in order."""
        return [m for m in self.store.months() if not self.is_fresh(m)]

    def update_month(self, month: str) -> tuple[int, int, int]:
        """Tag one partition and keep the results; returns (articles, mentions, claims)."""
        stamp = self._partition_stamp(month)  # before reading: a later rewrite stays stale
        articles = self.store.read_month(month)
        mentions = tagging.tag_topics(articles, self.taxonomy)
        found = claims.extract_claims(articles)
        folder = self._dir(month)
        self.storage.remove(folder / STAMP)
        self.storage.write_parquet(mentions, folder / MENTIONS)
        self.storage.write_parquet(found, folder / CLAIMS)
        self.storage.write_bytes(folder / STAMP, json.dumps(stamp, sort_keys=True).encode())
        return articles.height, mentions.height, found.height

    def read(self, articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``(topic_mentions, claims)`` of every stored month, in the order tagging all of
        ``articles`` (the store as read) at once would give them."""
        months = self.store.months()
        mentions = self.storage.read_frames([self._dir(m) / MENTIONS for m in months])
        found = self.storage.read_frames([self._dir(m) / CLAIMS for m in months])
        return combine_mentions(mentions), combine_claims(found, articles)
