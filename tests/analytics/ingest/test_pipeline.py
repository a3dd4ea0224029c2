"""Ingestion in two steps — each source alone (``prepare_batch``, on a worker), then all
of them against the store — decides exactly what one pass over every row would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from analytics.contracts.sources_config import Settings
from analytics.ingest.normalize import split_exact_duplicates
from analytics.ingest.pipeline import ingest, prepare, prepare_batch
from analytics.sources.batch import PARSED_RAW, SourceBatch
from analytics.store.articles import ArticleStore

RUN = date(2025, 7, 1)
SETTINGS = Settings()


def _batch(source: str, rows: list[tuple[str | None, str, int | None]]) -> SourceBatch:
    """rows: (url, text, day of June 2025 or None: no date)."""
    parsed = pl.DataFrame(
        {"source": source, "location": [f"{source}:{i}" for i in range(len(rows))],
         "url": [u for u, _, _ in rows], "guid": None, "title": "",
         "published_at": [d and datetime(2025, 6, d, tzinfo=UTC) for _, _, d in rows],
         "text": [t for _, t, _ in rows], "language": "en", "metadata": None,
         "date_raw": [d and f"2025-06-{d:02d}" for _, _, d in rows]},
        schema=PARSED_RAW)
    return SourceBatch(source, "table", parsed, pl.DataFrame(
        schema={"source": pl.String, "location": pl.String, "reason": pl.String}),
        rows_read=len(rows))


def _batches() -> list[SourceBatch]:
    # A chain across sources: b0 repeats a0's URL, c0 repeats b0's text (not a0's); a2 is
    # a1's URL again within its source (new text, repeated by c2 later); c1 is a3's text
    # under another URL, a day earlier.
    return [
        _batch("a", [("https://x.org/1", "first story about air defence", 1),
                     ("https://x.org/2", "second story about drones", 2),
                     ("https://x.org/2?utm_source=feed", "second story, updated", 3),
                     ("https://x.org/3", "third story on sanctions", 4)]),
        _batch("b", [("https://x.org/1", "a rewritten text under the same link", 5),
                     (None, "fourth story on logistics", 6)]),
        _batch("c", [("https://y.org/9", "a rewritten text under the same link", 7),
                     ("https://y.org/3", "third story on sanctions", 3),
                     ("https://y.org/5", "second story updated", 8),
                     (None, "an undated row", None)]),
    ]


def test_prepared_sources_decide_as_one_pass(tmp_path):
    batches = _batches()
    one_pass, _ = prepare([b.parsed for b in batches], run_date=RUN, settings=SETTINGS)
    firsts, dups = split_exact_duplicates(one_pass)

    prepared = [prepare_batch(b, run_date=RUN, settings=SETTINGS) for b in batches]
    assert all(p.parsed.is_empty() and p.articles is not None for p in prepared)
    assert prepared[0].articles["text"].null_count() == 1  # its own URL copy, keys kept
    store = ArticleStore(tmp_path)
    result = ingest(prepared, store, run_date=RUN, settings=SETTINGS)

    stored = store.read().sort("article_id")
    assert_frame_equal(stored.drop("duplicate_of"),
                       firsts.sort("article_id").drop("duplicate_of"))
    assert result.duplicates == dups.height == 5
    assert result.new == firsts.height == 4
    assert result.quarantined == 1 and "missing publication date" in result.reasons()
    assert result.rows_read == 10 == result.new + result.duplicates + result.quarantined
    assert "https://y.org/3" in stored["url"].to_list()  # the earlier copy is the one kept


def test_unprepared_and_prepared_batches_give_the_same_store(tmp_path):
    plain = ArticleStore(tmp_path / "plain")
    ingest(_batches(), plain, run_date=RUN, settings=SETTINGS)
    prepared = ArticleStore(tmp_path / "prepared")
    ingest([prepare_batch(b, run_date=RUN, settings=SETTINGS) for b in _batches()], prepared,
           run_date=RUN, settings=SETTINGS)
    assert_frame_equal(plain.read(), prepared.read())


def test_read_prepared_reads_and_prepares_one_source(tmp_path):
    from analytics.contracts.sources_config import Settings, Source
    from analytics.ingest.pipeline import read_prepared

    (tmp_path / "a.txt").write_text("date 2025-06-05\nAllies agreed on air defence.\n")
    (tmp_path / "b.txt").write_text("date 2025-99-99\nA date that cannot be.\n")
    batch = read_prepared(Source("f", "folder", path=tmp_path), Settings(),
                          run_date=date(2025, 6, 6))
    assert batch.rows_parsed == 2 and batch.parsed.height == 0
    assert batch.articles is not None and batch.articles.height == 1
    assert batch.quarantine.height == 1 and "b.txt" in batch.quarantine["location"][0]
