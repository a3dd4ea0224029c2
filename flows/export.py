"""``topicwatch export``: the whole-store tables, written on request.

A daily report keeps only its small tables (``reports/<date>/tables/``); the tables that
grow with the store (every article, its topic mentions, its themes and map point) stay in
the store, and this command writes them, as Parquet or CSV, to a folder the user names.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from flows import defaults

if TYPE_CHECKING:
    import polars as pl

    from analytics.store.articles import ArticleStore

# The tables ``write_report`` leaves in the store (analytics.report.writer.STORE_TABLES),
# and claims and themes, which the report keeps too, as they are read with them.
TABLES = ("articles", "topic_mentions", "claims", "themes", "article_themes", "theme_coords")
Format = Literal["parquet", "csv"]


class ExportError(ValueError):
    """The store cannot give the tables asked for; the message says why."""


def export_tables(data_dir: str, out: Path, *, taxonomy: Path | None = None,
                  fmt: Format = "parquet", tables: tuple[str, ...] = TABLES,
                  with_text: bool = False, themes: str = str(defaults.THEMES),
                  random_state: int = defaults.RANDOM_STATE) -> dict[str, Path]:
    """Write ``tables`` of the store at ``data_dir`` to ``out/<name>.<fmt>``, as the
    report had them (``articles`` without ``text`` and ``metadata`` unless
    ``with_text``); topic mentions and claims of ``taxonomy`` (default: the default
    taxonomy), themes of the newest fit with ``themes`` and ``random_state`` with the
    articles it has not seen placed into it, as the last daily run placed them."""
    from analytics.contracts import schema
    from analytics.contracts.taxonomy import load_taxonomy
    from analytics.report.csv_tables import csv_ready
    from analytics.store import atomic
    from analytics.store.articles import ArticleStore
    from analytics.store.derived import DerivedStore

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
        derived = DerivedStore(store, load_taxonomy(taxonomy or defaults.default_taxonomy()))
        stale = derived.stale_months()
        if stale:
            raise ExportError(f"{data_dir}: topics of {len(stale)} month(s) ({stale[0]}...) "
                              "are not tagged with this taxonomy; run `topicwatch run` first")
        frames["topic_mentions"], frames["claims"] = derived.read(articles)
    if {"themes", "article_themes", "theme_coords"} & set(tables):
        frames |= _themes(store, themes, random_state)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in tables:
        df = frames[name]
        dest = out / f"{name}.{fmt}"
        written[name] = (atomic.write_parquet(df, dest) if fmt == "parquet"
                         else atomic.write_with(dest, csv_ready(df).write_csv))
    return written


def _themes(store: ArticleStore, themes: str, random_state: int) -> dict[str, pl.DataFrame]:
    from analytics.contracts import schema
    from analytics.themes import fits
    from analytics.themes.clustering import extend_themes

    last = fits.ThemeFits(store.url).latest(
        date.max, {"n_themes": themes, "random_state": str(random_state)})
    if last is None:
        empty = ("themes", "article_themes", "theme_coords")
        return {name: schema.empty(name) for name in empty}
    result = extend_themes(last.result, fits._unseen(store, last.result))
    return {"themes": result.themes, "article_themes": result.article_themes,
            "theme_coords": result.coords}


def export_command(
    out: Annotated[Path, typer.Argument(help="The folder to write the tables to.")],
    data_dir: Annotated[str, typer.Option(
        "--data-dir", help="The store: a folder or an fsspec URL.")] = defaults.DATA_DIR,
    taxonomy: Annotated[Path | None, typer.Option(
        "--taxonomy", "-t", help="The taxonomy the topics were tagged with.",
        show_default="./taxonomy.toml if present, else the seed taxonomy")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="parquet or csv (lists joined by '; ', structs as JSON).")] = "parquet",
    table: Annotated[list[str] | None, typer.Option(
        "--table", help=f"A table to write (repeatable; default all: {', '.join(TABLES)}).")
    ] = None,
    with_text: Annotated[bool, typer.Option(
        "--with-text", help="Keep the articles' text and metadata.")] = False,
) -> None:
    """Write the whole-store tables (articles, topic mentions, claims, themes) to OUT.

    A daily report keeps only its small tables; these stay in the store."""
    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter(f"expected parquet or csv, got {fmt!r}", param_hint="--format")
    try:
        written = export_tables(data_dir, out, taxonomy=taxonomy, fmt=fmt,  # type: ignore[arg-type]
                                tables=tuple(table or TABLES), with_text=with_text)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    for name, path in written.items():
        print(f"{name}: {path}")
