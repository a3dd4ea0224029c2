"""Spending-target claims: real-world phrasings (from the corpora and NATO texts) and
percentages that are not spending levels."""

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.topics.claims import extract_claims, sentence_claims

POSITIVES = [
    # (sentence, [(value, target_year, actor)])
    ("I expect that most, if not all, allies will reach the initial goal of spending 2% of GDP on defense this year.", [(2.0, None, "Allies")]),
    ("NATO members agreed to spend 3.5 percent of gross domestic product on core defence by 2035.", [(3.5, 2035, "NATO allies")]),
    ("The two per cent of GDP defence spending target is a floor, not a ceiling.", [(2.0, None, None)]),
    ("Allies committed to invest five per cent of GDP in defence and security by 2035.", [(5.0, 2035, "Allies")]),
    ("Germany will raise military spending from 2% to 3.5% of GDP by 2029.", [(2.0, 2029, "Germany"), (3.5, 2029, "Germany")]),
    ("Poland spends 4.1% of its GDP on its armed forces.", [(4.1, None, "Poland")]),
    ("Allies pledged to spend 1.5% of their economies on defence-related infrastructure and resilience.", [(1.5, None, "Allies")]),
    ("The new PM has not matched a Liz Truss target to spend 3% of national wealth on defence.", [(3.0, None, None)]),
    ("The German Parliament backed a €13 billion envelope to modernize the Bundeswehr, but it will be insufficient to reach the 2% of GDP target required by NATO.", [(2.0, None, "NATO")]),
    ("NATO Secretary General Jens Stoltenberg said allies are pushing to strengthen the alliance’s target of spending 2% of output on defense.", [(2.0, None, "NATO")]),
    ("NATO countries may agree as soon as this summer to spend at least 2% of their economic output on defense.", [(2.0, None, "NATO allies")]),
    ("NATO members should spend a minimum of 2% of GDP on defense, German Defense Minister Boris Pistorius told reporters.", [(2.0, None, "NATO allies")]),
    ("Some member countries are pushing to go beyond a 2%-of-GDP ratio they must spend on weapons by 2024.", [(2.0, 2024, None)]),
    ("Cypriot president pledges 2% of GDP on defense spending.", [(2.0, None, None)]),
    ("The president of Cyprus says he will earmark 2% of gross domestic product to defense spending in line with other European Union member states.", [(2.0, None, "Cyprus")]),
    ("The UK will spend an extra £5bn on its military and aim to lift defence spending to 2.5% of GDP.", [(2.5, None, "United Kingdom")]),
    ("The government’s long term pledge to lift defence spending from 2.1% to 2.5% of GDP was criticised.", [(2.1, None, None), (2.5, None, None)]),
    ("Lifting defence spending to 2.5% of GDP was “an ambition over time” he added.", [(2.5, None, None)]),
    ("Poland plans to increase its military budget to above 4% of GDP this year.", [(4.0, None, "Poland")]),
    ("Ukraine’s allies should raise their annual defense spending to 2.5% of gross domestic product, a top official in Estonia said.", [(2.5, None, "Allies")]),
    ("Warsaw’s military expenditure set to reach 4% of GDP this year as autumn elections focus on resisting Russian aggression.", [(4.0, None, None)]),
    ("Norway to Reach NATO 2% Spending Target by 2026, Premier Says.", [(2.0, 2026, "NATO")]),
    ("Norway plans to reach a NATO defense-spending target of 2% of gross domestic product by 2026.", [(2.0, 2026, "NATO")]),
    ("Defence funding as a share of the economy is expected to grow from 2.04% now to 2.3% in a decade’s time.", [(2.04, None, None), (2.3, None, None)]),
    ("Ben Wallace calls for a firm timetable for increasing military spending to 2.5% of GDP.", [(2.5, None, None)]),
    ("The bloc's chief urged countries to spend at least 2% of GDP on defence as soon as possible.", [(2.0, None, None)]),
    ("Germany will increase its defense budget to a record, helping it meet a NATO target of spending at least 2% of output annually on the military.", [(2.0, None, "NATO")]),
    ("NATO Pledges to Spend at Least 2% of GDP on Defense.", [(2.0, None, "NATO")]),
    ("NATO allies have agreed to a new pledge to spend at least 2% of GDP on defense.", [(2.0, None, "NATO allies")]),
    ("Rishi Sunak will call on the UK's NATO allies to commit to spending a minimum of 2% of their GDP on defence.", [(2.0, None, "NATO allies")]),
    ("Ottawa still spends only a pathetic 1.38% of GDP on defense.", [(1.38, None, None)]),
    ("Canada has committed to reach the two percent target for defence spending by 2032.", [(2.0, 2032, "Canada")]),
    ("Spain, which spends 1.3 per cent of GDP on defence, won an exemption from the new goal.", [(1.3, None, "Spain")]),
    ("Allies agreed at The Hague to spend 3.5 per cent of GDP on core defence requirements and 1.5 per cent on broader security by 2035.", [(3.5, 2035, "Allies")]),
    ("Trump demanded that European allies spend five percent of their GDP on defense.", [(5.0, None, "European allies")]),
    ("Lithuania will spend between 5 and 6 per cent of GDP on defence from next year.", [(5.0, None, "Lithuania"), (6.0, None, "Lithuania")]),
    ("The Baltic states already spend more than 3% of gross domestic product on their militaries.", [(3.0, None, None)]),
    ("Japan plans to double defence spending to 2% of GDP by fiscal year 2027.", [(2.0, 2027, "Japan")]),
    ("Russia's military spending reached about 6% of GDP, the highest since Soviet times.", [(6.0, None, "Russia")]),
    ("Denmark will bring forward its goal of meeting NATO's 2% guideline to 2023.", [(2.0, 2023, "NATO")]),
    ("Ukraine spends about a third of its budget on the army, roughly 26 percent of GDP on defence.", [(26.0, None, "Ukraine")]),
    ("Italy, at 1.5% of gross domestic product, is among the allies furthest from the defence target.", [(1.5, None, "Italy")]),
    ("Sweden will raise its defence budget to 2.6 per cent of GDP in 2028.", [(2.6, 2028, "Sweden")]),
]

