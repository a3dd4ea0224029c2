import gzip
import os
import re
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
    table_format,
)
from analytics.ingest.pipeline import ingest
from analytics.sources.local import check_table, read_folder, read_table, table_columns
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
    (tmp_path / "t.csv").write_text("a,Body\n1,2\n")
    cfg = _cfg(tmp_path, '[[source]]\nid = "x"\nkind = "table"\npath = "t.csv"\ncolumns = { text = "body" }\n')
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.status == "failed"
    assert batch.message == (
        f"{tmp_path / 't.csv'}: mapped column not in the file: 'body' (columns.text, "
        f"{tmp_path / 'sources.toml'}:5; did you mean 'Body'?); the file's columns: a, Body")


def test_check_table_reads_only_the_header(tmp_path):
    """A header with a BOM in a .csv.gz, a Parquet schema, a JSONL file's first records:
    enough to see a missing column; rows past the header are not parsed (a ragged row and
    a body over the size cap do not matter)."""
    body = "\ufeffheadline,text\nOne,Body\nragged\n" + "x" * 2_000_000
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(body.encode()))
    pl.DataFrame({"headline": ["One"], "text": ["Body"]}).write_parquet(tmp_path / "t.parquet")
    (tmp_path / "t.jsonl").write_text('{"headline": "One", "text": "Body"}\n{"extra": 1}\n')
    for name in ("t.csv.gz", "t.parquet", "t.jsonl"):
        ok = Source(id="x", kind="table", path=tmp_path / name, format=table_format(tmp_path / name),
                    columns={"text": ("text",), "title": ("headline",)})
        assert check_table(ok) is None, name
        bad = Source(id="x", kind="table", path=ok.path, format=ok.format,
                     columns={"text": ("txt",)}, extra_columns=("n",))
        message = check_table(bad)
        assert message is not None and message.startswith(
            "mapped columns not in the file: 'txt' (columns.text; did you mean 'text'?); "
            "'n' (extra_columns); "), message
    assert table_columns(bad) == (["headline", "text", "extra"], "the keys of its first 2 records")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    junk = Source(id="x", kind="table", path=tmp_path / "junk.parquet", format="parquet",
                  columns={"text": ("text",)})
    assert check_table(junk).startswith("cannot read its header: ")


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


def _table_cfg(tmp_path, name, settings="", columns='{ text = "text", title = "title" }'):
    return _cfg(tmp_path, f"[settings]\n{settings}\n[[source]]\nid = \"t\"\nkind = \"table\"\n"
                          f"path = \"{name}\"\ncolumns = {columns}\n")


def _write_table(path, rows, fmt):
    df = pl.DataFrame(rows, schema={"title": pl.String, "text": pl.String}, orient="row")
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "jsonl":
        df.write_ndjson(path)
    else:
        df.write_parquet(path, row_group_size=2)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_table_rows_over_the_text_cap_are_quarantined_with_a_reason(tmp_path, fmt):
    """Issue 16, case 6: as for feed entries and pages, a row whose title and text pass
    ``max_text_chars`` is quarantined with the same reason; the other rows are stored."""
    _write_table(tmp_path / f"t.{fmt}", [("One", "short text"), ("Two", "y" * 996),
                                         ("Three", "also short")], fmt)
    cfg = _table_cfg(tmp_path, f"t.{fmt}", "max_text_chars = 998",
                     '{ text = ["title", "text"] }')  # joined: "Two\n\nyyy..." is 1001
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["text"].to_list() == ["One\n\nshort text", "Three\n\nalso short"]
    loc = str(tmp_path / f"t.{fmt}")
    where = f"{loc}#row-2" if fmt == "parquet" else f"{loc}:{3 if fmt == 'csv' else 2}"
    assert batch.quarantine.rows() == [("t", where, "text too long: 1001 characters > cap 998")]
    assert batch.rows_read == 3 and batch.status == "degraded"


