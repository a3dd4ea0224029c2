"""Read local sources (article folders and CSV/JSONL/Parquet tables) into parsed rows.

Each reader returns a ``SourceBatch``: the rows that parsed (``PARSED`` columns plus
``date_raw``) and the rows that did not, quarantined with their file, line and reason.
Nothing read is dropped silently. A table whose file lacks a mapped column fails with
the file's columns in its message; ``check_table`` finds the same from the header alone.

Tables are read in pieces whose size is known before they are held: CSV and JSONL line
by line (a record over ``RECORD_FACTOR`` x ``max_text_chars`` characters is skipped to
its end unread and quarantined), Parquet row group by row group (a row group whose
column chunks decompress past ``max_file_bytes``, by the footer, is quarantined unread,
and so is a one-row group whose footer shows it over the text or record cap).
Rows whose title and text pass ``max_text_chars`` are quarantined as in feeds and pages.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import polars as pl

from analytics.contracts.sources_config import Settings, Source
from analytics.contracts.toml_lines import did_you_mean
from analytics.ingest.dates import parse_dates
from analytics.sources.batch import PARSED_RAW, SourceBatch, failed_batch, quarantine_frame
from analytics.sources.files import (
    damaged,
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
from analytics.sources.parse.parquet_footer import (
    FooterError,
    RowGroup,
    footer_length,
    row_groups,
)
from analytics.sources.parse.parse_result import chars_too_long, text_too_long
from analytics.sources.parse.text_decode import decode_bytes, repair_double_utf8

csv.field_size_limit(2**31 - 1)  # real bodies exceed the 128 KiB default
HEADER_BYTES = 1 << 20  # what ``table_columns`` reads of a CSV or JSONL file
JSONL_SAMPLE = 100  # records whose keys stand for a JSONL file's columns
_SHOWN_COLUMNS = 30
# A CSV or JSONL record holding an article under the text cap is at most this many times
# its characters long (every one JSON-escaped as \uXXXX); a longer one is not held.
RECORD_FACTOR = 6
_SKIP_CHARS = 1 << 20  # what the rest of a record too long is read by, to skip it
_CHARS = "__topicwatch_chars"  # a piece's column: characters of each row's title and text
_CHUNK_SLACK = 1024  # what a Parquet column chunk holds besides its values, per value


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
        if too_long := text_too_long(fields.title, fields.text, settings.max_text_chars):
            bad.append((source.id, loc, too_long))
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


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The lines of a text file, for the CSV and JSONL readers. A record (the lines since
    ``done`` was last called) over ``limit`` characters raises ``_RecordTooLong`` and the
    rest of its line is skipped unread; past ``cap`` decompressed bytes, ValueError."""

    def __init__(self, fh: IO[str], tell: Callable[[], int], limit: int, cap: int):
        self.fh, self.tell, self.limit, self.cap = fh, tell, limit, cap  # tell: bytes read
        self.n = 0  # lines started
        self.start = 1  # first line of the current record
        self.size = 0  # characters of the current record so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.fh.readline(self.limit - self.size + 1)
        if not line:
            raise StopIteration
        if self.tell() > self.cap:
            raise ValueError(f"file too large (over cap {self.cap} bytes decompressed)")
        if self.n == 0:
            line = line.removeprefix("\ufeff")
        if self.size == 0:
            self.start = self.n + 1
        self.n += 1
        self.size += len(line)
        if self.size > self.limit:
            while not line.endswith(("\n", "\r")) and (line := self.fh.readline(_SKIP_CHARS)):
                pass
            self.size = 0
            raise _RecordTooLong
        return line

    def done(self) -> None:
        self.size = 0

    def too_long(self) -> str:
        return (f"record too long: over {self.limit} characters "
                f"({RECORD_FACTOR} x max_text_chars); not read")