NEGATIVES = [
    "Inflation in the euro area rose to 2% as defence stocks rallied.",
    "The budget deficit reached 3% of GDP despite higher military pay.",
    "A poll found 55% of voters back NATO membership.",
    "The economy grew 2.1% while the army recruited more soldiers.",
    "China said its defense spending would grow by 7.2% this year.",
    "‘Multiple threats’: Macron raises France’s military budget 40%.",
    "India’s defense budget saw a modest growth of 5.5% ahead of elections.",
    "A 1% of GDP increase in NATO defense spending is equivalent to a 24% increase in Russia’s.",
    "Borrowing reaches 98.9% of GDP as the defence ministry asks for more.",
    "Luxembourg has allocated 15% of its defense budget to our defenders.",
    "Ukraine Poll Shows 40% Back NATO Bid Without Occupied Regions.",
    "The bill includes some military aid for Ukraine and a 5% pay rise for military personnel.",
    "Israel's Iron Dome has an intercept rate of about 90%, according to the military.",
    "Rheinmetall targeted an operating margin of roughly 12% after military demand rose.",
    "Russia plans to increase its military budget by 70% in 2024.",
    "Europeans must decide to lose 1.5% of GDP today to stop the horde, the defence adviser said.",
    "The Armed Forces' combat capability has grown by 12.8 percent.",
    "The war took away 35% of Ukraine's GDP.",
    "Defence expenditure to rise by 7.2 per cent in 2023 compared with 5 per cent target for GDP.",
]


@pytest.mark.parametrize(("sentence", "expected"), POSITIVES)
def test_spending_levels(sentence, expected):
    assert sentence_claims(sentence) == expected


@pytest.mark.parametrize("sentence", NEGATIVES)
def test_other_percentages_are_not_claims(sentence):
    assert sentence_claims(sentence) == []


def test_table_sizes():
    assert len(POSITIVES) >= 40 and len(NEGATIVES) >= 15


def test_extract_claims_table():
    arts = pl.DataFrame({"article_id": ["a", "b"], "title": ["", ""], "text": [
        "Intro. Allies agreed to spend 5% of GDP on defence by 2035. Inflation was 2%. "
        "Allies agreed to spend 5% of GDP on defence by 2035.",
        "Nothing here about money.",
    ]})
    claims = extract_claims(arts)
    assert claims.schema == pl.Schema(schema.CLAIMS)
    assert claims.select("article_id", "value", "target_year", "actor").rows() == [
        ("a", 5.0, 2035, "Allies")]
    assert claims["snippet"][0] == "Allies agreed to spend 5% of GDP on defence by 2035."


def test_empty():
    assert extract_claims(schema.empty("articles")).schema == pl.Schema(schema.CLAIMS)
