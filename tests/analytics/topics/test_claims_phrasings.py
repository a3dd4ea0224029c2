"""The phrasings of spending claims, table-driven: value, actor, year and kind of each.

Written from sentences read in the shared corpora (world-news RSS 2022-23, Google News
headlines 2025-26, Kremlin and Zelenskyy releases, DVIDS, BBC 2004-05, AG News), lightly
paraphrased: another country, number or year, a clause moved. None is a sentence of the
labelled sample in ``bench/eval/claims_labels.csv`` (that one measures; this one builds).

Each row is ``(title, text, published, expected)``; ``expected`` lists every claim of the
article as ``(value, target_year, actor, kind)``. ``published`` None: relative years stay
null.
"""

import csv
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from analytics.topics.claims import article_claims

D22, D23, D25, D26 = date(2022, 6, 30), date(2023, 6, 15), date(2025, 7, 1), date(2026, 3, 2)

POSITIVES = [
    # --- current levels -------------------------------------------------------------------
    ("", "Poland spends 4.1% of its GDP on its armed forces.", None,
     [(4.1, None, "Poland", "current")]),
    ("", "Ottawa spends only 1.33% of GDP on defense, among the lowest in NATO.", None,
     [(1.33, None, "Canada", "current")]),
    ("", "Russia's military spending reached about 6% of GDP, the highest since the end of "
         "the Cold War.", None, [(6.0, None, "Russia", "current")]),
    ("", "Spain, which spends 1.3 per cent of GDP on defence, won an exemption from the new "
         "goal.", None, [(1.3, None, "Spain", "current")]),
    ("", "Italy, at 1.5% of gross domestic product, is among the allies furthest from the "
         "target.", None, [(1.5, None, "Italy", "current")]),
    ("", "The Baltic states already spend more than 3% of gross domestic product on their "
         "militaries.", None, [(3.0, None, "Baltic states", "current")]),
    ("", "Greek defence spending stood at 3.7% of GDP last year.", D23,
     [(3.7, 2022, "Greece", "current")]),
    ("", "Riga's military expenditure is set to reach 3.2% of GDP this year as the border "
         "fence goes up.", D23, [(3.2, 2023, "Latvia", "current")]),
    ("", "Ukraine spends about a third of its budget on the army, roughly 26 percent of GDP.",
     None, [(26.0, None, "Ukraine", "current")]),
    ("", "Defence spending in Belgium is currently 1.2pc of GDP.", None,
     [(1.2, None, "Belgium", "current")]),
    ("", "Britain spends 2.3 pc of GDP on defence.", None,
     [(2.3, None, "United Kingdom", "current")]),
    ("", "The Pentagon's budget amounts to 3.1% of GDP, the lowest share in decades.", None,
     [(3.1, None, "United States", "current")]),
    ("", "Only seven NATO allies met the 2% of GDP spending goal last year.", D23,
     [(2.0, 2022, "NATO", "target")]),
    # --- targets, goals, benchmarks --------------------------------------------------------
    ("", "The two per cent of GDP defence spending target is a floor, not a ceiling.", None,
     [(2.0, None, None, "target")]),
    ("", "Belgium to reach NATO 2% spending target by 2035, minister says", None,
     [(2.0, 2035, "Belgium", "target")]),
    ("", "Denmark plans to reach a NATO defense-spending target of 2% of gross domestic "
         "product by 2030.", None, [(2.0, 2030, "Denmark", "target")]),
    ("", "Helsinki quickly raises its budget to meet Nato's 2% of GDP target", None,
     [(2.0, None, "Finland", "target")]),
    ("", "The Belgian government backed a new envelope for the army, but it will be "
         "insufficient to reach the 2% of GDP target required by NATO.", None,
     [(2.0, None, "Belgium", "target")]),
    ("", "Italy's defence budget still falls short of the 2% benchmark.", None, [(2.0, None, "Italy", "target")]),
    ("", "Few capitals believe NATO's 5% goal is realistic, diplomats said.", None,
     [(5.0, None, "NATO", "target")]),
    ("", "Spending on defence hit 2.1% of GDP in 2024, NATO estimates show.", D25,
     [(2.1, 2024, None, "current")]),
    ("", "The alliance's 3.5% core defence target is too low, the Baltic states say.", None,
     [(3.5, None, "NATO", "target")]),
    ("", "Members are pushing to toughen the alliance's target of spending 2% of output on "
         "the military.", None, [(2.0, None, "NATO", "target")]),
    ("", "Several member states want to go beyond a 3%-of-GDP ratio they must spend on arms "
         "by 2025.", None, [(3.0, 2025, None, "target")]),
    ("Alliance ministers discuss future spending",
     "Several member states want to go beyond a 3%-of-GDP ratio they must spend on arms "
     "by 2025.", None, [(3.0, 2025, "NATO", "target")]),
    ("", "Japan plans to double defence spending to 2% of GDP by fiscal year 2027.", None,
     [(2.0, 2027, "Japan", "target")]),
    ("", "Romania aims to lift defence spending to 2.5% of GDP by the end of the decade.", D23,
     [(2.5, 2030, "Romania", "target")]),
    ("", "Portugal aims to lift defence spending to 2% of GDP by the end of the decade.", None,
     [(2.0, None, "Portugal", "target")]),
    ("", "Tokyo wants military spending to reach 2 percent of GDP within five years.", D22,
     [(2.0, 2027, "Japan", "target")]),
    ("", "Defence funding as a share of the economy is projected to rise from 1.9% now to "
         "2.4% within a decade.", D23,
     [(1.9, None, None, "current"), (2.4, 2033, None, "target")]),
    ("", "Latvia wants to take military spending from 2.25% of GDP to 3% by 2027.", None,
     [(2.25, None, "Latvia", "current"), (3.0, 2027, "Latvia", "target")]),
    ("", "Grant Shapps called for a clear timetable for raising defence spending to 2.5% of "
         "GDP.", None, [(2.5, None, "United Kingdom", "target")]),
    ("", "The bloc's chief urged countries to spend at least 2% of GDP on defence as soon as "
         "possible.", None, [(2.0, None, None, "target")]),
    ("", "Estonia's prime minister said allies should raise their defence spending to 2.5% of "
         "gross domestic product.", None, [(2.5, None, "NATO", "target")]),
    ("", "NATO allies should spend a minimum of 3% of GDP on defense, the Dutch defense "
         "minister told reporters.", None, [(3.0, None, "NATO", "target")]),
    ("", "Trump demanded that European allies spend five percent of their GDP on defense.",
     None, [(5.0, None, "European allies", "target")]),
    ("", "Keir Starmer will call on Britain's NATO allies to commit to spending at least 3% "
         "of their GDP on defence.", None, [(3.0, None, "NATO", "target")]),
    ("", "NATO members could agree next month to spend at least 3% of their economic output "
         "on defense.", None, [(3.0, None, "NATO", "target")]),
    ("", "Raising military spending to 3% of GDP remains \u201can ambition for the next "
         "parliament\u201d, she said.", None, [(3.0, None, None, "target")]),
    ("", "Lithuania plans to increase its military budget to above 3% of GDP next year.", D23,
     [(3.0, 2024, "Lithuania", "target")]),
    ("", "France will increase its defence budget to a record, helping it meet a NATO target "
         "of spending at least 2% of output every year.", None,
     [(2.0, None, "France", "target")]),
    ("", "Denmark will bring forward its goal of meeting NATO's 2% guideline to 2023.", None,
     [(2.0, 2023, "Denmark", "pledge")]),
    ("", "The chancellor has not matched a Boris Johnson target to spend 2.5% of national "
         "wealth on defence.", None, [(2.5, None, "United Kingdom", "target")]),
    ("", "Labour's goal is 2.5% of GDP for defence.", None, [(2.5, None, None, "target")]),
    ("", "Finland wants its allies to move toward 3% of GDP, Helsinki's defence minister said.",
     None, [(3.0, None, "NATO", "target")]),
    ("", "Defence spending should be 3 per cent of GDP in five years' time, the report "
         "recommends.", D25, [(3.0, 2030, None, "target")]),
    ("", "NATO's new benchmark of 5% of GDP was agreed in The Hague.", None,
     [(5.0, None, "NATO", "target")]),
    ("", "The UK currently spends 2.3% of GDP on defence and has promised to reach 2.5% by "
         "2027.", None, [(2.3, None, "United Kingdom", "current"),
                         (2.5, 2027, "United Kingdom", "pledge")]),
    ("", "Germany has pledged to spend 3.5% of GDP on defence by 2029, up from 2.1% now.", D25,
     [(3.5, 2029, "Germany", "pledge"), (2.1, None, "Germany", "current")]),
    # --- pledges ----------------------------------------------------------------------------
    ("", "NATO members agreed to spend 3.5 percent of gross domestic product on core defence "
         "by 2035.", None, [(3.5, 2035, "NATO", "pledge")]),
    ("", "Allies committed to invest five per cent of GDP in defence and security by 2035.",
     None, [(5.0, 2035, "NATO", "pledge")]),
    ("", "Germany will raise military spending from 2% to 3.5% of GDP by 2029.", None,
     [(2.0, None, "Germany", "current"), (3.5, 2029, "Germany", "pledge")]),
    ("", "Allies pledged to spend 1.5% of their economies on defence-related infrastructure "
         "and resilience.", None, [(1.5, None, "NATO", "pledge")]),
    ("", "Slovak premier pledges 2% of GDP on defence spending", None,
     [(2.0, None, "Slovakia", "pledge")]),
    ("", "The president of Croatia says he will earmark 2.5% of gross domestic product to "
         "defense spending.", None, [(2.5, None, "Croatia", "pledge")]),
    ("", "NATO pledges to spend at least 3.5% of GDP on defence", None,
     [(3.5, None, "NATO", "pledge")]),
    ("", "Allies have agreed to a new pledge to spend at least 3% of GDP on the military.",
     None, [(3.0, None, "NATO", "pledge")]),
    ("", "Canada has committed to reach the two percent target for defence spending by 2032.",
     None, [(2.0, 2032, "Canada", "pledge")]),
    ("", "Lithuania will spend between 5 and 6 per cent of GDP on defence from next year.",
     D25, [(5.0, 2026, "Lithuania", "pledge"), (6.0, 2026, "Lithuania", "pledge")]),
    ("", "Lithuania will spend between 5 and 6 per cent of GDP on defence from next year.",
     None, [(5.0, None, "Lithuania", "pledge"), (6.0, None, "Lithuania", "pledge")]),
    ("", "Sweden will raise its defence budget to 2.6 per cent of GDP in 2028.", None,
     [(2.6, 2028, "Sweden", "pledge")]),
    ("", "Chancellor Scholz promised to invest more than 2% of GDP in defence every year.",
     None, [(2.0, None, "Germany", "pledge")]),
    ("", "The Dutch cabinet vowed to lift defence spending to 2% of GDP this year.", D23,
     [(2.0, 2023, "Netherlands", "pledge")]),
    ("", "The government's pledge to take defence spending from 2.3% to 3% of GDP is not "
         "funded, the opposition said.", None,
     [(2.3, None, None, "current"), (3.0, None, None, "pledge")]),
    ("", "Allies agreed at The Hague to spend 3.5 per cent of GDP on core defence and 1.5 per "
         "cent on broader security by 2035.", None,
     [(3.5, 2035, "NATO", "pledge"), (1.5, 2035, "NATO", "pledge")]),
    ("", "NATO leaders agreed to spend 3.5% of GDP on defence by 2035 and a further 1.5% for "
         "infrastructure.", None,
     [(3.5, 2035, "NATO", "pledge"), (1.5, 2035, "NATO", "pledge")]),
    ("", "The Netherlands will spend 3.5% of GDP on its armed forces, plus another 1.5% for "
         "resilience.", None,
     [(3.5, None, "Netherlands", "pledge"), (1.5, None, "Netherlands", "pledge")]),
    ("", "By 2030, Spain will spend 2% of GDP on defence.", None,
     [(2.0, 2030, "Spain", "pledge")]),
    ("", "Britain will lift defence spending to 2.5pc of GDP by 2027 and 3pc by 2035.", None,
     [(2.5, 2027, "United Kingdom", "pledge"), (3.0, 2035, "United Kingdom", "pledge")]),
    ("", "Poland will raise defence spending from 3% of GDP to 4% next year.", D22,
     [(3.0, None, "Poland", "current"), (4.0, 2023, "Poland", "pledge")]),
    ("", "Australia will lift defence funding from 2% of GDP to 2.3%.", None,
     [(2.0, None, "Australia", "current"), (2.3, None, "Australia", "pledge")]),
    ("", "The alliance agreed to spend two and a half per cent of GDP.", None,
     [(2.5, None, "NATO", "pledge")]),
    ("", "Berlin signed up to NATO's goal of spending 3.5% of GDP on defence by 2029.", None,
     [(3.5, 2029, "Germany", "pledge")]),
    # --- security rather than defence -----------------------------------------------------
    ("", "Members will devote 1.5% of GDP to security and resilience by 2035.", None,
     [(1.5, 2035, None, "pledge")]),
    ("", "Italy plans to count bridges as security spending worth 1.5% of GDP.", None,
     [(1.5, None, "Italy", "target")]),
    ("", "Kyiv spends 30% of GDP on security.", None, [(30.0, None, "Ukraine", "current")]),
    # --- historical -----------------------------------------------------------------------
    ("", "During the Cold War, Britain spent more than 4% of GDP on defence.", None,
     [(4.0, None, "United Kingdom", "historical")]),
    ("", "In 1990, West Germany spent 2.7% of GDP on its military.", None,
     [(2.7, 1990, "Germany", "historical")]),
    ("", "In 2014 only three allies spent 2% of GDP on defence.", D25,
     [(2.0, 2014, "NATO", "historical")]),
    ("", "France once spent 3% of gross domestic product on its armed forces.", None,
     [(3.0, None, "France", "historical")]),
    ("", "Back in the 1980s the US spent about 6% of GDP on defense.", None,
     [(6.0, None, "United States", "historical")]),
    # --- the sentence has no defence word; the article around it does ----------------------
    ("Opposition says defence cuts were never reversed",
     "Ministers announced extra money for the armed forces. Threats are increasing but here "
     "we are staying on a peacetime budget, he said, calling for a rapid move to 3% of GDP.",
     None, [(3.0, None, None, "target")]),
    ("Canada lags its NATO allies",
     "Ottawa still spends a meagre 1.29% of GDP.", None,
     [(1.29, None, "Canada", "current")]),
    ("Federal budget lifts defence funding over decade",
     "Spending includes $19bn over four years for Australia's submarines and northern bases. "
     "The share of the economy is expected to grow from 2.0% now to 2.4% in a decade's time.",
     D23, [(2.0, None, "Australia", "current"), (2.4, 2033, "Australia", "target")]),
    ("Belgium's military is short of money",
     "The government spends 1.1% of GDP, the report found.", None,
     [(1.1, None, "Belgium", "current")]),
    ("Defence review: what the numbers say",
     "Italy expected to announce a €5bn increase for 2025 while Estonia plans to raise "
     "its budget to 3.4% of GDP this year.", D23, [(3.4, 2023, "Estonia", "target")]),
    # --- actors by clause, by title, by the sentence before -------------------------------
    ("", "The Czech government backed new tanks for the army, and Prague aims for 2% of GDP by 2024.",
     None, [(2.0, 2024, "Czech Republic", "target")]),
    ("", "While Hungary stalls, Romania will spend 2.5% of GDP on defence this year.", D23,
     [(2.5, 2023, "Romania", "pledge")]),
    ("", "Germany sent more weapons to Ukraine as Berlin committed to spend 2% of GDP.", None,
     [(2.0, None, "Germany", "pledge")]),
    ("Starmer urged to raise defence spending by Finland",
     "The new PM has not matched his predecessor's target to spend 3% of GDP on defence.",
     None, [(3.0, None, "United Kingdom", "target")]),
    ("Turkey boosts its army",
     "Ankara's defence ministry said the country will spend 2.2% of GDP next year.", D23,
     [(2.2, 2024, "Türkiye", "pledge")]),
    ("", "Military aid to Ukraine counts towards the target, and Denmark will reach 2.4% of GDP by "
         "2025.", None, [(2.4, 2025, "Denmark", "pledge")]),
    ("Norway's new defence plan",
     "Oslo said on Friday it would double its budget. It will reach 3% of GDP by 2036.",
     None, [(3.0, 2036, "Norway", "pledge")]),
    # --- actors: the country that spends, not a country named as the threat -------------
    ("Opposition says the review falls short",
     "Downing Street unveiled extra money for the forces. Britain will buy more shells, the UK "
     "defence secretary said. A Tory MP cited Russian aggression and the rise of China. We are "
     "still on a peacetime budget, he said, calling for a quick move to 3% of GDP.", None,
     [(3.0, None, "United Kingdom", "target")]),
    # the speaker's country: the one the article is about, when the sentences before are silent
    ("Defence review criticised",
     "Downing Street set out the review on Monday. Britain will buy more shells, Whitehall "
     "said. The UK has sent tanks to Ukraine. An opposition MP spoke next. He cited the rise "
     "of China. We are on a peacetime budget, he said, calling for 2.5% of GDP.", None,
     [(2.5, None, "United Kingdom", "target")]),
    ("", "China's growing assertiveness is why Australia will spend 2.3% of GDP on defence.",
     None, [(2.3, None, "Australia", "pledge")]),
    ("", "Iran's nuclear threat has led Israel to spend 5% of GDP on its military.", None,
     [(5.0, None, "Israel", "current")]),
    ("", "Russia's invasion pushed Lithuania to commit 3% of GDP to defence.", None,
     [(3.0, None, "Lithuania", "target")]),
    ("", "Turkey's war on Kurdish militants aside, Ankara spends 1.5% of GDP on defence.", None,
     [(1.5, None, "Türkiye", "current")]),
    # the spender is still the spender next to threat words of its own
    ("", "Russia, at war for a second year, spends 6% of GDP on its army.", None,
     [(6.0, None, "Russia", "current")]),
    ("", "Japan's rise to 2% of GDP will make it a top military spender.", None,
     [(2.0, None, "Japan", "current")]),
    # only the threat is named: no actor rather than the wrong one
    ("", "Citing the rise of China, the minister called for defence spending of 3% of GDP.", None,
     [(3.0, None, None, "target")]),
    ("Defence chiefs warn",
     "Facing an aggressive Russia, the country must spend 2.5% of GDP on its army.", None,
     [(2.5, None, None, "target")]),
    ("", "Wary of Russia, the government will spend 2.5% of GDP on defence.", None,
     [(2.5, None, None, "pledge")]),
    # an article about two countries equally does not tell whose the claim is
    ("", "France and Germany met on Monday. Paris and Berlin agreed on tanks. Officials spoke "
         "later. The talks ran long. We need more, he said, calling for defence spending of 2% of GDP.",
     None, [(2.0, None, None, "target")]),
]

