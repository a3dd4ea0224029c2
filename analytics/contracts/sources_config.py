"""The sources file: which inputs a run reads, parsed into typed objects with clear errors.

A sources file is TOML::

    [settings]                      # all optional
    max_file_bytes = 512_000_000    # larger files (decompressed) are quarantined unread
    max_text_chars = 1_000_000      # an article with more title + text is quarantined
    min_date = "1990-01-01"         # earlier dates are quarantined
    on_missing_date = "quarantine"  # or "run_date": use the run date, flagged imputed

    [[source]]
    id = "kremlin"                  # lowercase letters, digits, - and _
    kind = "table"                  # folder | table | feed | page
    path = "press/kremlin.csv"      # relative to the sources file
    format = "csv"                  # csv | jsonl | parquet; default from the extension (.gz ok)
    columns = { text = "body", title = "headline", date = "date", url = "link" }
    date_formats = ["%Y-%m-%dT%H:%M:%SZ"]   # optional; ISO 8601 and RFC 2822 always tried
    null_values = ["NA"]

``columns.text`` may be a list of columns, joined with a blank line (e.g. a headline and
an RSS summary). A folder source reads ``include`` globs (default ``**/*.txt`` and
``**/*.md``). A path given on the command line instead of a sources file becomes one
folder source (a directory) or one table source (a .csv/.jsonl/.parquet file).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from analytics.contracts.toml_lines import did_you_mean, line_of, table_line, value_line

SourceKind = Literal["folder", "table", "feed", "page"]


@dataclass(frozen=True)
class KindRule:
    """What the sources file must give a source of one kind (its reader is registered in
    ``analytics.sources.registry.READERS``)."""

    needs: Literal["path", "path or urls"]
    default_globs: tuple[str, ...] = ("**/*",)  # files read when ``path`` is a folder
    tabular: bool = False  # a table file: ``format`` and ``columns.text`` required


KIND_RULES: dict[SourceKind, KindRule] = {
    "folder": KindRule("path", ("**/*.txt", "**/*.md")),
    "table": KindRule("path", tabular=True),
    "feed": KindRule("path or urls", ("**/*.xml", "**/*.rss", "**/*.atom")),
    "page": KindRule("path or urls", ("**/*.html", "**/*.htm", "**/*.html.gz")),
}
KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
TABLE_FORMATS = ("csv", "jsonl", "parquet")
COLUMN_ROLES = ("text", "title", "date", "url", "source", "language", "guid")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SOURCE_KEYS = {
    "id", "kind", "path", "url", "urls", "format", "columns", "date_formats", "null_values",
    "include", "exclude", "fetch_pages", "language", "extra_columns", "delimiter",
}


class SourcesError(ValueError):
    """The sources file is invalid; the message names the file, line, source and key."""


@dataclass(frozen=True)
class Settings:
    max_file_bytes: int = 512_000_000  # a local file (decompressed) larger than this is refused
    max_download_bytes: int = 20_000_000  # an HTTP body larger than this is refused
    min_date: date = date(1990, 1, 1)
    on_missing_date: str = "quarantine"
    allow_private_addresses: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDRs exempt from the private-address guard
    timeout_seconds: float = 10.0
    total_timeout_seconds: float = 60.0  # one HTTP attempt: connect, headers and body
    source_budget_seconds: float = 180.0  # all HTTP of one feed or page source per read
    retries: int = 3
    max_text_chars: int = 1_000_000  # an article with more title + text is quarantined
    near_duplicate_threshold: float = 0.65  # estimated Jaccard of word 3-shingles
    near_duplicate_window_days: int = 31  # only articles this close in time are compared
    dask_address: str | None = None  # run the per-shard stages on this Dask cluster


@dataclass(frozen=True)
class Source:
    id: str
    kind: SourceKind
    path: Path | None = None
    urls: tuple[str, ...] = ()
    format: str | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    null_values: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # globs; empty means the kind's default_globs
    exclude: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    fetch_pages: bool = False
    language: str | None = None
    delimiter: str = ","
    # Where the sources file names each mapped column ("FILE:LINE"; empty without a file).
    column_lines: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SourcesConfig:
    sources: tuple[Source, ...]
    settings: Settings = Settings()
    path: str = "<memory>"

    @property
    def name(self) -> str:
        return Path(self.path).name


def table_format(path: Path) -> str | None:
    """csv/jsonl/parquet from a file name, looking through a ``.gz`` suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1].lstrip(".") if suffixes else ""
    return {"csv": "csv", "tsv": "csv", "jsonl": "jsonl", "ndjson": "jsonl",
            "parquet": "parquet"}.get(ext)