def test_a_parquet_row_group_over_the_byte_cap_is_quarantined_unread(tmp_path):
    """Issue 16, case 6: the cap is on what the row groups decompress to (by the footer),
    not on the compressed file: one that passes it is quarantined, the others read."""
    rows = [(f"T{i}", f"text {i}") for i in range(1, 7)]
    rows[2] = ("T3", "z" * 200_000)  # row group 2 (rows 3-4): compresses to a few bytes
    _write_table(tmp_path / "t.parquet", rows, "parquet")
    assert (tmp_path / "t.parquet").stat().st_size < 5_000
    cfg = _table_cfg(tmp_path, "t.parquet", "max_file_bytes = 100_000")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["title"].to_list() == ["T1", "T2", "T5", "T6"]
    loc = str(tmp_path / "t.parquet")
    assert batch.parsed["location"].to_list() == [f"{loc}#row-{i}" for i in (1, 2, 5, 6)]
    ((_, where, reason),) = batch.quarantine.rows()
    assert where == f"{loc}#row-group-2"
    assert reason.startswith("row group 2 of t.parquet (rows 3-4): ")
    assert reason.endswith("bytes decompressed > cap 100000; not read")
    assert batch.rows_read == 5 and batch.status == "degraded"


def test_parquet_row_groups_past_the_files_cap_are_quarantined(tmp_path):
    """Row groups are read while what they decompress to stays under ``max_file_bytes``
    in all; the rest of the file is quarantined row group by row group."""
    _write_table(tmp_path / "t.parquet", [(f"T{i}", f"{i}" * 30_000) for i in range(6)], "parquet")
    cfg = _table_cfg(tmp_path, "t.parquet", "max_file_bytes = 150_000")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed.height == 4
    assert batch.quarantine["location"].to_list() == [f"{tmp_path / 't.parquet'}#row-group-3"]
    assert "would take the file past its cap 150000" in batch.quarantine["reason"][0]


@pytest.mark.parametrize(("fmt", "gz"), [("csv", False), ("jsonl", False), ("csv", True)])
def test_a_line_over_the_record_cap_is_quarantined_unread(tmp_path, fmt, gz):
    """Issue 16, case 6: a record longer than 6 x ``max_text_chars`` cannot hold an article
    under the cap; it is skipped to its end and quarantined at its line, not held whole."""
    huge = "x" * 50_000  # the limit is 6,000 characters
    if fmt == "csv":
        body = ('title,text\nOne,"first\nspans two lines"\n'
                f"Two,{huge}\nThree,third\n")
    else:
        body = ('{"title": "One", "text": "first\\nspans two lines"}\n'
                f'{{"title": "Two", "text": "{huge}"}}\n\n{{"title": "Three", "text": "third"}}\n')
    name = f"t.{fmt}" + ".gz" * gz
    data = body.encode()
    (tmp_path / name).write_bytes(gzip.compress(data) if gz else data)
    cfg = _table_cfg(tmp_path, name, "max_text_chars = 1000")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["title"].to_list() == ["One", "Three"]
    assert batch.parsed["text"][0] == "first\nspans two lines"
    loc = str(tmp_path / name)
    line = 4 if fmt == "csv" else 2  # the CSV's first record spans lines 2-3
    assert batch.quarantine.rows() == [
        ("t", f"{loc}:{line}", "record too long: over 6000 characters (6 x max_text_chars); "
                               "not read")]
    first, last = (2, 5) if fmt == "csv" else (1, 4)  # a blank JSONL line before "Three"
    assert batch.parsed["location"].to_list() == [f"{loc}:{first}", f"{loc}:{last}"]


