"""Every bad-input fixture through the real readers and store: the fixture's header says
what it tests and what must happen; rows in = stored + duplicates + quarantined."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.sources_config import Settings, Source, table_format
from analytics.ingest.pipeline import ingest
from analytics.sources.registry import read_source
from analytics.store.articles import ArticleStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad_input"
RUN = date(2025, 6, 5)


def _load(path: Path) -> tuple[dict[str, str], bytes]:
    raw = path.read_bytes()
    head, _, payload = raw.partition(b"# ---\n")
    fields = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.lstrip("# ").partition(": ")
        fields[key] = value
    return fields, payload


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.fixture")), ids=lambda p: p.stem)
def test_bad_input(fixture, tmp_path):
    fields, payload = _load(fixture)
    assert fields["Description"], "every fixture says what it tests"
    expect = dict(kv.split("=", 1) for kv in fields["Expect"].split(" ") if "=" in kv)
    expect["reason"] = fields["Expect"].split("reason=", 1)[1] if "reason=" in fields["Expect"] else ""
    settings = Settings(**{k: int(v) for k, v in (kv.split("=") for kv in
                                                   fields.get("Settings", "").split() if kv)})
    src_dir = tmp_path / "in"
    src_dir.mkdir()
    target = src_dir / fields["As"]
    target.write_bytes(payload)
    fmt = table_format(target)
    source = (Source(id="t", kind="table", path=target, format=fmt,
                     columns={"text": ("text",), "title": ("title",), "date": ("date",),
                              "url": ("url",)})
              if fmt else Source(id="t", kind="folder", path=src_dir))
    store = ArticleStore(tmp_path / "data")
    result = ingest([read_source(source, settings)], store, run_date=RUN, settings=settings)

    assert result.rows_read == result.new + result.duplicates + result.quarantined
    assert (result.new, result.duplicates, result.quarantined) == (
        int(expect["stored"]), int(expect["duplicates"]), int(expect["quarantined"]))
    if expect["reason"]:
        assert any(expect["reason"] in r for r in result.quarantine["reason"]), result.quarantine
        assert all(r for r in result.quarantine["location"])
    stored = store.read()
    assert stored.height == int(expect["stored"])
    text = "\n".join(stored["title"].to_list() + stored["text"].to_list())
    if "replacements" in expect:
        assert "".join(stored["text"]).count("\ufffd") == int(expect["replacements"])
    if "contains" in expect:
        assert expect["contains"] in text
    for bad in expect.get("absent", "").split(",") if expect.get("absent") else []:
        assert bad not in text
    if "near" in expect:
        assert stored["duplicate_of"].is_not_null().sum() == int(expect["near"])
    # whatever was stored survives a Parquet round trip unchanged
    path = tmp_path / "roundtrip.parquet"
    stored.write_parquet(path)
    assert pl.read_parquet(path).equals(stored)


HOSTILE_NAMES = [
    "..%2F..%2Fetc%2Fpasswd.txt",
    "CON.txt",
    "nul\u0000byte.txt".replace("\u0000", "_"),  # a NUL cannot be in a file name; its stand-in
    "a" * 240 + ".txt",
    "report\u202egnp.txt",  # right-to-left override
    " leading and trailing .txt",
    "$(rm -rf ~).txt",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_file_names_are_only_locations(name, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / name).write_text("date 2025-06-01 Drones struck a depot.")
    store = ArticleStore(tmp_path / "data")
    settings = Settings()
    result = ingest([read_source(Source(id="t", kind="folder", path=src), settings)], store,
                    run_date=RUN, settings=settings)
    assert result.new == 1
    row = store.read().row(0, named=True)
    assert row["location"] == str(src / name)
    assert len(row["article_id"]) == 16 and row["article_id"].isalnum()
    assert sorted(p.name for p in (tmp_path / "data" / "articles").iterdir()) == ["month=2025-06"]


def test_symlink_out_of_the_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("date 2025-06-01 Secret text outside the source folder.")
    src = tmp_path / "in"
    src.mkdir()
    os.symlink(secret, src / "link.txt")
    batch = read_source(Source(id="t", kind="folder", path=src), Settings())
    assert batch.parsed.is_empty()
    assert batch.quarantine["reason"].to_list() == ["path resolves outside the source folder"]


MISSING_COLUMN = FIXTURES / "missing_column"


def missing_column_project(tmp_path: Path) -> Path:
    """The ``missing_column`` fixture copied to ``tmp_path``, with its Parquet table written
    from its CSV (a real Parquet file, not a binary fixture); the sources file's path."""
    for f in MISSING_COLUMN.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    pl.read_csv(tmp_path / "wire.csv").write_parquet(tmp_path / "wire.parquet")
    return tmp_path / "sources.toml"


@pytest.mark.parametrize(("bad", "line", "columns"), [
    ("wire-csv", 15, "the file's columns: "),
    ("wire-jsonl", 26, "the keys of its records: "),
    ("wire-parquet", 33, "the file's columns: "),
])
def test_a_missing_mapped_column_fails_its_source_only(tmp_path, bad, line, columns):
    from analytics.contracts.sources_config import load_sources

    sources = missing_column_project(tmp_path)
    config = load_sources(sources)
    store = ArticleStore(tmp_path / "data")
    batches = [read_source(s, config.settings) for s in config.sources]
    result = ingest(batches, store, run_date=RUN, settings=config.settings)
    outcome = {o.source: o for o in result.sources}
    assert outcome["good"].status == "ok"
    failed = outcome[bad]
    assert failed.status == "failed"
    path = next(s.path for s in config.sources if s.id == bad)
    assert failed.message.startswith(f"{path}: mapped column not in the file: 'published' "
                                     f"(columns.date, {sources}:{line}; did you mean "
                                     "'published_at'?)"), failed.message
    listed = failed.message.split(columns)[1]
    assert set(listed.split(", ")) == {"headline", "body", "published_at", "link"}
    # every row of the good source is stored, none of the failed ones
    stored = store.read()
    assert sorted(stored["url"]) == [f"https://example.org/good/{i}" for i in (1, 2, 3)]
    assert result.quarantine.filter(pl.col("source") == bad)["reason"].to_list() == [
        failed.message.removeprefix(f"{path}: ")]
