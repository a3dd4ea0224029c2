"""``topicwatch export``: the whole-store tables a report no longer copies, on request."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from analytics.contracts.taxonomy import load_taxonomy
from analytics.report.export import TABLES, ExportError, export_tables
from analytics.store.articles import ArticleStore
from analytics.store.derived import DerivedStore
from flows.cli import app
from tests.analytics.store.test_derived import DAYS, TEXTS, _articles

TAXONOMY = Path(__file__).resolve().parents[2] / "seeds" / "taxonomy.toml"


@pytest.fixture
def store(tmp_path) -> Path:
    data = tmp_path / "data"
    store = ArticleStore(data)
    store.add(_articles(TEXTS, DAYS))
    derived = DerivedStore(store, load_taxonomy(TAXONOMY))
    for month in derived.stale_months():
        derived.update_month(month)
    return data


def test_export_writes_the_store_tables_as_the_flow_reads_them(store, tmp_path):
    written = export_tables(str(store), tmp_path / "out", taxonomy=TAXONOMY)
    assert set(written) == set(TABLES)
    articles = pl.read_parquet(written["articles"])
    assert articles.height == len(TEXTS) and "text" not in articles.columns
    mentions, claims = DerivedStore(ArticleStore(store), load_taxonomy(TAXONOMY)).read(
        ArticleStore(store).read())
    assert_frame_equal(pl.read_parquet(written["topic_mentions"]), mentions)
    assert_frame_equal(pl.read_parquet(written["claims"]), claims)
    assert claims.height >= 2  # 3.5% by 2030, 2%: a test that can see a wrong table
    # No theme fit in this store: empty tables of the contract, not an error.
    assert pl.read_parquet(written["article_themes"]).is_empty()


def test_export_as_csv_with_text(store, tmp_path):
    written = export_tables(str(store), tmp_path / "out", taxonomy=TAXONOMY, fmt="csv",
                            tables=("articles",), with_text=True)
    assert list(written) == ["articles"] and written["articles"].suffix == ".csv"
    assert set(pl.read_csv(written["articles"])["text"]) == set(TEXTS)


def test_export_refuses_what_it_cannot_give(store, tmp_path):
    with pytest.raises(ExportError, match="unknown table.*nope"):
        export_tables(str(store), tmp_path / "out", tables=("nope",))
    with pytest.raises(ExportError, match="no stored articles"):
        export_tables(str(tmp_path / "empty"), tmp_path / "out")
    other = tmp_path / "other.toml"  # another taxonomy: the store's topics are not its own
    other.write_text(TAXONOMY.read_text() +
                     '\n[[topic]]\nid = "extra_topic"\nlabel = "Extra"\nphrases = ["extra cue"]\n')
    with pytest.raises(ExportError, match="not tagged with this taxonomy"):
        export_tables(str(store), tmp_path / "out", taxonomy=other, tables=("topic_mentions",))


def test_cli_export(store, tmp_path):
    result = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--data-dir", str(store),
                                      "--taxonomy", str(TAXONOMY), "--format", "csv",
                                      "--table", "claims"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "claims.csv").is_file()
    bad = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--format", "xls"])
    assert bad.exit_code == 2 and "parquet or csv" in bad.output
