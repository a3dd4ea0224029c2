import gzip
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.sources_config import (
    Settings,
    Source,
    SourcesError,
    load_sources,
    parse_sources,
)
from analytics.ingest.pipeline import ingest
from analytics.sources.local import read_folder, read_table
from analytics.sources.registry import read_source
from analytics.store.articles import ArticleStore

RUN = date(2025, 6, 5)


def _cfg(tmp_path, body):
    (tmp_path / "sources.toml").write_text(body)
    return load_sources(tmp_path / "sources.toml")


def test_folder_source_reads_seed_format_and_quarantines_bad_files(tmp_path):
    (tmp_path / "a.txt").write_text("date 2025-06-01 Drones hit a depot. More.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("---\ntitle: B\ndate: 2025-06-02\n---\nBody.")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "skip.csv").write_text("not included")
    cfg = load_sources(tmp_path)
    batch = read_folder(cfg.sources[0], cfg.settings)
    assert batch.rows_read == 4 and batch.status == "degraded"
    assert sorted(batch.parsed["title"]) == ["B", "Drones hit a depot."]
    reasons = dict(zip(batch.quarantine["location"], batch.quarantine["reason"], strict=True))
    assert reasons[str(tmp_path / "empty.txt")] == "empty file"
    assert "binary" in reasons[str(tmp_path / "bin.txt")]


def test_oversized_file_is_quarantined_unread(tmp_path):
    (tmp_path / "big.txt").write_text("date 2025-06-01 " + "x" * 5000)
    cfg = load_sources(tmp_path)
    batch = read_folder(cfg.sources[0], Settings(max_file_bytes=1000))
    assert batch.parsed.is_empty()
    assert batch.quarantine["reason"][0].startswith("file too large")


def test_csv_table_with_ragged_rows_and_gzip(tmp_path):
    csv_text = (
        "link,headline,date,body\n"
        "https://x.org/1,One,2025-06-01T10:00:00Z,\"Body one, with comma\"\n"
        "https://x.org/2,Two,2025-06-02\n"
        "https://x.org/3,Three,NA,Body three\n"
        "https://x.org/4,Four,2025-06-03,Body four,extra\n"
        "https://x.org/5,Five,2025-06-04,\n"
    )
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(csv_text.encode()))
    cfg = _cfg(tmp_path, """
[[source]]
id = "press"
kind = "table"
path = "t.csv.gz"
columns = { text = "body", title = "headline", date = "date", url = "link" }
null_values = ["NA"]
""")
    batch = read_table(cfg.sources[0], cfg.settings)
    assert batch.rows_read == 5
    assert batch.parsed["title"].to_list() == ["One", "Three"]
    assert batch.parsed["published_at"][1] is None  # NA -> null, the date policy decides
    loc = str(tmp_path / "t.csv.gz")
    reasons = dict(zip(batch.quarantine["location"], batch.quarantine["reason"], strict=True))
    assert reasons == {f"{loc}:3": "expected 4 fields, got 3",
                       f"{loc}:5": "expected 4 fields, got 5", f"{loc}:6": "empty text"}


def test_jsonl_table_joins_text_columns(tmp_path):
    (tmp_path / "t.jsonl").write_text(
        '{"title": "Sanctions", "summary": "EU adds banks.", "date": "2025-06-01"}\n'
        "{not json}\n"
        '{"title": "Drones", "summary": "Swarm seen.", "date": "2025-06-02", "n": 3}\n'
    )
    cfg = _cfg(tmp_path, """
[[source]]
id = "feed-export"
kind = "table"
path = "t.jsonl"
columns = { text = ["title", "summary"], date = "date" }
""")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["text"].to_list() == ["Sanctions\n\nEU adds banks.", "Drones\n\nSwarm seen."]
    assert batch.quarantine["reason"][0].startswith("invalid JSON")
    # unmapped fields are kept as metadata
    assert batch.parsed["metadata"].to_list() == ['{"n":null}', '{"n":"3"}']


