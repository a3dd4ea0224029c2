"""The source-kind registry: every kind of the contract has a reader, and read_source
reaches each one; a reader that fails becomes a failed batch, not a crash."""

from __future__ import annotations

from analytics.contracts.sources_config import KIND_RULES, KINDS, Settings, Source
from analytics.sources.registry import READERS, read_source


def test_every_kind_of_the_contract_has_a_reader():
    assert set(READERS) == set(KIND_RULES) == set(KINDS)


def test_read_source_reads_each_local_kind(tmp_path):
    (tmp_path / "a.txt").write_text("date 2025-06-05\nAllies agreed on air defence.\n")
    (tmp_path / "t.csv").write_text("text,date\nA text about drones.,2025-06-05\n")
    folder = read_source(Source("f", "folder", path=tmp_path), Settings())
    table = read_source(Source("t", "table", path=tmp_path / "t.csv", format="csv",
                               columns={"text": ("text",), "date": ("date",)}), Settings())
    assert (folder.kind, folder.status, folder.parsed.height) == ("folder", "ok", 1)
    assert (table.kind, table.status, table.parsed.height) == ("table", "ok", 1)


def test_a_reader_that_raises_gives_a_failed_batch_naming_the_source(tmp_path):
    missing = tmp_path / "nowhere"
    batch = read_source(Source("gone", "folder", path=missing), Settings())
    assert batch.status == "failed" and batch.rows_read == 0
    assert batch.quarantine.height == 1 and str(missing) in batch.message
