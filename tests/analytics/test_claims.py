import polars as pl
import pytest

from analytics import schema
from analytics.claims import extract_claims, sentence_claims


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("allies will reach the initial goal of spending 2% of GDP on defense this year.", [(2.0, None)]),
        ("NATO members agreed to spend 3.5 percent of gross domestic product on defence by 2035.", [(3.5, 2035)]),
        ("The two per cent of GDP defence spending target is a floor.", [(2.0, None)]),
        ("Allies committed to invest five per cent of GDP in defence by 2035.", [(5.0, 2035)]),
        ("Germany will raise military spending from 2% to 3.5% of GDP by 2029.", [(2.0, 2029), (3.5, 2029)]),
        ("Poland spends 4.1% of its GDP on its armed forces.", [(4.1, None)]),
        ("Allies pledged to spend 1.5% of their economies on defence-related infrastructure.", [(1.5, None)]),
    ],
)
def test_spending_levels(sentence, expected):
    assert sentence_claims(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Inflation in the euro area rose to 2% as defence stocks rallied.",
        "The budget deficit reached 3% of GDP despite higher military pay.",
        "A poll found 55% of voters back NATO membership.",
        "The economy grew 2.1% while the army recruited more soldiers.",
        "Unemployment fell to 5 per cent.",
    ],
)
def test_other_percentages_are_not_claims(sentence):
    assert sentence_claims(sentence) == []


def test_extract_claims_table():
    arts = pl.DataFrame({"article_id": ["a", "b"], "title": ["", ""], "text": [
        "Intro. Allies agreed to spend 5% of GDP on defence by 2035. Inflation was 2%.",
        "Nothing here about money.",
    ]})
    claims = extract_claims(arts)
    assert claims.schema == pl.Schema(schema.CLAIMS)
    assert claims.select("article_id", "value", "target_year").rows() == [("a", 5.0, 2035)]
    assert claims["snippet"][0] == "Allies agreed to spend 5% of GDP on defence by 2035."


def test_empty():
    assert extract_claims(schema.empty("articles")).schema == pl.Schema(schema.CLAIMS)