NEGATIVES = [
    # (title, text): percentages that are not levels of defence spending
    ("", "Inflation in the euro area rose to 2% as defence stocks rallied."),
    ("", "The budget deficit reached 3% of GDP despite higher military pay."),
    ("", "A poll found 55% of voters back NATO membership."),
    ("", "The economy grew 2.1% while the army recruited more soldiers."),
    ("", "China said its defense spending would grow by 7.2% this year."),
    ("", "Macron raises France's military budget 40%"),
    ("", "India's defense budget saw a modest growth of 5.5% ahead of elections."),
    ("", "A 1% of GDP increase in NATO defense spending is equivalent to a 24% increase in "
         "Russia's."),
    ("", "Borrowing reaches 98.9% of GDP as the defence ministry asks for more."),
    ("", "Luxembourg has allocated 15% of its defense budget to our defenders."),
    ("", "Ukraine poll shows 40% back NATO bid without occupied regions."),
    ("", "The bill includes military aid for Ukraine and a 5% pay rise for military "
         "personnel."),
    ("", "The Iron Dome has an intercept rate of about 90%, according to the military."),
    ("", "Rheinmetall targeted an operating margin of roughly 12% after military demand rose."),
    ("", "Russia plans to increase its military budget by 70% in 2024."),
    ("", "Europeans must decide to lose 1.5% of GDP today to stop the horde, the defence "
         "adviser said."),
    ("", "The war took away 30% of Ukraine's GDP last year."),
    ("", "Defence expenditure to rise by 7.2 per cent in 2023 compared with 5 per cent target "
         "for GDP."),
    ("", "China announces low GDP growth target of 'around 5 percent' and increase in "
         "military spending."),
    ("", "Trump threatens tariffs of 50% on countries supplying military weapons to Iran."),
    ("", "The defence minister's party won 31% of the vote."),
    ("", "Only 33% of Americans approve of the US military operation, a poll finds."),
    ("", "Public debt of the NATO member is below 50% of GDP, the defence ministry said."),
    ("", "The farm sector generates just 12 per cent of GDP, the army's chief economist said."),
    ("Defence budget squeeze",
     "Cameroon's energy subsidy swelled to 3% of GDP last year."),
    ("NATO summit", "Government spending on R&D, as a percentage of GDP, has never been lower."),
    ("", "European defense stocks rally after Trump comments on Ukraine; Saab adds 5%."),
    ("", "Thailand will slash the number of army generals by 50% over the next four years."),
    ("", "The Israeli military says it controls 40% of Gaza City."),
    ("", "The Armed Forces' combat capability has grown by 12.8 percent."),
    ("", "Germany's defence budget rises 2% a year in real terms."),
    ("", "Japan looks to boost defense budget by 13% and add new missiles"),
    ("", "A military tax of 1.5% is part of the new system, the defence ministry said."),
    ("", "Interest rates of 5% weigh on defence contractors."),
    ("NATO allies and the cost of war",
     "Power cuts cost the country $28 billion a year, almost 2% of its GDP."),
    ("Defence firms report profits",
     "Boeing reported a 78 percent jump in earnings despite a decline in airplane revenue."),
    ("", "Defence spending is also set to rise by 3.9%, to reach $842bn."),
    ("", "Defence spending will rise 2.5 percentage points of GDP over a decade."),
]