def _str_list(value, loc: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SourcesError(f"{loc}: must be a string or a list of strings")
    return tuple(value)


# What each Settings annotation accepts from TOML: (test, what it must be, conversion).
_SETTING_TYPES = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number", None),
    "float": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number",
              float),
    "bool": (lambda v: isinstance(v, bool), "true or false", None),
    "str": (lambda v: isinstance(v, str), "a string", None),
    "str | None": (lambda v: isinstance(v, str), "a string", None),
    "tuple[str, ...]": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                        "a list of strings", tuple),
    "date": (lambda v: isinstance(v, date | str), "a date (YYYY-MM-DD)",
             lambda v: date.fromisoformat(v) if isinstance(v, str)
             else v.date() if isinstance(v, datetime) else v),
}
SETTING_KEYS = tuple(f.name for f in fields(Settings))
_POSITIVE = ("max_file_bytes", "max_download_bytes", "timeout_seconds",
             "total_timeout_seconds", "source_budget_seconds", "max_text_chars")


def _toml_type(value) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _settings(raw, path: str, text: str = "") -> Settings:
    """``[settings]`` checked key by key: errors name the file, the key's line and the key."""

    def where(key: str | None = None) -> str:
        line = table_line(text, "settings", key) if text else None
        return f"{path}{f':{line}' if line else ''}: [settings]" + (
            f", key {key!r}" if key else "")

    if not isinstance(raw, dict):
        raise SourcesError(f"{where()}: must be a table of key = value")
    values: dict[str, Any] = {}
    types = {f.name: str(f.type) for f in fields(Settings)}
    for key, value in raw.items():
        if key not in types:
            raise SourcesError(f"{where(key)}: unknown key{did_you_mean(key, SETTING_KEYS)} "
                               f"(the keys: {', '.join(SETTING_KEYS)})")
        test, what, convert = _SETTING_TYPES[types[key]]
        if not test(value):
            raise SourcesError(f"{where(key)}: expected {what}, got {value!r} "
                               f"({_toml_type(value)})")
        try:
            values[key] = convert(value) if convert else value
        except ValueError as exc:
            raise SourcesError(f"{where(key)}: expected {what}: {exc}") from exc
    s = Settings(**values)
    if s.dask_address is not None and not re.fullmatch(r"(tcp://)?[\w.\-]+:\d+", s.dask_address):
        raise SourcesError(
            f"{where('dask_address')}: expected tcp://HOST:PORT, got {s.dask_address!r}"
        )
    for key in _POSITIVE:
        if getattr(s, key) <= 0:
            raise SourcesError(f"{where(key)}: expected a number > 0, got {getattr(s, key)!r}")
    if s.near_duplicate_window_days < 1:
        raise SourcesError(
            f"{where('near_duplicate_window_days')}: expected a whole number of days >= 1, "
            f"got {s.near_duplicate_window_days!r}"
        )
    if s.on_missing_date not in ("quarantine", "run_date"):
        raise SourcesError(
            f"{where('on_missing_date')}: must be 'quarantine' or 'run_date'"
            f"{did_you_mean(s.on_missing_date, ('quarantine', 'run_date'))}"
        )
    return s