def _csv_records(lines: _Lines, loc: str, delimiter: str):
    """Yield (location, record dict) or (location, error) for each CSV row."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield f"{loc}:1", f"unreadable CSV header: {exc}"
        return
    except _RecordTooLong:
        yield f"{loc}:1", f"unreadable CSV header: {lines.too_long()}"
        return
    header = [h.strip() for h in header]
    lines.done()
    yield None, header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"{loc}:{lines.start}", f"malformed CSV row: {exc}"
            lines.done()
            continue
        except _RecordTooLong:
            yield f"{loc}:{lines.start}", lines.too_long()
            continue
        where = f"{loc}:{lines.start}"
        lines.done()
        if not row:
            continue
        if len(row) != len(header):
            yield where, f"expected {len(header)} fields, got {len(row)}"
        else:
            yield where, dict(zip(header, row, strict=True))


def _jsonl_records(lines: _Lines, loc: str):
    yield None, None
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except _RecordTooLong:
            yield f"{loc}:{lines.start}", lines.too_long()
            continue
        lines.done()
        if not line.strip():
            continue
        where = f"{loc}:{lines.start}"
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


def _table_frames(source: Source, settings: Settings,
                  bad: list) -> tuple[list[str], Iterator[pl.DataFrame]]:
    """A table's columns, and its rows as strings with ``location``, in pieces of bounded
    size (module docstring); what is not read is appended to ``bad``."""
    path = source_path(source)
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise ValueError(f"file too large ({size} bytes > cap {settings.max_file_bytes})")
    if source.format == "parquet":
        return list(pl.read_parquet_schema(path)), _row_groups(source, path, settings, bad)
    try:
        df = _text_table(source, path, settings, bad)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise damaged(path, exc) from exc
    return [c for c in df.columns if c != "location"], iter([df])


def _row_groups(source: Source, path: Path, settings: Settings,
                bad: list) -> Iterator[pl.DataFrame]:
    """A Parquet file's row groups one at a time; one that would take what is read past
    ``max_file_bytes`` (decompressed, by the footer) is quarantined unread, and so is one
    whose values, once decoded, would (a dictionary page repeats a value for free)."""
    cap, loc = settings.max_file_bytes, str(path)
    if path.stat().st_size < 12:
        raise FooterError(f"not a Parquet file ({path.stat().st_size} bytes)")
    with open(path, "rb") as fh:
        fh.seek(-8, io.SEEK_END)
        n = footer_length(fh.read(8))
        fh.seek(-8 - n, io.SEEK_END)
        groups = row_groups(fh.read(n))
    scan = pl.scan_parquet(path)
    first, held = 1, 0
    for i, group in enumerate(groups, start=1):
        rows, need, start = group.rows, group.decoded_bytes, first
        first += rows
        at = f"row group {i} of {path.name} (rows {start}-{first - 1})"
        where = f"{loc}#row-group-{i}"
        if held + need > cap:
            why = (f"> cap {cap}" if need > cap else
                   f"would take the file past its cap {cap} ({held} bytes read before it)")
            bad.append((source.id, where, f"{at}: {need} bytes decompressed {why}; not read"))
            continue
        if not rows:
            continue
        if rows == 1 and (unread := _unit_over_cap(group, source, settings)):
            bad.append((source.id, f"{loc}#row-{start}", unread))
            continue
        df, size = _piece(scan.slice(start - 1, rows).collect(), start, loc, source, settings,
                          bad)
        size = max(need, size)
        if held + size > cap:
            bad.append((source.id, where, f"{at}: {size} bytes once its repeated (dictionary) "
                        f"values are decoded, past the file's cap {cap}; not kept"))
            continue
        held += size
        yield df


def _piece(df: pl.DataFrame, start: int, loc: str, source: Source, settings: Settings,
           bad: list) -> tuple[pl.DataFrame, int]:
    """Rows read from a Parquet file (row ``start`` first), as strings with ``location``
    and ``_CHARS``, and the bytes of their values: a row over the text cap keeps only
    those two (``_articles`` quarantines it); one whose values take more than 4 bytes a
    character of the record cap (``RECORD_FACTOR`` x ``max_text_chars``, as for CSV and
    JSONL) is appended to ``bad``.

    Eager, and no value over a cap is copied before it is dropped: the read holds the
    decompressed pages and the values (2 x the row group), where the steps of a lazy
    query copied the values again (4 x)."""
    df = df.with_columns(pl.col(c).cast(pl.String) for c, t in df.schema.items()
                         if t != pl.String)
    names = df.columns
    df = df.with_columns(_chars(source).alias(_CHARS),
                         location=pl.format(f"{loc}#row-{{}}",
                                            pl.int_range(start, start + pl.len())))
    over = df.get_column(_CHARS) > settings.max_text_chars
    sizes = df.select(pl.sum_horizontal([pl.col(c).str.len_bytes().fill_null(0)
                                         for c in names])).to_series()
    record = ~over & (sizes > 4 * RECORD_FACTOR * settings.max_text_chars)
    for where, n in df.select("location", sizes.alias("n")).filter(record).iter_rows():
        bad.append((source.id, where, f"record too long: {n} bytes, over {RECORD_FACTOR} x "
                    "max_text_chars characters; not kept"))
    drop = over | record
    size = int(sizes.filter(~drop).sum() or 0)
    if not drop.any():
        return df, size
    # Selected before filtered: filtering copies the values it keeps.
    return pl.concat([df.filter(~drop), df.select("location", _CHARS).filter(over)],
                     how="diagonal"), size


def _unit_over_cap(group: RowGroup, source: Source, settings: Settings) -> str | None:
    """Why a row group of one row is quarantined unread, by its footer: its title and
    text take more than 4 bytes a character of ``max_text_chars``, or the row more than
    that of ``RECORD_FACTOR`` x ``max_text_chars`` (the record cap of CSV and JSONL).
    polars copies a one-row column's value at every operation (its unit-length paths:
    4 x), so such a value is never read; under these sizes it is small."""
    slack = _CHUNK_SLACK * max(1, group.values)  # page headers and lengths, not values
    mapped = {c for role in ("title", "text") for c in source.columns.get(role, ())}
    text = sum(n for c, n in group.column_bytes.items() if c in mapped) - slack
    cap = settings.max_text_chars
    if text > 4 * cap:
        return f"text too long: {text} bytes by the file's footer, over {cap} characters; not read"
    if group.uncompressed_bytes - slack > 4 * RECORD_FACTOR * cap:
        return (f"record too long: {group.uncompressed_bytes - slack} bytes by the file's "
                f"footer, over {RECORD_FACTOR} x max_text_chars characters; not read")
    return None


def _text_table(source: Source, path: Path, settings: Settings, bad: list) -> pl.DataFrame:
    """A CSV or JSONL file read line by line into one frame of strings."""
    loc = str(path)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as raw:
        prefix = raw.read(HEADER_BYTES)
    if len(prefix) == HEADER_BYTES:  # detect from whole lines: a cut character misleads
        prefix = prefix[:prefix.rfind(b"\n") + 1] or prefix
    encoding = decode_bytes(prefix).encoding
    limit = RECORD_FACTOR * settings.max_text_chars
    with opener(path, "rb") as raw, io.TextIOWrapper(
        raw, encoding=encoding, errors="replace", newline=""
    ) as fh:
        lines = _Lines(fh, raw.tell, limit, settings.max_file_bytes)
        records = (
            _csv_records(lines, loc, source.delimiter) if source.format == "csv"
            else _jsonl_records(lines, loc)
        )
        header, good = None, []
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
    repair = encoding.startswith("utf-8")  # what decode_bytes does to a whole file
    for rec in good:
        for k, v in rec.items():
            if v in nulls:
                rec[k] = None
            elif repair and isinstance(v, str) and not v.isascii() and k != "location":
                rec[k] = repair_double_utf8(v)
    return pl.DataFrame(good, schema={**{h: pl.String for h in header}, "location": pl.String},
                        strict=False)


def _metadata(df: pl.DataFrame, source: Source, mapped: set[str]) -> pl.Expr:
    """Expression: the row's unmapped columns (or only ``extra_columns``) as a JSON object."""
    extra = list(source.extra_columns) or [
        c for c in df.columns if c not in mapped and c not in ("location", _CHARS)
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
    bad: list = []
    try:
        columns, frames = _table_frames(source, settings, bad)
        what = "the keys of its records" if source.format == "jsonl" else "the file's columns"
        wrong = missing_columns(source, columns, what)
        if wrong:
            return failed_batch(source, wrong, loc)
        pieces: list[pl.DataFrame] = []
        too_long: list[tuple[str, str, str | None]] = []
        rows = 0
        for df in frames:  # each piece mapped and capped before the next is read
            rows += df.height
            pieces.append(_articles(df, source, settings, too_long))
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        return failed_batch(source, str(exc).splitlines()[0], loc)
    n = rows + len(bad)  # what could not be read is one quarantine row each
    bad += too_long
    parsed = pl.concat(pieces) if pieces else pl.DataFrame(schema=PARSED_RAW)
    empty = parsed.filter(pl.col("text").fill_null("").str.strip_chars() == "")
    bad += [(source.id, w, "empty text") for w in empty.get_column("location").to_list()]
    parsed = parsed.filter(pl.col("text").fill_null("").str.strip_chars() != "")
    status = "degraded" if bad else "ok"
    return SourceBatch(
        source.id, "table", _finish(parsed, source), quarantine_frame(bad), n, status
    )


def _role(source: Source, role: str) -> pl.Expr:
    """The column mapped to ``role``; several are joined with a blank line."""
    cols = source.columns.get(role)
    if not cols:
        return pl.lit(None, pl.String)
    if len(cols) == 1:
        return pl.col(cols[0])
    parts = [pl.col(c).fill_null("").str.strip_chars() for c in cols]
    return pl.concat_str(parts, separator="\n\n").str.strip_chars()


def _chars(source: Source) -> pl.Expr:
    """Characters of a row's title and text, as ``text_too_long`` counts them."""
    return (_role(source, "title").str.len_chars().fill_null(0)  # fill_null("") would copy
            + _role(source, "text").str.len_chars().fill_null(0))


def _articles(df: pl.DataFrame, source: Source, settings: Settings, bad: list) -> pl.DataFrame:
    """A piece of a table mapped to ``PARSED_RAW`` (+ metadata); rows whose title and text
    pass ``max_text_chars`` (``_chars``, counted here unless the reader did) are appended
    to ``bad`` instead."""
    mapped = {c for cols in source.columns.values() for c in cols}
    cap = settings.max_text_chars
    if _CHARS not in df.columns:
        df = df.with_columns(_chars(source).alias(_CHARS))
    long = df.select("location", _CHARS).filter(pl.col(_CHARS) > cap)
    bad += [(source.id, where, chars_too_long(size, cap)) for where, size in long.iter_rows()]
    if long.height:
        df = df.filter(pl.col(_CHARS) <= cap)

    def col(role: str) -> pl.Expr:
        return _role(source, role)

    return df.select(
        source=col("source").fill_null(source.id) if "source" in source.columns
        else pl.lit(source.id),
        location=pl.col("location"), url=col("url"), guid=col("guid"), title=col("title"),
        text=col("text"), language=col("language").fill_null(pl.lit(source.language)),
        date_raw=col("date"),
        metadata=_metadata(df, source, mapped),
    )


def missing_columns(source: Source, columns: list[str],
                    what: str = "the file's columns") -> str | None:
    """None when a table with ``columns`` has every column ``source`` maps, else a message
    naming each missing column, its role, where the sources file names it and the closest
    column of the file, then the file's columns (``what`` says where they come from)."""
    roles: dict[str, str] = {}
    for role, cols in source.columns.items():
        for c in cols:
            roles.setdefault(c, f"columns.{role}")
    for c in source.extra_columns:
        roles.setdefault(c, "extra_columns")
    missing = [c for c in roles if c not in set(columns)]
    if not missing:
        return None
    parts = []
    for c in missing:
        at = source.column_lines.get(c)
        parts.append(f"{c!r} ({roles[c]}{f', {at}' if at else ''}{did_you_mean(c, columns)})")
    shown = ", ".join(columns[:_SHOWN_COLUMNS]) or "(none)"
    if len(columns) > _SHOWN_COLUMNS:
        shown += f", ... ({len(columns) - _SHOWN_COLUMNS} more)"
    return (f"mapped column{'s' * (len(missing) > 1)} not in the file: {'; '.join(parts)}; "
            f"{what}: {shown}")


def table_columns(source: Source) -> tuple[list[str], str]:
    """A table's columns read cheaply: a CSV's header line, a Parquet file's schema, the
    keys of a JSONL file's first records; and what they are, for messages."""
    path = source_path(source)
    if source.format == "parquet":
        return list(pl.read_parquet_schema(path)), "the file's columns"
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as fh:
        prefix = fh.read(HEADER_BYTES)
    text = decode_bytes(prefix).text
    if source.format == "csv":
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter)
        header = next(reader, [])
        return [h.strip().lstrip("\ufeff") for h in header], "the file's header"
    lines = text.splitlines()
    if len(prefix) == HEADER_BYTES:
        lines = lines[:-1]  # the last line may be cut
    keys: dict[str, None] = {}
    records = 0
    for line in lines:
        try:
            obj = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(obj))
            records += 1
            if records == JSONL_SAMPLE:
                break
    return list(keys), f"the keys of its first {records} records"


def check_table(source: Source) -> str | None:
    """None when the header (or schema) of a table source has every mapped column, else
    what is wrong; reads no row beyond the header (``topicwatch sources check``)."""
    path = source_path(source)
    if not path.is_file():
        return "not a file"
    try:
        columns, what = table_columns(source)
    except (OSError, EOFError, ValueError, csv.Error, pl.exceptions.PolarsError) as exc:
        return f"cannot read its header: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    return missing_columns(source, columns, what)


def _finish(df: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Parse dates, fill titles from the first sentence, order columns as PARSED_RAW."""
    df = df.with_columns(
        published_at=parse_dates(pl.col("date_raw"), source.date_formats),
        title=pl.when(pl.col("title").fill_null("").str.strip_chars() == "")
        .then(pl.col("text").map_elements(first_sentence, return_dtype=pl.String))
        .otherwise(pl.col("title")),
    )
    return df.select([pl.col(c).cast(t) for c, t in PARSED_RAW.items()])
