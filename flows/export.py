"""``topicwatch export``: the whole-store tables, written on request
(``analytics.report.export``); a daily report keeps only its small tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from analytics.report.export import TABLES, ExportError, export_tables
from flows import defaults


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
        written = export_tables(data_dir, out, taxonomy=taxonomy or defaults.default_taxonomy(),
                                fmt=fmt,  # type: ignore[arg-type]
                                tables=tuple(table or TABLES), with_text=with_text,
                                themes=str(defaults.THEMES), random_state=defaults.RANDOM_STATE)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    for name, path in written.items():
        print(f"{name}: {path}")
