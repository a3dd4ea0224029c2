"""Tables as CSV can hold them: lists joined, structs as JSON (pure; the writer saves)."""

from __future__ import annotations

import polars as pl


def csv_ready(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with list columns joined by "; " and structs as JSON, so CSV can hold it."""
    cols = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.List | pl.Array):
            cols.append(pl.col(name).cast(pl.List(pl.String)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct):
            cols.append(pl.col(name).struct.json_encode().alias(name))
        else:
            cols.append(pl.col(name))
    return df.select(cols)
