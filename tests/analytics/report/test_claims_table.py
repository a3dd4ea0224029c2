"""The latest stated level and target per actor: the table builder and the PDF page."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.report.claims_table import distinct, latest_levels, levels_rows
from analytics.report.writer import write_report
from tests import helpers as h


def _claims(rows):
    cols = ["article_id", "value", "target_year", "actor", "kind"]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return schema.conform(df.with_columns(claim_type=pl.lit("defense_spending_gdp"),
                                          unit=pl.lit("percent_gdp"),
                                          snippet=pl.lit("A sentence.")), "claims")


def _articles(days):
    return schema.conform(pl.DataFrame({
        "article_id": list(days), "title": [f"Article {a}" for a in days],
        "published_at": [datetime(2023, 1, d, tzinfo=UTC) for d in days.values()],
    }), "articles")


CLAIMS = _claims([
    ("old", 1.4, None, "Poland", "current"),
    ("new", 4.1, 2023, "Poland", "current"),
    ("new", 4.5, 2024, "Poland", "target"),
    ("mid", 5.0, 2026, "Poland", "pledge"),
    ("old", 2.0, None, "NATO", "pledge"),
    ("mid", 4.0, 1985, "Poland", "historical"),
    ("new", 3.0, None, None, "current"),
])
ARTICLES = _articles({"old": 2, "mid": 10, "new": 20})


def test_latest_level_and_target_per_actor():
    table = latest_levels(CLAIMS, ARTICLES)
    assert table.schema == pl.Schema(schema.CLAIM_LEVELS)
    assert table.select("actor", "current_value", "current_year", "current_article_id",
                        "target_value", "target_year", "target_kind",
                        "target_article_id").rows() == [
        ("NATO", None, None, None, 2.0, None, "pledge", "old"),
        ("Poland", 4.1, 2023, "new", 4.5, 2024, "target", "new"),
    ]
    assert levels_rows(table)[1] == ["Poland", "4.1%", "2023-01-20", "Article new", "4.5%",
                                     "2024", "target", "2023-01-20"]


def test_claims_without_kind_give_no_rows():
    assert latest_levels(CLAIMS.drop("kind"), ARTICLES).is_empty()
    assert latest_levels(schema.empty("claims"), ARTICLES).schema == pl.Schema(
        schema.CLAIM_LEVELS)


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory):
    pdftotext = h.require_tool("pdftotext")
    articles = h.articles()
    claims = _claims([("a0", 5.0, 2035, "NATO", "pledge"), ("a2", 2.1, None, "Norway",
                                                             "current")])
    files = write_report(tmp_path_factory.mktemp("levels") / "2025-07-01",
                         tables={"articles": articles, "claims": claims},
                         topic_labels=h.TOPIC_LABELS, summary=h.summary(), parallel=False)
    return subprocess.run([pdftotext, "-layout", str(files.pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_the_pdf_shows_the_table(pdf_text):
    assert "Latest stated level and target by actor" in pdf_text
    rows = [" ".join(line.split()) for line in pdf_text.splitlines()]
    assert any(r.startswith("NATO") and "5% 2035 pledge 2025-06-02" in r for r in rows)
    assert any(r.startswith("Norway 2.1% 2025-06-12") for r in rows)


# The RSS run (2023-07-01): one Guardian article states the UK's 2.5% twice (a "pledge to
# lift defence spending from 2.1% to 2.5%", then "lifting defence spending to 2.5% ... an
# ambition"); two Bloomberg posts carry one sentence under two titles.
UK = "“It does not answer ...,” Lammy said, arguing that the government’s long term pledge to lift defence spending from 2.1% to 2.5% of GDP was not credible."
POSTS = ["NATO countries may agree as soon as this summer to spend at least 2% of their economic output on defense.",
         "They may agree as soon as this summer to spend at least 2% of their economic output on defense."]


def _said(rows):
    cols = ["article_id", "value", "target_year", "actor", "kind", "snippet"]
    return schema.conform(pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        claim_type=pl.lit("defense_spending_gdp"), unit=pl.lit("percent_gdp")), "claims")


def test_a_claim_stated_twice_is_listed_once():
    claims = _said([
        ("uk", 2.1, None, "United Kingdom", "current", UK),
        ("uk", 2.5, None, "United Kingdom", "pledge", UK),
        ("uk", 2.5, None, "United Kingdom", "target", "Lifting defence spending to 2.5% of GDP was “an ambition over time” he added."),
        ("b1", 2.0, None, "NATO", "target", POSTS[0]),
        ("b2", 2.0, None, "NATO", "target", POSTS[1]),
        ("b3", 2.0, None, "NATO", "target", "NATO members should spend a minimum of 2% of GDP on defense."),
        ("b3", 2.0, 2024, "NATO", "target", "By 2024, NATO members should spend 2% of GDP."),
        ("re", 2.0, None, "NATO", "target", "A repost's sentence."),
    ])
    articles = schema.conform(pl.DataFrame({
        "article_id": ["uk", "b1", "b2", "b3", "re"],
        "duplicate_of": [None, None, None, None, "b3"]}), "articles")
    kept = distinct(claims, articles)
    assert kept.select("article_id", "value", "target_year", "kind").rows() == [
        ("uk", 2.1, None, "current"), ("uk", 2.5, None, "pledge"),
        ("b1", 2.0, None, "target"), ("b3", 2.0, None, "target"), ("b3", 2.0, 2024, "target")]
    assert distinct(kept, articles).equals(kept)  # the report may apply it twice
    assert distinct(claims.drop("snippet")).height == 7  # within each article only
