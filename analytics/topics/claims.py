"""Extract defence-spending levels stated as a share of GDP ("2% of GDP", "two per cent").

polars finds the few articles that can hold a claim (a percentage and defence words);
a Python pass then reads their sentences one by one. A percentage is a spending level
when it is tied to the size of an economy ("of GDP", "of gross domestic product", "of
their economies", "of national output") or to a spending target ("the 2% target", "the
2% guideline"), in a sentence about defence or military spending — and not a rate of
change ("spending will rise 7.2%"), a deficit, debt, growth figure, poll or pay rise.
Each level yields one row: a range ("from 2% to 3.5% of GDP") yields both ends.
"""

from __future__ import annotations

import re

import polars as pl

from analytics.contracts import schema
from analytics.topics.tagging import document

CLAIM_TYPE = "defense_spending_gdp"
UNIT = "percent_gdp"

_WORD_NUMBERS = {
    "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
    "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0,
}
_WORDNUM = "|".join(_WORD_NUMBERS)
_NUM = (
    rf"(?:\d{{1,2}}(?:[.,]\d{{1,2}})?|(?:{_WORDNUM})"
    rf"(?:\s+and\s+a\s+half|\s+point\s+(?:{_WORDNUM}|\d))?)"
)
_PCT = r"(?:\s*%|\s*-?\s*(?:per\s*cent|percent|pct)\b)"
_VALUE = re.compile(rf"(?<![\w.,])({_NUM}){_PCT}", re.IGNORECASE)
_JOIN = r"(?:(?:now|today|currently)\s+)?(?:to|and|or|-|–|—|and\s+then|rising\s+to)"
_RANGE_JOIN = re.compile(rf"^\s*{_JOIN}\s*$", re.IGNORECASE)
# "between 5 and 6 per cent": the first number of a range carries no percent sign.
_BARE_FIRST = re.compile(rf"(?<![\w.,])({_NUM})(?=\s*(?:to|and|-|–|—)\s*{_NUM}{_PCT})",
                         re.IGNORECASE)
_ECONOMY = (
    r"(?:gdp|gross\s+domestic\s+product|economic\s+output|output|national\s+wealth|"
    r"national\s+income|economy|economies|national\s+output)"
)
_GDP_AFTER = re.compile(
    rf"^[\s\-]*(?:of\s+(?:(?:their|its|our|the|his|her|each|a|national|annual|member|"
    rf"country'?s|nation'?s|states'?|\w+'s)\s+){{0,3}}{_ECONOMY}\b|-?of-gdp\b|gdp\b)",
    re.IGNORECASE,
)
_GDP_BEFORE = re.compile(rf"\b(?:share|percentage|proportion)\s+of\s+(?:the\s+)?{_ECONOMY}\b",
                         re.IGNORECASE)
_TARGET_AFTER = re.compile(
    r"^[\s\-]*(?:nato\s+|defen[cs]e[\s\-]+|spending\s+|military\s+)*(?:spending\s+)?"
    r"(?:target|goal|guideline|benchmark|threshold|pledge|commitment|mark|floor)\b",
    re.IGNORECASE,
)
_GROWTH_TARGET = re.compile(r"^\s*(?:for|of)\s+(?:\w+\s+)?(?:gdp|growth|economic|the\s+economy)",
                            re.IGNORECASE)
_DEFENCE = re.compile(
    r"\b(?:defen[cs]e|militar\w*|nato|armed\s+forces|armies|army|bundeswehr|rearm\w*|"
    r"allies|alliance|weapons|security\s+spending)\b",
    re.IGNORECASE,
)
_CHANGE_BEFORE = re.compile(
    r"\b(?:by|ris\w*|rose|rais\w*|increas\w*|boost\w*|grow\w*|grew|jump\w*|up|down|cut\w*|"
    r"fell|fall\w*|lower\w*|reduc\w*|climb\w*|surg\w*|soar\w*|los[et]|cost\w*)\s+(?:by\s+)?"
    r"(?:about\s+|around\s+|"
    r"some\s+|nearly\s+|almost\s+|roughly\s+)?$",
    re.IGNORECASE,
)
_CHANGE_AFTER = re.compile(r"^[\s\-]*(?:of\s+gdp\s+)?(?:increase|rise|jump|hike|boost|growth|"
                           r"cut|drop|fall|decline|more|less|higher|lower)\b", re.IGNORECASE)
_NOT_SPENDING = re.compile(
    r"\b(?:inflation|deficits?|debt|borrowing|growth|grew|unemployment|interest\s+rates?|"
    r"polls?|survey\w*|voters?|approv\w*|tax\w*|tariffs?|revenue|surplus|subsid\w*|turnout|"
    r"pay\s+rise|wages?|pensions?|margin|yield|stake|shares?\s+of\s+(?:the\s+)?(?:vote|market))\b",
    re.IGNORECASE,
)
_YEAR = re.compile(
    r"\b(?:by|until|before|in|from|for|to|no\s+later\s+than)\s+(?:the\s+)?(?:end\s+of\s+)?"
    r"(?:(?:fiscal\s+)?year\s+)?(20[2-6]\d)\b",
    re.IGNORECASE,
)
_ACTOR = re.compile(
    r"\b(?:nato(?:\s+(?:allies|members|countries|member\s+states))?|(?:european\s+)?allies|"
    r"the\s+alliance|member\s+states|european\s+union|eu\s+member\s+states|"
    r"u\.?s\.?|united\s+states|america|uk|britain|united\s+kingdom|germany|france|italy|spain|"
    r"poland|canada|norway|sweden|finland|denmark|netherlands|belgium|estonia|latvia|"
    r"lithuania|romania|greece|turkey|t[uü]rkiye|portugal|czech\s+republic|slovakia|hungary|"
    r"bulgaria|croatia|slovenia|luxembourg|iceland|albania|montenegro|north\s+macedonia|"
    r"cyprus|ireland|austria|switzerland|japan|australia|south\s+korea|taiwan|india|israel|"
    r"china|russia|ukraine)\b",
    re.IGNORECASE,
)
_ACTOR_NAMES = {"u.s.": "United States", "us": "United States", "america": "United States",
                "uk": "United Kingdom", "britain": "United Kingdom", "nato": "NATO",
                "eu member states": "EU member states", "the alliance": "NATO",
                "turkiye": "Türkiye"}