def _source(raw: dict, where, base: Path, value_at=lambda value: "") -> Source:
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        raise SourcesError(f"{where('id')}: id must match {_ID.pattern}")
    unknown = sorted(set(raw) - _SOURCE_KEYS)
    if unknown:
        raise SourcesError(f"{where(unknown[0])}: unknown key"
                           f"{did_you_mean(unknown[0], _SOURCE_KEYS)}")
    kind = raw.get("kind")
    if kind not in KIND_RULES:
        raise SourcesError(f"{where('kind')}: kind must be one of {', '.join(KIND_RULES)}")
    rule = KIND_RULES[kind]
    path = Path(raw["path"]) if "path" in raw else None
    if path is not None and not path.is_absolute():
        path = base / path
    urls = _str_list(raw.get("urls", raw.get("url", [])), where("urls" if "urls" in raw else "url"))
    if rule.needs == "path" and path is None:
        raise SourcesError(f"{where('path')}: a {kind} source needs 'path'")
    if rule.needs == "path or urls" and path is None and not urls:
        raise SourcesError(f"{where('url')}: a {kind} source needs 'url', 'urls' or 'path'")
    fmt = raw.get("format") or (table_format(path) if rule.tabular and path else None)
    if rule.tabular and fmt not in TABLE_FORMATS:
        raise SourcesError(
            f"{where('format')}: format must be one of {', '.join(TABLE_FORMATS)} "
            f"(cannot tell from {path.name if path else 'no path'!r})"
        )
    columns_raw = raw.get("columns", {})
    if not isinstance(columns_raw, dict):
        raise SourcesError(f"{where('columns')}: must be a table of role = column")
    columns = {}
    for role, col in columns_raw.items():
        if role not in COLUMN_ROLES:
            raise SourcesError(
                f"{where('columns')}: unknown role {role!r}{did_you_mean(role, COLUMN_ROLES)} "
                f"(one of {', '.join(COLUMN_ROLES)})"
            )
        columns[role] = _str_list(col, f"{where('columns')} ({role})")
    if rule.tabular and "text" not in columns:
        raise SourcesError(f"{where('columns')}: a {kind} source needs columns.text")
    kwargs = {}
    for key in ("date_formats", "null_values", "include", "exclude", "extra_columns"):
        if key in raw:
            kwargs[key] = _str_list(raw[key], where(key))
    named = {c for cols in columns.values() for c in cols} | set(kwargs.get("extra_columns", ()))
    return Source(
        id=sid, kind=kind, path=path, urls=urls, format=fmt, columns=columns,
        fetch_pages=bool(raw.get("fetch_pages", False)), language=raw.get("language"),
        delimiter=str(raw.get("delimiter", "\t" if path and ".tsv" in path.suffixes else ",")),
        column_lines={c: value_at(c) for c in sorted(named)}, **kwargs,
    )


def parse_sources(text: str, path: str = "<memory>", base: Path | None = None) -> SourcesConfig:
    """Parse sources TOML; relative paths are resolved against ``base`` (the file's folder)."""
    base = base if base is not None else Path(path).parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: invalid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"settings", "source"})
    if unknown:
        raise SourcesError(f"{path}: unknown top-level key {unknown[0]!r}")
    raw_sources = data.get("source")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{path}: no [[source]] tables found")
    sources, seen = [], set()
    for i, raw in enumerate(raw_sources):
        def where(key=None, i=i, raw=raw):
            sid = raw.get("id") or f"#{i + 1}"
            line = line_of(text, "source", i, key)
            return f"{path}:{line}: source {sid}" + (f", key {key!r}" if key else "")

        def value_at(value, i=i):
            return f"{path}:{value_line(text, 'source', i, value)}"

        src = _source(raw, where, base, value_at)
        if src.id in seen:
            raise SourcesError(f"{where('id')}: duplicate source id")
        seen.add(src.id)
        sources.append(src)
    return SourcesConfig(tuple(sources), _settings(data.get("settings", {}), path, text), path)


def load_sources(path: str | Path) -> SourcesConfig:
    """A sources TOML file, or a folder / table file taken as a single source."""
    path = Path(path)
    if path.is_dir():
        return SourcesConfig((Source(id=_slug(path), kind="folder", path=path),), path=str(path))
    if path.suffix.lower() == ".toml":
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourcesError(f"{path}: cannot read sources file: {exc.strerror}") from exc
        return parse_sources(text, str(path), path.parent)
    fmt = table_format(path)
    if fmt and path.is_file():
        return SourcesConfig(
            (Source(id=_slug(path), kind="table", path=path, format=fmt,
                    columns={"text": ("text",), "title": ("title",), "date": ("date",),
                             "url": ("url",)}),),
            path=str(path),
        )
    raise SourcesError(f"{path}: not a folder, a sources .toml file or a csv/jsonl/parquet table")


def _slug(path: Path) -> str:
    name = path.resolve().name.split(".")[0].lower()
    return re.sub(r"[^a-z0-9_\-]+", "-", name).strip("-") or "source"
