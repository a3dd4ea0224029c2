"""``extract_claims``: the claims table, published dates, article context and repeats.
(The phrasings themselves are in ``test_claims_phrasings.py``.)"""

from datetime import UTC, date, datetime

import polars as pl

from analytics.contracts import schema
from analytics.topics.claims import KINDS, article_claims, extract_claims, sentence_claims


def _articles(texts, titles=None, published=None):
    df = pl.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))],
                       "title": titles or [""] * len(texts), "text": texts})
    if published is not None:
        df = df.with_columns(pl.Series("published_at", published,
                                       dtype=pl.Datetime("us", "UTC")))
    return df


def test_extract_claims_table():
    arts = _articles([
        "Intro. Allies agreed to spend 5% of GDP on defence by 2035. Inflation was 2%. "
        "Allies agreed to spend 5% of GDP on defence by 2035.",
        "Nothing here about money.",
    ])
    claims = extract_claims(arts)
    assert claims.schema == pl.Schema(schema.CLAIMS)
    assert claims.select("article_id", "value", "target_year", "actor", "kind").rows() == [
        ("a0", 5.0, 2035, "NATO", "pledge")]
    assert claims["snippet"][0] == "Allies agreed to spend 5% of GDP on defence by 2035."
    assert set(claims["kind"]) <= set(KINDS)


def test_relative_years_resolve_from_published_at():
    text = ["Poland will spend 4.7% of GDP on defence next year, up from 4.1% this year."]
    with_date = extract_claims(_articles(text, published=[datetime(2024, 9, 1, tzinfo=UTC)]))
    assert with_date.select("value", "target_year", "kind").rows() == [
        (4.7, 2025, "pledge"), (4.1, 2024, "current")]
    without = extract_claims(_articles(text))  # no published_at column: years stay null
    assert without["target_year"].to_list() == [None, None]


def test_null_published_at_leaves_relative_years_null():
    text = ["Romania aims to lift defence spending to 2.5% of GDP by the end of the decade."]
    claims = extract_claims(_articles(text * 2, published=[datetime(2023, 5, 1, tzinfo=UTC),
                                                           None]))
    assert claims.select("article_id", "target_year").rows() == [("a0", 2030), ("a1", None)]


def test_title_makes_a_sentence_about_defence():
    text = ["The Treasury said the country spends 1.2% of GDP."]
    assert extract_claims(_articles(text, titles=["Pensions squeeze"])).is_empty()
    found = extract_claims(_articles(text, titles=["Belgium's armed forces short of cash"]))
    assert found.select("value", "actor", "kind").rows() == [(1.2, "Belgium", "current")]


def test_actor_from_the_sentence_before():
    claims = article_claims("Defence budget", "Oslo said on Friday it would double the "
                            "budget. It will reach 3% of GDP by 2036.", date(2025, 1, 1))
    assert [(c.value, c.actor, c.target_year, c.kind) for c in claims] == [
        (3.0, "Norway", 2036, "pledge")]


def test_same_value_of_different_kinds_is_kept():
    claims = extract_claims(_articles([
        "NATO allies have agreed to a new pledge to spend at least 2% of GDP on defense, "
        "firming up the alliance's previous goal to move toward the 2% guideline."]))
    assert claims.select("value", "kind").rows() == [(2.0, "pledge"), (2.0, "target")]


def test_us_the_pronoun_is_no_actor():
    assert sentence_claims("Let us spend 2% of GDP on defence.") == [
        (2.0, None, None, "target")]
    assert sentence_claims("The US spends 3.4% of GDP on defense.") == [
        (3.4, None, "United States", "current")]


def test_empty():
    assert extract_claims(schema.empty("articles")).schema == pl.Schema(schema.CLAIMS)
    assert extract_claims(_articles(["No percentages here."])).schema == pl.Schema(
        schema.CLAIMS)
