from datetime import UTC, date, datetime

import polars as pl
import pytest

from analytics.ingest.dates import apply_date_policy, parse_dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-06-24T17:30:00Z", datetime(2022, 6, 24, 17, 30, tzinfo=UTC)),
        ("2022-06-24T17:30:00+02:00", datetime(2022, 6, 24, 15, 30, tzinfo=UTC)),
        ("2025-06-04", datetime(2025, 6, 4, tzinfo=UTC)),
        ("Mon, 06 Sep 2021 16:45:00 +0200", datetime(2021, 9, 6, 14, 45, tzinfo=UTC)),
        ("Mon, 06 Sep 2021 16:45:00 GMT", datetime(2021, 9, 6, 16, 45, tzinfo=UTC)),
        ("2022-01-01T25:00:00Z", None),
        ("2022-13-99", None),
        ("10000-01-01", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_dates(raw, expected):
    got = pl.select(parse_dates(pl.lit(raw, dtype=pl.String))).item()
    assert got == expected


def _rows(dates):
    return pl.DataFrame(
        {"source": "s", "location": [f"f:{i}" for i in range(len(dates))], "date_raw": dates}
    ).with_columns(published_at=parse_dates(pl.col("date_raw")))


def test_policy_quarantines_missing_future_and_ancient_dates():
    df = _rows(["2025-06-04", None, "garbage", "1989-12-31", "2025-06-06", "2025-06-05T23:59:00Z"])
    kept, bad = apply_date_policy(df, run_date=date(2025, 6, 5))
    assert kept["location"].to_list() == ["f:0", "f:5"]
    reasons = dict(zip(bad["location"], bad["reason"], strict=True))
    assert reasons["f:1"] == "missing publication date"
    assert reasons["f:2"].startswith("unparseable publication date garbage")
    assert reasons["f:3"].startswith("publication date before 1990-01-01")
    assert reasons["f:4"].startswith("publication date after the run date 2025-06-05")
    assert kept.height + bad.height == df.height


def test_policy_can_impute_the_run_date():
    kept, bad = apply_date_policy(_rows([None, "2025-06-01"]), run_date=date(2025, 6, 5),
                                  on_missing_date="run_date")
    assert bad.is_empty()
    assert kept["date_imputed"].to_list() == [True, False]
    assert kept["published_at"][0] == datetime(2025, 6, 5, tzinfo=UTC)