def test_apart_from_the_labelled_sample():
    """No phrasing is a sentence of the labelled sample (compared by its hash)."""
    labels = Path(__file__).parents[3] / "bench" / "eval" / "claims_labels.csv"
    with labels.open(newline="") as f:
        sample = {row["hash"] for row in csv.DictReader(f)}
    ours = {" ".join(part.split()) for title, text, *_ in POSITIVES + NEGATIVES
            for part in (title, *re.split(r"(?<=[.!?])\s+", text)) if part}
    assert not {hashlib.sha1(s.encode()).hexdigest()[:10] for s in ours} & sample


def _claims(title, text, published):
    return [(c.value, c.target_year, c.actor, c.kind)
            for c in article_claims(title, text, published)]


@pytest.mark.parametrize(("title", "text", "published", "expected"), POSITIVES)
def test_claim(title, text, published, expected):
    assert sorted(set(_claims(title, text, published)), key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(("title", "text"), NEGATIVES)
def test_not_a_claim(title, text):
    assert _claims(title, text, D23) == []


def test_table_sizes():
    assert len(POSITIVES) >= 80 and len(NEGATIVES) >= 25
    kinds = {k for *_, expected in POSITIVES for *_, k in expected}
    assert kinds == {"current", "target", "pledge", "historical"}
