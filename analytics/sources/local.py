"""Read local sources (article folders and CSV/JSONL/Parquet tables) into parsed rows.

Each reader returns a ``SourceBatch``: the rows that parsed (``PARSED`` columns plus
``date_raw``) and the rows that did not, quarantined with their file, line and reason.
Nothing read is dropped silently.
"""

from __future__ import annotations

import csv
import io
import json

import polars as pl

from analytics.contracts.sources_config import Settings, Source
from analytics.ingest.dates import parse_dates
from analytics.sources.batch import PARSED_RAW, SourceBatch, failed_batch, quarantine_frame
from analytics.sources.files import (
    folder_files,
    inside,
    looks_binary,
    read_capped,
    source_path,
    unreadable_entries,
)
from analytics.sources.parse.article_files import (
    ArticleParseError,
    first_sentence,
    parse_article_text,
)
from analytics.sources.parse.text_decode import decode_bytes

csv.field_size_limit(2**31 - 1)  # real bodies exceed the 128 KiB default


def read_folder(source: Source, settings: Settings) -> SourceBatch:
    """Article files of a folder: one row per file."""
    base = source_path(source)
    if not base.is_dir():
        return failed_batch(source, "folder not found", str(base))
    rows: list[dict] = []
    unread = unreadable_entries(source)
    bad = [(source.id, str(path), why) for path, why in unread]
    files = folder_files(source)
    for path in files:
        loc = str(path)
        if not inside(path, base):
            bad.append((source.id, loc, "path resolves outside the source folder"))
            continue
        try:
            data = read_capped(path, settings.max_file_bytes)
        except (OSError, ValueError) as exc:
            bad.append((source.id, loc, str(exc)))
            continue
        if not data.strip():
            bad.append((source.id, loc, "empty file"))
            continue
        if looks_binary(data):
            bad.append((source.id, loc, "binary file (NUL bytes), not text"))
            continue
        decoded = decode_bytes(data)
        try:
            fields = parse_article_text(decoded.text)
        except ArticleParseError as exc:
            bad.append((source.id, loc, str(exc)))
            continue
        rows.append({
            "source": fields.source or source.id, "location": loc, "url": fields.url,
            "guid": None, "title": fields.title, "text": fields.text,
            "language": fields.language or source.language, "date_raw": fields.date,
        })
    parsed = _finish(pl.DataFrame(rows, schema={k: pl.String for k in PARSED_RAW}), source)
    status = "degraded" if bad else "ok"
    entries = len(files) + len(unread)
    return SourceBatch(source.id, "folder", parsed, quarantine_frame(bad), entries, status)


