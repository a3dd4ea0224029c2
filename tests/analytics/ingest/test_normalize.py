from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.ingest.normalize import (
    clean_text,
    normalize_url,
    split_exact_duplicates,
    to_articles,
)


def _parsed(rows):
    base = {"source": "s", "guid": None, "language": None}
    return pl.DataFrame([{**base, **r} for r in rows], schema=schema.PARSED)


def _row(i, url=None, text="Allies agreed. More text.", day=1):
    return {"location": f"f:{i}", "url": url, "title": f"t{i}", "text": text,
            "published_at": datetime(2025, 6, day, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.org/news/1/?utm_source=x&b=2&a=1#top", "https://example.org/news/1?b=2&a=1"),
        ("https://www.bbc.co.uk/news/uk-61226431?at_medium=RSS&at_campaign=KARANGA", "https://bbc.co.uk/news/uk-61226431"),
        ("https://x.org/a?id=5&utm_medium=rss", "https://x.org/a?id=5"),
        ("https://x.org", "https://x.org/"),
        ("  ", None),
        (None, None),
        ("not a url", "not a url"),
    ],
)
def test_normalize_url(url, expected):
    assert pl.select(normalize_url(pl.lit(url, dtype=pl.String))).item() == expected


def test_clean_text_strips_markup_and_scripts():
    out = pl.select(clean_text(pl.lit('Hi <b>there</b><script>alert(1)</script> <img src=x onerror="x()">end'))).item()
    assert "<" not in out and "alert" not in out and "onerror" not in out
    assert out == "Hi there end"


def test_ids_are_stable_and_url_based_when_possible():
    arts = to_articles(_parsed([_row(0, url="https://a.org/x?utm_medium=rss"), _row(1)]))
    again = to_articles(_parsed([_row(0, url="https://a.org/x"), _row(1)]))
    assert arts["article_id"].to_list() == again["article_id"].to_list()
    assert arts["article_id"][1] == arts["content_hash"][1]
    schema.validate(arts, "articles")


def test_exact_duplicates_by_url_and_by_text():
    arts = to_articles(_parsed([
        _row(0, url="https://a.org/1", text="Story one.", day=2),
        _row(1, url="https://a.org/1?utm_source=feed", text="Story one, updated.", day=3),
        _row(2, url="https://b.org/other", text="STORY   one.", day=4),
        _row(3, text="Something else entirely."),
    ]))
    firsts, dups = split_exact_duplicates(arts)
    assert firsts["location"].to_list() == ["f:3", "f:0"]
    assert dups.height == 2
    assert set(dups["duplicate_of"]) == {firsts.filter(pl.col("location") == "f:0")["article_id"][0]}
    assert firsts.height + dups.height == arts.height  # dedup never adds or loses rows


def test_duplicates_of_stored_articles():
    arts = to_articles(_parsed([_row(0, url="https://a.org/1"), _row(1, text="New one.")]))
    known = arts.head(1).select("article_id", "content_hash")
    firsts, dups = split_exact_duplicates(arts, known)
    assert firsts["location"].to_list() == ["f:1"] and dups["location"].to_list() == ["f:0"]
