"""The whole-store tables, written on request (``topicwatch export``).

A daily report keeps only its small tables (``reports/<date>/tables/``); the tables that
grow with the store (every article, its topic mentions, its themes and map point) stay in
the store, and :func:`export_tables` writes them, as Parquet or CSV, to a folder. Like the
writer, an IO module of the report stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from analytics.contracts import schema
from analytics.contracts.taxonomy import load_taxonomy
from analytics.report.csv_tables import csv_ready
from analytics.store import atomic
from analytics.store.articles import ArticleStore
from analytics.store.derived import DerivedStore
from analytics.themes import fits

# The tables ``write_report`` leaves in the store (analytics.report.writer.STORE_TABLES),
# and claims and themes, which the report keeps too, as they are read with them.
TABLES = ("articles", "topic_mentions", "claims", "themes", "article_themes", "theme_coords")
Format = Literal["parquet", "csv"]


class ExportError(ValueError):
    """The store cannot give the tables asked for; the message says why."""


def export_tables(data_dir: str, out: Path, *, taxonomy: Path | None = None,
                  fmt: Format = "parquet", tables: tuple[str, ...] = TABLES,
                  with_text: bool = False, themes: str = "auto",
                  random_state: int = 0) -> dict[str, Path]:
    """Write ``tables`` of the store at ``data_dir`` to ``out/<name>.<fmt>``, as the
    report had them (``articles`` without ``text`` and ``metadata`` unless
    ``with_text``): topic mentions and claims of ``taxonomy`` (needed for those two),
    themes of the newest fit with ``themes`` and ``random_state`` (the run's defaults)
    with the articles it has not seen placed into it, as the last daily run placed them."""
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ExportError(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(TABLES)}")
    store = ArticleStore(data_dir)
    if not store.months():
        raise ExportError(f"{data_dir}: no stored articles (run `topicwatch run` first)")
    report_fields = [c for c in schema.ARTICLES if c not in ("text", "metadata")]
    articles = store.read(None if with_text else report_fields)
    frames: dict[str, pl.DataFrame] = {"articles": articles}
    if {"topic_mentions", "claims"} & set(tables):
        if taxonomy is None:
            raise ExportError("topic_mentions and claims need the taxonomy they were tagged with")
        derived = DerivedStore(store, load_taxonomy(taxonomy))
        stale = derived.stale_months()
        if stale:
            raise ExportError(f"{data_dir}: topics of {len(stale)} month(s) ({stale[0]}...) "
                              "are not tagged with this taxonomy; run `topicwatch run` first")
        frames["topic_mentions"], frames["claims"] = derived.read(articles)
    if {"themes", "article_themes", "theme_coords"} & set(tables):
        frames |= fits.placed_themes(store, themes, random_state)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in tables:
        df = frames[name]
        dest = out / f"{name}.{fmt}"
        written[name] = (atomic.write_parquet(df, dest) if fmt == "parquet"
                         else atomic.write_with(dest, csv_ready(df).write_csv))
    return written