_SENTENCES = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(A-Z0-9])|\n+")
_CANDIDATE = r"(?i)(?:%|per\s*cent|percent)"
_CANDIDATE_CONTEXT = r"(?i)\b(?:defen[cs]e|military|nato|armed forces|allies)\b"
MAX_LEVEL = 50.0  # Ukraine at war spent over a third of its GDP on defence


def _value(text: str) -> float | None:
    t = " ".join(text.lower().replace(",", ".").split())
    try:
        return float(t)
    except ValueError:
        pass
    m = re.fullmatch(rf"({_WORDNUM})(?: and a half| point (\w+))?", t)
    if not m:
        return None
    base = _WORD_NUMBERS[m.group(1)]
    if t.endswith("half"):
        return base + 0.5
    if m.group(2):
        frac = _WORD_NUMBERS.get(m.group(2)) or (float(m.group(2)) if m.group(2).isdigit() else 0)
        return base + frac / 10
    return base


def _actor(sentence: str, position: int) -> str | None:
    """The group or country the level applies to: the last one named before the value,
    else the first one after it."""
    found = list(_ACTOR.finditer(sentence))
    before = [m for m in found if m.start() < position]
    pick = before[-1] if before else (found[0] if found else None)
    if pick is None:
        return None
    name = " ".join(pick.group(0).split())
    key = name.lower()
    if key in _ACTOR_NAMES:
        return _ACTOR_NAMES[key]
    if key.startswith("nato "):
        return "NATO allies"
    if key in ("allies", "european allies"):
        return key.capitalize()
    return name.title() if name.islower() or name.isupper() else name


def sentence_claims(sentence: str) -> list[tuple[float, int | None, str | None]]:
    """Spending levels stated in one sentence: ``(value, target_year, actor)`` each."""
    if not _DEFENCE.search(sentence):
        return []
    matches = sorted([*_VALUE.finditer(sentence), *_BARE_FIRST.finditer(sentence)],
                     key=lambda m: m.start())
    out = []
    for i, m in enumerate(matches):
        j = i  # a range ties every value to the GDP words after its last value
        while j + 1 < len(matches) and _RANGE_JOIN.match(
            sentence[matches[j].end() : matches[j + 1].start()]
        ):
            j += 1
        k = i  # ... and to a "from" before its first value
        while k > 0 and _RANGE_JOIN.match(sentence[matches[k - 1].end() : m.start()]):
            k -= 1
        tail = sentence[matches[j].end() : matches[j].end() + 80]
        head = sentence[max(0, matches[k].start() - 90) : matches[k].start()]
        gdp = _GDP_AFTER.match(tail)
        target = _TARGET_AFTER.match(tail)
        if target and _GROWTH_TARGET.match(tail[target.end():]):
            continue  # "a 5 per cent target for GDP" is a growth target
        if not (gdp or _GDP_BEFORE.search(head[-80:]) or target):
            continue
        is_range = j != i or k != i
        rest = tail[gdp.end():] if gdp else tail
        if not is_range and (_CHANGE_BEFORE.search(head) or _CHANGE_AFTER.match(rest)):
            continue
        if _NOT_SPENDING.search(head[-50:] + " " + tail[:40]):
            continue
        context = sentence[max(0, m.start() - 160) : m.end() + 120]
        if not _DEFENCE.search(context):
            continue
        value = _value(m.group(1))
        if value is None or not 0.1 <= value <= MAX_LEVEL:
            continue
        year = _YEAR.search(sentence[m.end():]) or _YEAR.search(sentence)
        out.append((value, int(year.group(1)) if year else None, _actor(sentence, m.start())))
    return out


def extract_claims(articles: pl.DataFrame) -> pl.DataFrame:
    """``claims`` rows for ``articles`` (needs ``article_id``, ``title``, ``text``).

    One row per level stated, with ``target_year`` and ``actor`` when the sentence names
    them; ``snippet`` is the sentence. A claim repeated in one article is kept once.
    """
    if articles.is_empty():
        return schema.empty("claims")
    candidates = articles.select("article_id", _doc=document(articles)).filter(
        pl.col("_doc").str.contains(_CANDIDATE) & pl.col("_doc").str.contains(_CANDIDATE_CONTEXT)
    )
    rows = []
    for article_id, doc in candidates.iter_rows():
        for sentence in _SENTENCES.split(doc):
            for value, year, actor in sentence_claims(sentence):
                snippet = " ".join(sentence.split())[:500]
                rows.append((article_id, CLAIM_TYPE, value, UNIT, year, actor, snippet))
    df = pl.DataFrame(rows, schema=schema.CLAIMS, orient="row")
    return df.unique(subset=["article_id", "value", "target_year"], maintain_order=True)
