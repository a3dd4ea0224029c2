"""Extract defence-spending levels stated as a share of GDP ("2% of GDP", "two per cent").

polars finds the few articles that can hold a claim (a percentage near "GDP" or near
defence-spending words); a Python pass then reads their sentences one by one. A
percentage counts only when it is a level of defence or military spending: tied to GDP
("of GDP", "of gross domestic product", "of their economies") or to a spending target,
in a sentence about defence, and not about inflation, growth, deficits, polls or taxes.
"""

from __future__ import annotations

import re

import polars as pl

from analytics import schema
from analytics.tagging import document

CLAIM_TYPE = "defense_spending_gdp"
UNIT = "percent_gdp"

_WORD_NUMBERS = {
    "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
    "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0,
}
_WORDNUM = "|".join(_WORD_NUMBERS)
_NUM = (
    rf"(?:\d{{1,2}}(?:[.,]\d{{1,2}})?|(?:{_WORDNUM})"
    rf"(?:(?:\s+and\s+a\s+half)|(?:\s+point\s+(?:{_WORDNUM}|\d)))?)"
)
_PCT = r"(?:\s*%|\s*(?:per\s*cent|percent|pct|pc)\b)"
_VALUE = re.compile(rf"(?<![\w.])({_NUM}){_PCT}", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:to|and|or|-|–|—)\s*$", re.IGNORECASE)
_GDP = re.compile(
    r"\bof\s+(?:(?:their|its|our|the|his|her|national|annual|each\s+\w+'s|their\s+\w+)\s+)*"
    r"(?:gdp|gross\s+domestic\s+product|economy|economies|national\s+output|national\s+income)\b",
    re.IGNORECASE,
)
_DEFENCE = re.compile(
    r"\b(?:defen[cs]e|military|nato|armed\s+forces|armies|security\s+spending|arms|"
    r"rearm\w*|allies)\b",
    re.IGNORECASE,
)
_SPENDING = re.compile(
    r"\b(?:spend\w*|budget\w*|expenditure\w*|invest\w*|outlays?|target\w*|goal|pledge\w*|"
    r"benchmark|threshold|guideline)\b",
    re.IGNORECASE,
)
_NOT_SPENDING = re.compile(
    r"\b(?:inflation|deficit|debt|growth|grew|grow|unemployment|interest\s+rates?|poll\w*|"
    r"survey\w*|vote\w*|approval|tax\w*|tariff\w*|revenue|surplus|stake|shares?|turnout|"
    r"contract\w*|shrank|shrink\w*|recession)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(
    r"\b(?:by|until|before|in|from)\s+(?:the\s+(?:end\s+of\s+)?(?:year\s+)?)?(20\d\d)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[\"'“A-Z0-9])|\n+")
_CANDIDATE = (
    r"(?i)(?:gdp|gross\s+domestic\s+product|economies|economy|per\s*cent|percent|%)"
)


def _value(text: str) -> float | None:
    t = text.lower().replace(",", ".").strip()
    try:
        return float(t)
    except ValueError:
        pass
    m = re.match(rf"({_WORDNUM})(?:\s+and\s+a\s+half|\s+point\s+(\w+))?$", t)
    if not m:
        return None
    base = _WORD_NUMBERS[m.group(1)]
    if "half" in t:
        return base + 0.5
    if m.group(2):
        frac = _WORD_NUMBERS.get(m.group(2))
        frac = frac if frac is not None else float(m.group(2)) if m.group(2).isdigit() else 0
        return base + frac / 10
    return base


def sentence_claims(sentence: str) -> list[tuple[float, int | None]]:
    """Spending levels (value, target year) stated in one sentence; empty if none."""
    if not _DEFENCE.search(sentence):
        return []
    matches = list(_VALUE.finditer(sentence))
    out = []
    for i, m in enumerate(matches):
        after = sentence[m.end() : m.end() + 90]
        before = sentence[max(0, m.start() - 90) : m.start()]
        # A range ("from 2% to 3.5% of GDP") ties the first value to the GDP after the last.
        j = i
        while j + 1 < len(matches) and _RANGE_JOIN.match(
            sentence[matches[j].end() : matches[j + 1].start()]
        ):
            j += 1
        tail = sentence[matches[j].end() : matches[j].end() + 90]
        gdp = _GDP.match(tail.lstrip()) or _GDP.search(after[:45])
        spending = _SPENDING.search(before[-60:]) or _SPENDING.search(after[:40])
        if not gdp and not spending:
            continue
        near = before[-40:] + " " + after[:30]
        if _NOT_SPENDING.search(near):
            continue
        if not gdp and not _DEFENCE.search(before[-80:] + after[:60]):
            continue
        value = _value(m.group(1))
        if value is None or not 0.1 <= value <= 10:
            continue
        year = _YEAR.search(sentence[m.end() :]) or _YEAR.search(sentence)
        out.append((value, int(year.group(1)) if year else None))
    return out


def extract_claims(articles: pl.DataFrame) -> pl.DataFrame:
    """``claims`` rows for ``articles`` (needs ``article_id``, ``title``, ``text``).

    One row per level stated; a range gives one row per end. ``snippet`` is the sentence.
    """
    if articles.is_empty():
        return schema.empty("claims")
    candidates = articles.select("article_id", _doc=document(articles)).filter(
        pl.col("_doc").str.contains(_CANDIDATE)
        & pl.col("_doc").str.contains(r"(?i)\b(?:defen[cs]e|military|nato|armed forces)\b")
    )
    rows = []
    for article_id, doc in candidates.iter_rows():
        for sentence in _SENTENCES.split(doc):
            for value, year in sentence_claims(sentence):
                snippet = " ".join(sentence.split())
                rows.append((article_id, CLAIM_TYPE, value, UNIT, year, snippet[:500]))
    df = pl.DataFrame(rows, schema=schema.CLAIMS, orient="row")
    return df.unique(maintain_order=True)