def test_a_truncated_gzip_table_or_file_fails_naming_the_file(tmp_path):
    """Issue 16, case 6: a .gz that ends early (EOFError, not an OSError) is a damaged
    compressed file, named, for a table source and a folder source alike."""
    whole = gzip.compress(b"title,text\n" + b"One,some text\n" * 20_000)
    (tmp_path / "t.csv.gz").write_bytes(whole[: len(whole) // 2])
    cfg = _table_cfg(tmp_path, "t.csv.gz")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.status == "failed"
    assert batch.quarantine["reason"][0].startswith("damaged compressed file t.csv.gz: ")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt.gz").write_bytes(whole[: len(whole) // 2])
    folder = Source(id="notes", kind="folder", path=tmp_path / "notes", include=("*.gz",))
    batch = read_source(folder, Settings())
    assert batch.quarantine["reason"][0].startswith("damaged compressed file a.txt.gz: ")


def test_a_parquet_row_group_of_repeated_dictionary_values_is_measured_decoded(tmp_path):
    """A value repeated through a dictionary page is stored once: the footer's sizes are
    small, the rows decode to much more; measured after decoding, the row group is not
    kept (and never copied value by value)."""
    rows = [("T1", "first")] + [("Rep", "r" * 900)] * 2000 + [("T3", "third")]
    pl.DataFrame(rows, schema={"title": pl.String, "text": pl.String}, orient="row"
                 ).write_parquet(tmp_path / "t.parquet")  # one row group
    cfg = _table_cfg(tmp_path, "t.parquet", "max_file_bytes = 200_000")
    batch = read_source(cfg.sources[0], cfg.settings)
    ((_, where, reason),) = batch.quarantine.rows()
    assert where == f"{tmp_path / 't.parquet'}#row-group-1"
    assert "once its repeated (dictionary) values are decoded, past the file's cap 200000" in reason
    assert batch.parsed.is_empty()


def test_a_one_row_parquet_row_group_over_the_caps_by_its_footer_is_not_read(tmp_path):
    """polars copies a one-row column's value at every operation (4 x its size; the
    issue's 3 x 400 MB strings in three row groups: 1.7 GB), so a row group of one row
    whose footer already shows its title and text over 4 bytes a character of the cap,
    or the row over the record cap (``RECORD_FACTOR`` x the cap, as for CSV and JSONL),
    is quarantined unread; a row under those sizes is read and measured as before."""
    df = pl.DataFrame({"title": ["One", "Two", "Three", "Four"],
                       "text": ["short", "z" * 20_000, "short", "y" * 1_500],
                       "note": ["", "", "n" * 40_000, ""]})
    df.write_parquet(tmp_path / "t.parquet", row_group_size=1)
    cfg = _table_cfg(tmp_path, "t.parquet", "max_text_chars = 1000")
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["title"].to_list() == ["One"]
    loc = str(tmp_path / "t.parquet")
    reasons = dict(batch.quarantine.select("location", "reason").iter_rows())
    assert reasons.keys() == {f"{loc}#row-2", f"{loc}#row-3", f"{loc}#row-4"}
    assert re.fullmatch(r"text too long: \d+ bytes by the file's footer, over 1000 "
                        r"characters; not read", reasons[f"{loc}#row-2"])
    assert re.fullmatch(r"record too long: \d+ bytes by the file's footer, over 6 x "
                        r"max_text_chars characters; not read", reasons[f"{loc}#row-3"])
    assert reasons[f"{loc}#row-4"] == "text too long: 1504 characters > cap 1000"  # read
    assert batch.rows_read == 4
    df.write_parquet(tmp_path / "t.parquet")  # one row group: read, the same rows kept
    batch = read_source(cfg.sources[0], cfg.settings)
    assert batch.parsed["title"].to_list() == ["One"]
    reasons = dict(batch.quarantine.select("location", "reason").iter_rows())
    assert reasons == {f"{loc}#row-2": "text too long: 20003 characters > cap 1000",
                       f"{loc}#row-3": "record too long: 40010 bytes, over 6 x max_text_chars "
                                       "characters; not kept",
                       f"{loc}#row-4": "text too long: 1504 characters > cap 1000"}


def test_an_article_file_over_the_text_cap_is_quarantined(tmp_path):
    (tmp_path / "a.txt").write_text("date 2025-06-01 Short one.")
    (tmp_path / "b.txt").write_text("date 2025-06-01 " + "Long. " * 300)
    cfg = load_sources(tmp_path)
    batch = read_folder(cfg.sources[0], Settings(max_text_chars=1000))
    assert batch.parsed["text"].to_list() == ["Short one."]
    assert batch.quarantine.rows()[0][1] == str(tmp_path / "b.txt")
    assert batch.quarantine["reason"][0].startswith("text too long: ")
    assert batch.quarantine["reason"][0].endswith(" characters > cap 1000")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_double_encoded_utf8_in_a_table_is_repaired_per_value(tmp_path, fmt):
    """A table exported through a cp1252 step ("CafÃ©") reads as the text it was; a value
    that is correct UTF-8 ("Café") stays as it is."""
    import json

    broken = "Café in Zürich".encode().decode("cp1252")
    rows = [{"title": broken, "text": "Ministers met at the café", "date": "2024-01-02"}]
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        pl.DataFrame(rows).write_csv(path)
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    src = Source(id="t", kind="table", path=path, format=fmt,
                 columns={"title": ("title",), "text": ("text",), "date": ("date",)})
    batch = read_source(src, Settings())
    assert batch.status == "ok", batch.message
    assert batch.parsed["title"].to_list() == ["Café in Zürich"]
    assert batch.parsed["text"].to_list() == ["Ministers met at the café"]