def _csv_records(text: str, loc: str, delimiter: str):
    """Yield (location, record dict) or (location, error) for each CSV row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield f"{loc}:1", f"unreadable CSV header: {exc}"
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    yield None, header
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"{loc}:{line}", f"malformed CSV row: {exc}"
            line = reader.line_num + 1
            continue
        where = f"{loc}:{line}"
        line = reader.line_num + 1
        if not row:
            continue
        if len(row) != len(header):
            yield where, f"expected {len(header)} fields, got {len(row)}"
        else:
            yield where, dict(zip(header, row, strict=True))


def _jsonl_records(text: str, loc: str):
    yield None, None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{loc}:{n}"
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                yield where, f"expected a JSON object, got {type(obj).__name__}"
                continue
            record = {k: (v if v is None or isinstance(v, str) else json.dumps(v)
                          if isinstance(v, dict | list) else str(v)) for k, v in obj.items()}
        except json.JSONDecodeError as exc:
            yield where, f"invalid JSON: {exc.msg} at column {exc.colno}"
            continue
        except RecursionError:  # json recurses per nesting level; one line must not sink the file
            yield where, "invalid JSON: nested too deeply"
            continue
        yield where, record


def _table_frame(source: Source, settings: Settings) -> tuple[pl.DataFrame, list, int]:
    """All rows of a table source as strings, with ``location``; plus bad rows and count."""
    path = source_path(source)
    loc = str(path)
    if source.format == "parquet":
        if path.stat().st_size > settings.max_file_bytes:
            raise ValueError(f"file too large ({path.stat().st_size} bytes)")
        df = pl.read_parquet(path)
        df = df.select(pl.all().cast(pl.String)).with_columns(
            location=pl.format(f"{loc}#row-{{}}", pl.int_range(1, pl.len() + 1))
        )
        return df, [], df.height
    data = read_capped(path, settings.max_file_bytes)
    text = decode_bytes(data).text
    records = (
        _csv_records(text, loc, source.delimiter) if source.format == "csv"
        else _jsonl_records(text, loc)
    )
    header, good, bad = None, [], []
    for where, rec in records:
        if where is None:
            header = rec
        elif isinstance(rec, str):
            bad.append((source.id, where, rec))
        else:
            rec["location"] = where
            good.append(rec)
    if header is None:
        header = sorted({k for r in good for k in r} - {"location"})
    nulls = set(source.null_values)
    for rec in good:
        for k, v in rec.items():
            if v in nulls:
                rec[k] = None
    df = pl.DataFrame(good, schema={**{h: pl.String for h in header}, "location": pl.String},
                      strict=False)
    return df, bad, len(good) + len(bad)


def _metadata(df: pl.DataFrame, source: Source, mapped: set[str]) -> pl.Expr:
    """Expression: the row's unmapped columns (or only ``extra_columns``) as a JSON object."""
    extra = list(source.extra_columns) or [
        c for c in df.columns if c not in mapped and c != "location"
    ]
    if not extra:
        return pl.lit(None, pl.String)
    return pl.struct([pl.col(c).cast(pl.String) for c in extra]).struct.json_encode()


def read_table(source: Source, settings: Settings) -> SourceBatch:
    """A CSV/JSONL/Parquet file mapped by ``source.columns``: one row per record."""
    path = source_path(source)
    loc = str(path)
    if not path.is_file():
        return failed_batch(source, "file not found", loc)
    try:
        df, bad, n = _table_frame(source, settings)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        return failed_batch(source, str(exc).splitlines()[0], loc)
    mapped = {c for cols in source.columns.values() for c in cols}
    missing = sorted((mapped | set(source.extra_columns)) - set(df.columns))
    if missing:
        return failed_batch(
            source, f"mapped columns {missing} not in the file (it has {df.columns[:20]})", loc
        )

    def col(role: str) -> pl.Expr:
        cols = source.columns.get(role)
        if not cols:
            return pl.lit(None, pl.String)
        if len(cols) == 1:
            return pl.col(cols[0])
        parts = [pl.col(c).fill_null("").str.strip_chars() for c in cols]
        return pl.concat_str(parts, separator="\n\n").str.strip_chars()

    parsed = df.select(
        source=col("source").fill_null(source.id) if "source" in source.columns
        else pl.lit(source.id),
        location=pl.col("location"), url=col("url"), guid=col("guid"), title=col("title"),
        text=col("text"), language=col("language").fill_null(pl.lit(source.language)),
        date_raw=col("date"),
        metadata=_metadata(df, source, mapped),
    )
    empty = parsed.filter(pl.col("text").fill_null("").str.strip_chars() == "")
    bad += [(source.id, w, "empty text") for w in empty.get_column("location").to_list()]
    parsed = parsed.filter(pl.col("text").fill_null("").str.strip_chars() != "")
    status = "degraded" if bad else "ok"
    return SourceBatch(
        source.id, "table", _finish(parsed, source), quarantine_frame(bad), n, status
    )


def _finish(df: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Parse dates, fill titles from the first sentence, order columns as PARSED_RAW."""
    df = df.with_columns(
        published_at=parse_dates(pl.col("date_raw"), source.date_formats),
        title=pl.when(pl.col("title").fill_null("").str.strip_chars() == "")
        .then(pl.col("text").map_elements(first_sentence, return_dtype=pl.String))
        .otherwise(pl.col("title")),
    )
    return df.select([pl.col(c).cast(t) for c, t in PARSED_RAW.items()])
