"""Table contracts: every problem of a frame reported together, naming the columns."""

import polars as pl
import pytest

from analytics.contracts import schema


@pytest.mark.parametrize("table", sorted(schema.TABLES))
def test_empty_frames_have_the_contract(table):
    df = schema.empty(table)
    assert df.is_empty() and df.schema == pl.Schema(schema.TABLES[table])
    assert schema.validate(df, table).equals(df)


def test_validate_reports_all_problems_at_once():
    df = pl.DataFrame({"source": ["s"], "location": [3], "extra": [1]})
    with pytest.raises(schema.SchemaError) as err:
        schema.validate(df, "quarantine")
    message = str(err.value)
    assert "missing column 'reason'" in message
    assert "column 'location' is Int64, expected String" in message
    assert "unexpected columns ['extra']" in message


def test_non_strict_drops_extras_and_orders_columns():
    df = pl.DataFrame({"reason": ["r"], "extra": [1], "location": ["f:1"], "source": ["s"]})
    out = schema.validate(df, "quarantine", strict=False)
    assert out.columns == ["source", "location", "reason"]


def test_conform_casts_and_adds_nulls_or_names_the_bad_column():
    df = pl.DataFrame({"article_id": ["a"], "topic_id": ["t"], "mentions": [3]})
    out = schema.conform(df, "topic_mentions")
    assert out.schema == pl.Schema(schema.TOPIC_MENTIONS) and out["evidence"][0] is None
    with pytest.raises(schema.SchemaError, match="column 'mentions' cannot be cast"):
        schema.conform(df.with_columns(mentions=pl.lit("many")), "topic_mentions")