def test_missing_mapped_column_fails_the_source_with_its_name(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    cfg = _cfg(tmp_path, '[[source]]\nid = "x"\nkind = "table"\npath = "t.csv"\ncolumns = { text = "body" }\n')
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.status == "failed" and "['body']" in batch.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[source]]\nid = "x"\nkind = "tabel"\npath = "t.csv"\n', "sources.toml:3: source x, key 'kind'"),
        ('[[source]]\nid = "x"\nkind = "table"\npath = "t.txt"\ncolumns = { text = "b" }\n', "key 'format'"),
        ('[[source]]\nid = "x"\nkind = "table"\npath = "t.csv"\n', "needs columns.text"),
        ('[[source]]\nid = "x"\nkind = "folder"\npath = "."\n[[source]]\nid = "x"\nkind = "folder"\npath = "."\n',
         "sources.toml:6: source x, key 'id': duplicate"),
        ('[settings]\non_missing_date = "guess"\n[[source]]\nid = "x"\nkind = "folder"\npath = "."\n',
         "on_missing_date"),
        ('[settings]\ndask_address = "http://x"\n[[source]]\nid = "x"\nkind = "folder"\npath = "."\n',
         "key 'dask_address': expected tcp://HOST:PORT"),
        ('[settings]\nnear_duplicate_window_days = 0\n[[source]]\nid = "x"\nkind = "folder"\npath = "."\n',
         "key 'near_duplicate_window_days': expected a whole number of days >= 1"),
    ],
)
def test_sources_file_errors(body, message):
    with pytest.raises(SourcesError, match=message.replace("[", r"\[")):
        parse_sources(body, "sources.toml")


def test_accounting_rows_in_equal_stored_plus_duplicates_plus_quarantined(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("date 2025-06-01 Drones hit a depot.")
    (src / "a-copy.txt").write_text("date 2025-06-02 Drones hit a depot.")
    (src / "future.txt").write_text("date 2030-01-01 From the future.")
    (src / "nodate.md").write_text("# Title\n\nNo date here.")
    (src / "empty.txt").write_text("")
    cfg = load_sources(src)
    store = ArticleStore(tmp_path / "data")
    batches = [read_source(s, cfg.settings) for s in cfg.sources]
    first = ingest(batches, store, run_date=RUN, settings=cfg.settings)
    assert first.rows_read == 5
    assert (first.new, first.duplicates, first.quarantined) == (1, 1, 3)
    assert first.rows_read == first.new + first.duplicates + first.quarantined
    assert first.added == 1
    # a rerun of the same run date: same accounting, nothing stored twice
    again = ingest(batches, store, run_date=RUN, settings=cfg.settings)
    assert (again.new, again.duplicates, again.quarantined, again.added) == (1, 1, 3, 0)
    # the next day the same inputs are all known: 0 new
    later = ingest(batches, store, run_date=date(2025, 6, 6), settings=cfg.settings)
    assert (later.new, later.duplicates, later.quarantined, later.added) == (0, 2, 3, 0)
    assert store.read().height == 1
    assert pl.read_parquet(store.quarantine_dir / "run_date=2025-06-05.parquet").height == 3


def test_settings_dask_address():
    cfg = parse_sources('[settings]\ndask_address = "tcp://127.0.0.1:8786"\n'
                        '[[source]]\nid = "x"\nkind = "folder"\npath = "."\n', "s.toml")
    assert cfg.settings.dask_address == "tcp://127.0.0.1:8786"



def _odd_entries(folder, suffix):
    (folder / f"dangling{suffix}").symlink_to(folder / f"nowhere{suffix}")
    (folder / f"loop1{suffix}").symlink_to(folder / f"loop2{suffix}")
    (folder / f"loop2{suffix}").symlink_to(folder / f"loop1{suffix}")
    os.mkfifo(folder / f"pipe{suffix}")


@pytest.mark.timeout(30)  # a FIFO that is opened blocks the reader for ever
def test_links_and_fifos_in_a_folder_are_quarantined_with_a_reason(tmp_path):
    """Issue 16, case 7: they were skipped silently, outside the accounting."""
    (tmp_path / "a.txt").write_text("date 2025-06-05\nAllies agreed on air defence.\n")
    _odd_entries(tmp_path, ".txt")
    batch = read_folder(Source("f", "folder", path=tmp_path), Settings())
    assert batch.rows_read == batch.parsed.height + batch.quarantine.height == 5
    reasons = dict(zip((Path(p).name for p in batch.quarantine["location"]),
                       batch.quarantine["reason"], strict=True))
    assert reasons["dangling.txt"].startswith("dangling symbolic link")
    assert reasons["loop1.txt"].startswith("symbolic link loop")
    assert reasons["pipe.txt"].startswith("not a regular file")


@pytest.mark.timeout(30)
def test_a_fifo_among_feed_files_is_not_opened(tmp_path):
    from analytics.sources.web import read_feed

    _odd_entries(tmp_path, ".xml")
    batch = read_feed(Source("feeds", "feed", path=tmp_path), Settings())
    assert batch.rows_read == batch.quarantine.height == 4 and batch.parsed.height == 0
