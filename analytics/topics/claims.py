"""Extract defence-spending levels stated as a share of GDP ("2% of GDP", "two per cent").

polars finds the few articles that can hold a claim (a percentage and a defence word in
title or text); a Python pass then reads their sentences one by one.

A percentage is a spending **level** when it is tied to the size of an economy ("of GDP",
"2.5pc of gross domestic product", "of their economic output", "as a share of the
economy ... to 2.3%"), names a goal ("the 2% target", "a benchmark of 3.5%", "a 2%-of-GDP
ratio"), is the other end of such a range ("from 2.1% of GDP to 2.5%") or a further share
of the same sentence ("... and a further 1.5% on infrastructure") — and is not a rate of
change ("spending will rise 7.2%"), a deficit, debt, growth figure, poll, tariff or pay
rise. The sentence must be about defence or security spending, or (when it names no
domain of its own) stand among sentences or under a title that are.

Each level is read **in its clause** (the sentence cut at commas, semicolons, dashes and
conjunctions such as "while" or "but"):

* ``actor``: whose spending it is — the subject of the clause (after "said"/"told" the
  reported subject, after "urged"/"called on" the one urged), else the subject of the
  sentence, else of the sentences before, else of the title, else the country the article
  so far is clearly about. A country named as the threat ("the rise of China", "Iran's
  nuclear threat", "facing an aggressive Russia") is never the actor. Countries are also named by
  their capital ("Ottawa"), an adjective before an institution ("the Cypriot president")
  or a leader ("Sunak"); NATO, its members and "allies" are ``NATO``.
* ``target_year``: the year the level is for, in the clause ("by 2035", "in 2028", "this
  year", "next year", "by the end of the decade", "within a decade", "in five years");
  relative years are resolved from the article's ``published_at`` and stay null without it.
* ``kind``: ``current`` (a level now or last year: "spends 1.4%", "reached 2%", "from 2%
  to ..."), ``target`` (a goal, a plan or a call: "the 2% target", "aims to reach 3% by
  2030", "allies should spend"), ``pledge`` (a commitment the actor made: "pledged",
  "committed to", "agreed to", "will spend") or ``historical`` (a past level: "in 1990
  spent 4%", "during the Cold War"). The cue nearest before the value decides; a pledge
  that is only asked for ("called on allies to commit") or conditional ("may agree") is a
  target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import polars as pl

from analytics.contracts import schema
from analytics.topics.tagging import document

CLAIM_TYPE = "defense_spending_gdp"
UNIT = "percent_gdp"
KINDS = ("current", "target", "pledge", "historical")
MAX_LEVEL = 50.0  # Ukraine at war spent over a third of its GDP on defence
CONTEXT_BEFORE, CONTEXT_AFTER = 2, 1  # sentences around a claim that can make it one

# --- numbers and percentages -------------------------------------------------------------

_WORD_NUMBERS = {
    "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
    "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0,
}
_WORDNUM = "|".join(_WORD_NUMBERS)
_HALF = r"(?:\s+|-)and(?:\s+|-)a(?:\s+|-)half"
_NUM = (rf"(?:\d{{1,2}}(?:[.,]\d{{1,2}})?(?!\d)|\b(?:{_WORDNUM})"
        rf"(?:{_HALF}|\s+point\s+(?:{_WORDNUM}|\d))?)")
_PCT = r"(?:\s*%|\s*-?\s*(?:per\s*cent|percent|pct)\b|\s?pc\b)"
_VALUE = re.compile(rf"(?<![\w.,£$€])({_NUM}){_PCT}", re.IGNORECASE)
# "between 5 and 6 per cent", "2-2.5%": the first number of a range carries no sign.
_BARE_FIRST = re.compile(rf"(?<![\w.,£$€])({_NUM})(?=\s*(?:to|and|-|–|—)\s*{_NUM}{_PCT})",
                         re.IGNORECASE)
_RANGE_JOIN = re.compile(
    r"^\s*(?:(?:now|today|currently|this\s+year|last\s+year)\s+)?"
    r"(?:to|and|or|-|–|—|and\s+then|rising\s+to|up\s+to)\s*(?:as\s+much\s+as\s+|about\s+|"
    r"around\s+|some\s+|nearly\s+|almost\s+|roughly\s+|over\s+|above\s+|more\s+than\s+)?$",
    re.IGNORECASE)

# --- what makes a percentage a level of spending ------------------------------------------

_ECONOMY = (
    r"(?:gdp|gross\s+domestic\s+product|economic\s+output|output|national\s+wealth|"
    r"national\s+income|gni|economy|economies|national\s+output)"
)
_GDP_AFTER = re.compile(
    rf"^[\s\-]*(?:of\s+(?:(?:their|its|our|the|his|her|each|a|national|annual|member|"
    rf"country'?s|nation'?s|states'?|[\w.]+['’]s)\s+){{0,3}}{_ECONOMY}\b|-?of-gdp\b|gdp\b)",
    re.IGNORECASE,
)
_GDP_BEFORE = re.compile(rf"\b(?:share|percentage|proportion|ratio)\s+of\s+(?:the\s+|its\s+|"
                         rf"their\s+)?{_ECONOMY}\b|\b(?:gdp|economy)\s+share\b", re.IGNORECASE)
_GOAL_NOUN = (r"(?:target|goal|guideline|benchmark|threshold|pledge|commitment|mark|floor|"
              r"ceiling|ratio|requirement|objective|ambition|minimum|level|bar|norm)")
_TARGET_AFTER = re.compile(
    rf"^[\s\-]*(?:of-gdp\s+|nato\s+|defen[cs]e[\s\-]+|spending\s+|military\s+|core\s+|"
    rf"alliance\s+|new\s+|minimum\s+|-)*{_GOAL_NOUN}s?\b", re.IGNORECASE)
_TARGET_BEFORE = re.compile(
    r"\b(?:target|goal|guideline|benchmark|threshold|objective|ambition|requirement)s?\s+"
    r"(?:of\s+|at\s+|is\s+|was\s+|:\s*)(?:(?:spending|reaching|investing|at\s+least|around|"
    r"about|some|a\s+minimum\s+of)\s+)*$", re.IGNORECASE)
_GROWTH_TARGET = re.compile(r"^\s*(?:for|of)\s+(?:\w+\s+)?(?:gdp|growth|economic|the\s+economy|"
                            r"inflation)", re.IGNORECASE)
# Another share after a level of the same sentence: "... and a further 1.5% for ...".
_FOLLOW_ON = re.compile(
    r"(?:\band|\bplus|\bwith|\bwhile|,|\bas\s+well\s+as)\s+(?:(?:a\s+further|another|an?\s+"
    r"(?:additional|extra|separate|further)|up\s+to|at\s+least|some|about|around|nearly|"
    r"almost|just)\s+)?$", re.IGNORECASE)
# ... or after a verb of its own: "... and has promised to reach 2.5%", ", up from 2.1%".
_FOLLOW_VERB = re.compile(
    r"(?:\band|\bbut|,)\s+(?:[\w'’]+\s+){0,6}?(?:reach(?:es|ed)?|hit|spend(?:s|ing)?|to|at|"
    r"from)\s+(?:(?:a\s+further|another|about|around|nearly|almost|at\s+least|more\s+than|"
    r"over|above|just|only)\s+)?$", re.IGNORECASE)
_OF_SOMETHING = re.compile(rf"^\s*of\s+(?!(?:\w+\s+){{0,3}}{_ECONOMY}\b)", re.IGNORECASE)

_DEFENCE_WORDS = (r"defen[cs]e|militar\w*|nato|armed\s+forces|armies|army|bundeswehr|"
                  r"rearm\w*|allies|alliance|weapons|arms|pentagon")
# A sentence about security spending counts ("1.5% of GDP on broader security"); around a
# sentence, "security" alone says too little ("security, stability and prosperity").
_DEFENCE = re.compile(
    rf"\b(?:{_DEFENCE_WORDS}|(?:on|to|for|in)\s+(?:\w+\s+){{0,2}}security|security[\s-]+"
    rf"(?:spending|budgets?|expenditure|related|investments?|and\s+resilience)|"
    rf"(?:defen[cs]e|resilience)\s+and\s+security)\b", re.IGNORECASE)
_DEFENCE_CONTEXT = re.compile(rf"\b(?:{_DEFENCE_WORDS})\b", re.IGNORECASE)
# A level is spent, budgeted, aimed at or reached: "the farm sector generates 12% of GDP"
# and "power cuts cost 2% of GDP" are not.
_SPENDING_WORDS = re.compile(
    r"\b(?:spend\w*|spent|budget\w*|expenditures?|outlays?|fund\w*|invest\w*|allocat\w*|"
    r"earmark\w*|devot\w*|targets?|goals?|guidelines?|benchmarks?|thresholds?|ratio|"
    r"pledg\w*|commit\w*|promis\w*|vow\w*|reach\w*|hit|hits|meet\w*|met|lift\w*|rais\w*|"
    r"increas\w*|boost\w*|doubl\w*|move|moving|bring\w*|brought|ramp\w*|share|"
    r"percentage|proportion|stands?|stood|amount\w*|accounts?|ambition|aim\w*)\b",
    re.IGNORECASE)
_OTHER_DOMAIN = re.compile(
    r"\b(?:on|for|to|in)\s+(?:\w+\s+){0,2}(?:health\s*care|health|education|schools?|"
    r"pensions?|welfare|climate|research|r&d|culture|foreign\s+aid|development\s+aid|"
    r"interest\s+payments?|social\s+\w+|agriculture|farming|housing|transport)\b",
    re.IGNORECASE)
_CHANGE_BEFORE = re.compile(
    r"\b(?:by|ris\w*|rose|rais\w*|increas\w*|boost\w*|grow\w*|grew|jump\w*|up|down|cut\w*|"
    r"fell|fall\w*|lower\w*|reduc\w*|climb\w*|surg\w*|soar\w*|los[et]|losing|cost\w*|"
    r"slash\w*|shr[iau]nk\w*|contract\w*|(?:took|take|takes|taking|wiped?|wipes)\s+"
    r"(?:away|out|off))\s+(?:by\s+)?(?:about\s+|around\s+|some\s+|nearly\s+|almost\s+|"
    r"roughly\s+|more\s+than\s+|over\s+|a\s+further\s+|another\s+)?$",
    re.IGNORECASE,
)
_CHANGE_AFTER = re.compile(r"^[\s\-]*(?:of\s+gdp\s+)?(?:increase|rise|jump|hike|boost|growth|"
                           r"cut|drop|fall|decline|more|less|higher|lower|annual\s+(?:rise|"
                           r"increase)|points?\b|percentage\s+points?)\b", re.IGNORECASE)
_NOT_SPENDING = re.compile(
    r"\b(?:inflation|deficits?|debts?|borrowing|growth|grew|unemployment|interest\s+rates?|"
    r"polls?|poll(?:ed|ing)|survey\w*|voters?|votes?|ballots?|approv\w*|ratings?|tax\w*|"
    r"tariffs?|levy|duties|revenue|surplus|subsid\w*|turnout|pay\s+(?:rise|increase)|"
    r"wages?|salar\w*|pensions?|margin|yield|stake|stocks?|earnings|profits?|"
    r"shares?\s+of\s+(?:the\s+)?(?:vote|market)|market\s+share|recession|contraction|"
    r"mortgage|prices?|cpi)\b",
    re.IGNORECASE,
)

# --- clauses, actors, years, kinds --------------------------------------------------------

_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:\s|\s[—–-]\s|,\s*[\"”’]?\s*|[\"“”]\s*(?=[A-Z])|"
    r"\s(?=(?:while|whereas|but|although|though|because|amid|compared\s+(?:with|to))\s))",
    re.IGNORECASE)
_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|added|stated|warned|announced|argued|"
                     r"insisted|noted|confirmed|declared)\b(?:\s+that)?", re.IGNORECASE)
_ATTRIBUTION = re.compile(rf"{_SPEECH.pattern}|\b(?:show|shows|showed|according)\b",
                          re.IGNORECASE)
_URGE = re.compile(r"\b(?:call(?:s|ed|ing)?\s+(?:on|upon)|urg(?:e|es|ed|ing)|"
                   r"press(?:es|ed|ing)?|demand(?:s|ed|ing)?(?:\s+that)?|want(?:s|ed)?|"
                   r"ask(?:s|ed|ing)?|encourag\w+|challeng\w+|told|tell(?:s|ing)?)\s+"
                   r"(?!to\b)", re.IGNORECASE)
# "defence spending in Belgium", "the budget of Greece": the owner, though after a preposition.
_OWNER = re.compile(r"\b(?:spending|budgets?|expenditure|outlays?|funding)\s+(?:in|of|by)\s+"
                    r"(?:the\s+)?$", re.IGNORECASE)
_PREPOSITION = re.compile(r"\b(?:in|into|at|to|towards?|against|from|with|over|on|for|about|"
                          r"amid|after|by|than|like|between|across|near|via|including)\s+"
                          r"(?:the\s+)?$", re.IGNORECASE)

_ACTORS: dict[str, str] = {
    # canonical name: the words that name it (regex; case-insensitive unless noted)
    "European allies": r"europe(?:an|’s|'s)\s+(?:nato\s+)?(?:allies|members)",
    "EU": r"european\s+union|(?-i:EU|E\.U\.)(?:\s+(?:member\s+states|countries|members|"
          r"states|governments))?",
    "Baltic states": r"baltic\s+(?:states|countries|nations)",
    "NATO": r"nato(?:'s|’s)?(?:\s+(?:allies|members|countries|nations|member\s+(?:states|"
            r"countries|nations)|states|governments))?|(?:the\s+|its\s+)?allies|"
            r"the\s+alliance|the\s+military\s+(?:bloc|alliance)|north\s+atlantic\s+alliance",
    "United States": r"united\s+states|(?-i:U\.S\.|US|USA)(?![\w.])|(?<!latin\s)"
                     r"(?<!south\s)(?<!north\s)(?<!central\s)america|washington|pentagon|"
                     r"white\s+house|biden|trump|hegseth",
    "United Kingdom": r"united\s+kingdom|(?-i:UK|U\.K\.)(?![\w.])|britain|downing\s+street|"
                      r"whitehall|sunak|truss|starmer|boris\s+johnson|ben\s+wallace|"
                      r"grant\s+shapps|john\s+healey|rachel\s+reeves|jeremy\s+hunt",
    "Germany": r"germany|berlin|bundeswehr|bundestag|scholz|merz|pistorius",
    "France": r"france|paris|elys[ée]e|macron",
    "Italy": r"italy|rome|meloni",
    "Spain": r"spain|madrid|s[áa]nchez",
    "Poland": r"poland|warsaw|duda|tusk|morawiecki",
    "Canada": r"canada|ottawa|trudeau|carney",
    "Norway": r"norway|oslo",
    "Sweden": r"sweden|stockholm|kristersson",
    "Finland": r"finland|helsinki",
    "Denmark": r"denmark|copenhagen",
    "Netherlands": r"(?:the\s+)?netherlands|holland",
    "Belgium": r"belgium",
    "Estonia": r"estonia|tallinn",
    "Latvia": r"latvia|riga",
    "Lithuania": r"lithuania|vilnius",
    "Romania": r"romania|bucharest",
    "Greece": r"greece|athens",
    "Türkiye": r"turkey|t[uü]rkiye|ankara",
    "Portugal": r"portugal|lisbon",
    "Czech Republic": r"czech\s+republic|czechia|prague",
    "Slovakia": r"slovakia",
    "Hungary": r"hungary|budapest",
    "Bulgaria": r"bulgaria",
    "Croatia": r"croatia",
    "Slovenia": r"slovenia",
    "Luxembourg": r"luxembourg",
    "Iceland": r"iceland",
    "Albania": r"albania",
    "Montenegro": r"montenegro",
    "North Macedonia": r"north\s+macedonia",
    "Cyprus": r"cyprus|nicosia",
    "Ireland": r"ireland|dublin",
    "Austria": r"austria|vienna",
    "Switzerland": r"switzerland",
    "Japan": r"japan|tokyo|kishida|ishiba|takaichi",
    "Australia": r"australia|canberra|albanese",
    "New Zealand": r"new\s+zealand",
    "South Korea": r"south\s+korea|seoul",
    "North Korea": r"north\s+korea|pyongyang",
    "Taiwan": r"taiwan|taipei",
    "India": r"india|new\s+delhi|modi",
    "Israel": r"israel",
    "China": r"china|beijing|xi\s+jinping",
    "Russia": r"russia|moscow|kremlin|putin",
    "Ukraine": r"ukraine|kyiv|kiev|zelensk\w+",
    "Iran": r"iran|tehran",
    "Saudi Arabia": r"saudi\s+arabia",
    "Pakistan": r"pakistan",
    "Thailand": r"thailand|bangkok",
}
# Adjectives name a country only before an institution ("the German parliament", "Cypriot
# president"), never alone ("Russian aggression" is no actor).
_DEMONYMS: dict[str, str] = {
    "american": "United States", "british": "United Kingdom", "german": "Germany",
    "french": "France", "italian": "Italy", "spanish": "Spain", "polish": "Poland",
    "canadian": "Canada", "norwegian": "Norway", "swedish": "Sweden", "finnish": "Finland",
    "danish": "Denmark", "dutch": "Netherlands", "belgian": "Belgium", "estonian": "Estonia",
    "latvian": "Latvia", "lithuanian": "Lithuania", "romanian": "Romania", "greek": "Greece",
    "turkish": "Türkiye", "portuguese": "Portugal", "czech": "Czech Republic",
    "slovak": "Slovakia", "hungarian": "Hungary", "bulgarian": "Bulgaria",
    "croatian": "Croatia", "cypriot": "Cyprus", "irish": "Ireland", "austrian": "Austria",
    "swiss": "Switzerland", "japanese": "Japan", "australian": "Australia",
    "taiwanese": "Taiwan", "indian": "India", "israeli": "Israel", "chinese": "China",
    "russian": "Russia", "ukrainian": "Ukraine", "iranian": "Iran", "korean": "South Korea",
}
_INSTITUTION = (r"(?:government|president|prime\s+minister|pm|premier|chancellor|"
                r"(?:defen[cs]e\s+|finance\s+|foreign\s+)?minist(?:er|ry)|parliament|cabinet|"
                r"military|army|armed\s+forces|navy|forces|officials?|leaders?|budget|"
                r"defen[cs]e\s+(?:budget|spending|secretary)|spending|treasury|lawmakers|"
                r"mps|authorities|state|economy|coalition|legislature)")
_ACTOR_ALTERNATIVES = [(name, re.compile(rf"\b(?:{rx})\b(?!\s+summit)", re.IGNORECASE))
                       for name, rx in _ACTORS.items()]
_DEMONYM = re.compile(rf"\b({'|'.join(_DEMONYMS)})\s+(?=(?:\w+\s+)?{_INSTITUTION}\b)",
                      re.IGNORECASE)
# "a NATO target", "Nato's 2% of GDP target", "the alliance's pledge": whose goal, not
# who spends.
_MODIFIED = (r"(?:(?:\d[\d.,]*\s*(?:%|per\s*cent|percent)(?:-of-gdp)?|of\s+gdp|[\w-]+-year-old|"
             r"previous|new|own|current|core|long-standing|spending|defen[cs]e(?:-spending)?|"
             r"military)\s+){0,3}(?:spending\s+)?(?:target|goal|guideline|benchmark|threshold|"
             r"pledge|commitment|requirement|minimum|standard|rule)s?\b")
_MODIFIER = re.compile(rf"^(?:['’]s\s+{_MODIFIED}|\s+{_MODIFIED}(?!\s+(?:to|that)\b))",
                       re.IGNORECASE)
# "the UK's NATO allies", "Ukraine's allies": the possessor is not the spender.
_POSSESSED_GROUP = re.compile(r"^['’]s\s+(?:nato\s+)?(?:allies|partners)\b", re.IGNORECASE)
# "the rise of China", "in response to the threat from Russia", "Iran's nuclear threat",
# "China's growing assertiveness": a country named as the threat, not as the one spending.
_THREAT_NOUNS = (r"(?:threats?|aggression|invasion|war(?!\s+(?:budgets?|spending|chest|economy|"
                 r"effort|machine))|attacks?|expansionism|assertiveness|menace|danger|build-?up|"
                 r"belligerence|provocations?|incursions?|ambitions)")
_THREAT_BEFORE = re.compile(
    rf"\b(?:(?:rise|{_THREAT_NOUNS})\s+(?:posed\s+)?(?:of|from|by)|in\s+(?:the\s+)?(?:face|light)\s+of|"
    r"in\s+response\s+to|deter(?:s|red|ring|rence\s+of)?|(?:to\s+)?(?:counter|confront|contain)|"
    r"fears?\s+(?:of|over|about)|wary\s+of|threatened\s+by|faced\s+with|facing|"
    r"(?:attacked|invaded)\s+by)\s+(?:(?:the|an?|a\s+resurgent|an\s+assertive|an\s+aggressive)\s+)?$",
    re.IGNORECASE)
_THREAT_AFTER = re.compile(  # "China's rise", not "Japan's rise to 2%"
    rf"^(?:['’]s)?\s+(?:[\w-]+\s+){{0,2}}?(?:rise(?!\s+(?:in|to|of|by)\b)|{_THREAT_NOUNS})\b",
    re.IGNORECASE)
_MEMBERS = re.compile(r"\b(?:member\s+(?:countries|states|nations)|members)\b", re.IGNORECASE)
_NATO_WORDS = re.compile(r"\b(?:nato|alliance|allies)\b", re.IGNORECASE)
_EU_WORDS = re.compile(r"\b(?:european\s+union|(?-i:EU))\b", re.IGNORECASE)

_YEAR = re.compile(
    r"\b(?:by|until|till|before|in|from|for|to|through|no\s+later\s+than|within|starting(?:\s+in)?|"
    r"as\s+of|beginning(?:\s+in)?)\s+(?:the\s+)?(?:(?:end|middle|start)\s+of\s+)?"
    r"(?:(?:fiscal|financial|budget)\s+(?:year\s+)?|fy\s?|year\s+)?"
    r"((?:19[5-9]|20\d)\d)(?![\d%]|s\b)",
    re.IGNORECASE,
)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "a": 1, "one": 1}
_IN_YEARS = r"(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)"
_RELATIVE_YEAR = re.compile(
    r"\b(?:(?P<this>this|the\s+current)\s+(?:fiscal\s+)?year|(?P<next>next|the\s+coming)\s+year|"
    r"(?P<last>last|the\s+past)\s+year|"
    r"(?:by\s+)?the\s+end\s+of\s+(?:the|this)\s+decade(?P<decade>)|"
    r"(?:by\s+)?(?:the\s+)?(?:middle\s+of\s+the\s+decade|mid-decade)(?P<mid>)|"
    rf"(?:within|in|over)\s+(?:the\s+next\s+)?(?:a|one|the\s+next|ten|10)\s+"
    rf"(?:decade|years)(?:['’]s?\s+time)?(?P<ten>)|"
    rf"(?:within|in|over\s+the\s+next)\s+(?P<n>{_IN_YEARS})\s+years(?:['’]?\s+time)?)\b",
    re.IGNORECASE,
)
_HISTORICAL = re.compile(
    r"\b(?:(?:during|in|throughout|at\s+the\s+(?:end|height)\s+of)\s+the\s+cold\s+war|"
    r"in\s+the\s+(?:19\d0s|(?:fifties|sixties|seventies|eighties|nineties))|back\s+in|"
    r"used\s+to\s+spend|once\s+spent|decades\s+ago|in\s+the\s+past)\b", re.IGNORECASE)
_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("ask", re.compile(r"\b(?:call(?:s|ed|ing)?\s+(?:on|upon|for)|urg(?:e|es|ed|ing)|"
                       r"demand(?:s|ed|ing)?|press(?:es|ed|ing)?|push(?:es|ed|ing)?|"
                       r"should|must|need(?:s|ed)?\s+to|ought|may|might|could|would|"
                       r"want(?:s|ed)?|ask(?:s|ed|ing)?|if|let(?:['’]s|\s+us))\b",
                       re.IGNORECASE)),
    ("target", re.compile(r"\b(?:aim(?:s|ed|ing)?|plan(?:s|ned|ning)?|seek(?:s|ing)?|sought|"
                          r"hop(?:e|es|ed|ing)|intend(?:s|ed|ing)?|propos(?:e|es|ed|al|ing)|"
                          r"strive|aspir\w+|insufficient|fail(?:s|ed)?\s+to|"
                          r"not\s+(?:yet\s+)?(?:reach|meet|hit))\b", re.IGNORECASE)),
    ("goal", re.compile(r"\b(?:ambitions?|goals?|targets?|target(?:ed|ing)|objectives?|"
                        r"guidelines?|benchmarks?|thresholds?)\b", re.IGNORECASE)),
    ("forecast", re.compile(r"\b(?:(?:set|expected|projected|forecast|due|on\s+(?:track|course)|"
                            r"likely)\s+to)\b", re.IGNORECASE)),
    ("pledge", re.compile(r"\b(?:pledg(?:e|es|ed|ing)|commit(?:s|ted|ting|ment|ments)?|"
                          r"promis(?:e|es|ed|ing)|vow(?:s|ed|ing)?|agree(?:s|d|ing|ment)?|"
                          r"signed\s+up|earmark(?:s|ed|ing)?|decided\s+to|"
                          r"(?:will|'ll|’ll|shall|is\s+to|are\s+to)(?=\s+(?:\w+\s+)?(?:spend|"
                          r"raise|increase|lift|boost|reach|hit|meet|double|earmark|allocate|"
                          r"invest|bring|put|devote|commit|rise|go|grow|get|ramp|be\s+spending)))\b",
                          re.IGNORECASE)),
    ("current", re.compile(r"\b(?:spends|spent|is\s+spending|are\s+spending|reach(?:ed|es)|"
                           r"stands?\s+at|stood\s+at|hit|hits|amount(?:s|ed)?\s+to|"
                           r"account(?:s|ed)?\s+for|equal(?:s|led)?|total(?:s|led)?|now|"
                           r"currently|already|still|today|last\s+year|averag(?:e|es|ed)|"
                           r"(?:at|is|are|was|were|from|of\s+(?:only|just|about|around))"
                           r"(?=\s+(?:about\s+|around\s+|roughly\s+|only\s+|just\s+|nearly\s+|"
                           r"almost\s+|some\s+|over\s+|under\s+|below\s+|above\s+)?$))",
                           re.IGNORECASE)),
]
_NOUN_PLEDGE = re.compile(r"\b(?:pledge|commitment|promise)s?\s*$", re.IGNORECASE)
_RAISE_TO = re.compile(r"\b(?:rais\w*|lift\w*|increas\w*|boost\w*|doubl\w*|bring\w*|"
                       r"mov\w*|ramp\w*|grow\w*|get(?:ting)?|push\w*)\b", re.IGNORECASE)

_SENTENCES = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(A-Z0-9])|\n+")
_CANDIDATE = r"(?i)(?:%|per\s*cent|percent|pct|\dpc\b|\d\s+pc\b)"
_CANDIDATE_CONTEXT = (r"(?i)\b(?:defen[cs]e|militar|nato|armed forces|allies|alliance|army|"
                      r"armies|bundeswehr|rearm|weapons|arms|pentagon|security)")


@dataclass(frozen=True)
class Claim:
    """One spending level of one sentence."""

    value: float
    target_year: int | None
    actor: str | None
    kind: str
    snippet: str


def _value(text: str) -> float | None:
    t = " ".join(text.lower().replace(",", ".").replace("-", " ").split())
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


# --- actors -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    name: str
    after_preposition: bool  # "in Ukraine", "by NATO": not the subject of its clause
    modifier: bool  # "a NATO target": whose goal, not who spends
    threat: bool = False  # "the rise of China": the threat, never the one who spends


def _mentions(text: str, *, context: str = "") -> list[_Mention]:
    """Actors named in ``text``, in order; "members" is NATO's or the EU's by ``context``."""
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, name: str) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        before, after = text[:start], text[end:]
        found.append(_Mention(start, end, name,
                              bool(_PREPOSITION.search(before) and not _OWNER.search(before)),
                              bool(_MODIFIER.match(after)),
                              bool(_THREAT_BEFORE.search(before) or _THREAT_AFTER.match(after))))

    for name, rx in _ACTOR_ALTERNATIVES:
        for m in rx.finditer(text):
            if name != "NATO" and _POSSESSED_GROUP.match(text[m.end():]):
                continue  # "the UK's NATO allies": NATO, matched by its own pattern
            add(m.start(), m.end(), name)
    for m in _DEMONYM.finditer(text):
        add(m.start(), m.end(1), _DEMONYMS[m.group(1).lower()])
    scope = text + " " + context
    for m in _MEMBERS.finditer(text):
        group = ("NATO" if _NATO_WORDS.search(scope) else "EU" if _EU_WORDS.search(scope)
                 else None)
        if group:
            add(m.start(), m.end(), group)
    return sorted(found, key=lambda x: x.start)


def _first(mentions: list[_Mention], *, lo: int = 0, hi: int | None = None,
           free_only: bool = True) -> str | None:
    for m in mentions:
        if m.start >= lo and (hi is None or m.end <= hi) and not m.threat and not (
                free_only and (m.after_preposition or m.modifier)):
            return m.name
    return None


def _subject(sentence: str, start: int, pos: int, mentions: list[_Mention]) -> str | None:
    """The actor of the clause ``sentence[start:]`` for a value at ``pos``: the one urged,
    else the reported subject, else the clause's first."""
    head = sentence[start:pos]
    urged = list(_URGE.finditer(head))
    if urged:
        actor = _first(mentions, lo=start + urged[-1].end(), hi=pos)
        if actor:
            return actor
    speech = list(_SPEECH.finditer(head))
    if speech:
        actor = _first(mentions, lo=start + speech[-1].end(), hi=pos)
        if actor:
            return actor
    return _first(mentions, lo=start, hi=pos)


# --- years ------------------------------------------------------------------------------

def _years_in(text: str, published: date | None) -> list[tuple[int, int, int]]:
    """``(start, end, year)`` of every year ``text`` names (relative ones need
    ``published``)."""
    out = [(m.start(), m.end(), int(m.group(1))) for m in _YEAR.finditer(text)
           if not text[max(0, m.start() - 6):m.start()].lower().endswith("since ")]
    if published is not None:
        y = published.year
        for m in _RELATIVE_YEAR.finditer(text):
            g = m.groupdict()
            if g["this"]:
                year = y
            elif g["next"]:
                year = y + 1
            elif g["last"]:
                year = y - 1
            elif g["decade"] is not None:
                year = (y // 10 + 1) * 10
            elif g["mid"] is not None:
                year = y // 10 * 10 + 5
            elif g["ten"] is not None:
                year = y + 10
            else:
                n = g["n"].lower()
                year = y + (int(n) if n.isdigit() else _NUMBER_WORDS[n])
            out.append((m.start(), m.end(), year))
    return sorted(out)


# --- one sentence -------------------------------------------------------------------------

@dataclass
class _Level:
    match: re.Match[str]
    range_start: int  # index (in the value list) of the first and last value of its range
    range_end: int
    evidence_end: int  # where the GDP or goal words after it end
    follow_on: bool = False  # "... and a further 1.5%": shares the level before it


def _clauses(sentence: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(sentence):
        spans.append((start, len(sentence)))
    return spans or [(0, len(sentence))]


def _clause_of(spans: list[tuple[int, int]], pos: int) -> int:
    for i, (s, e) in enumerate(spans):
        if s <= pos < e:
            return i
    return len(spans) - 1


def _levels(sentence: str, *, in_context: bool) -> list[_Level]:
    """The percentages of ``sentence`` that are spending levels."""
    if not _SPENDING_WORDS.search(sentence):
        return []
    matches = sorted([*_VALUE.finditer(sentence), *_BARE_FIRST.finditer(sentence)],
                     key=lambda m: m.start())
    ends: list[int] = []  # where each value's economy words end (its own end without)
    for m in matches:
        gdp = _GDP_AFTER.match(sentence[m.end():m.end() + 80])
        ends.append(m.end() + gdp.end() if gdp else m.end())

    def joined(a: int, b: int) -> bool:
        """Values a and b (a < b) are the two ends of one range."""
        between = sentence[matches[a].end():matches[b].start()]
        return bool(_RANGE_JOIN.match(between) or _RANGE_JOIN.match(sentence[ends[a]:
                                                                              matches[b].start()]))

    out: list[_Level] = []
    for i, m in enumerate(matches):
        j = i  # a range ties every value to the words after its last value
        while j + 1 < len(matches) and joined(j, j + 1):
            j += 1
        k = i  # ... and to a "from" before its first value
        while k > 0 and joined(k - 1, k):
            k -= 1
        tail = sentence[matches[j].end():matches[j].end() + 80]
        own_tail = sentence[m.end():m.end() + 80]
        head = sentence[max(0, matches[k].start() - 90):matches[k].start()]
        gdp = _GDP_AFTER.match(tail) or _GDP_AFTER.match(own_tail)
        # "from 2% of GDP to 2.5%": economy words after any end of a range hold for all
        range_gdp = any(ends[x] > matches[x].end() for x in range(k, j + 1))
        target = _TARGET_AFTER.match(tail) or _TARGET_AFTER.match(
            sentence[ends[i]:ends[i] + 60])
        if target and (_GROWTH_TARGET.match(tail[target.end():])
                       or _CHANGE_AFTER.match(tail[target.end():])):
            continue  # "a 5 per cent target for GDP" is a growth target; "a 15% minimum rise"
        before_goal = _TARGET_BEFORE.search(head)
        previous = out[-1] if out else None
        gap = sentence[previous.evidence_end:m.start()] if previous else ""
        follow_on = (previous is not None and previous.range_end < i
                     and not _OF_SOMETHING.match(own_tail)
                     and ((_FOLLOW_ON.search(gap) and len(gap) < 60)
                          or (_FOLLOW_VERB.search(gap) and len(gap) < 80)))
        if not (gdp or range_gdp or target or before_goal or follow_on
                or _GDP_BEFORE.search(head[-80:])):
            continue
        is_range = j != i or k != i
        rest = tail[gdp.end():] if gdp else tail
        if not is_range and (_CHANGE_BEFORE.search(head) or _CHANGE_AFTER.match(rest)):
            continue
        if _NOT_SPENDING.search(head[-50:] + " " + tail[:40]):
            continue
        after = sentence[ends[j]:ends[j] + 50]
        if _OTHER_DOMAIN.match(after) or (follow_on and _OTHER_DOMAIN.match(own_tail)):
            continue  # "2% of GDP on health"
        window = sentence[max(0, m.start() - 160):m.end() + 120]
        if not (_DEFENCE.search(window) or (in_context and not _OTHER_DOMAIN.search(sentence))):
            continue
        value = _value(m.group(1))
        if value is None or not 0.1 <= value <= MAX_LEVEL:
            continue
        end = gdp.end() if gdp else (target.end() if target else 0)
        out.append(_Level(m, k, j, matches[j].end() + end if end else ends[i],
                          bool(follow_on) and not (gdp or range_gdp or target or before_goal)))
    # keep range indexes pointing into ``out``: re-number by the matches kept
    index = {id(lv.match): n for n, lv in enumerate(out)}
    kept = [id(m) for m in matches]
    for lv in out:
        lv.range_start = index.get(kept[lv.range_start], index[id(lv.match)])
        lv.range_end = index.get(kept[lv.range_end], index[id(lv.match)])
    return out


def _kind(head: str, tail: str, *, attached_goal: bool, range_from: bool,
          year: int | None, published: date | None, before: str = "") -> str:
    """``current``, ``target``, ``pledge`` or ``historical`` for a value whose clause reads
    ``head`` before it and ``tail`` after it (the cue nearest before the value decides;
    ``before``, the sentence up to the value, can date it: "During the Cold War, ...")."""
    if _HISTORICAL.search(before or head) or _HISTORICAL.search(tail):
        return "historical"
    old = year is not None and (year < 2000 or (published is not None
                                                and year <= published.year - 2))
    if old and not re.search(r"\b(?:by|until|before)\s+(?:the\s+end\s+of\s+)?$", head) and \
            not re.search(r"\b(?:by|until|before)\s+(?:the\s+end\s+of\s+)?\d{4}", tail):
        return "historical"
    if range_from:
        return "current"
    cues = sorted(((m.start(), m.end(), cls) for cls, rx in _CUES for m in rx.finditer(head)),
                  key=lambda c: (c[1], c[0]))
    if not cues:
        tail_cue = re.search(r"^[^,;]{0,60}?\b(ambition|aim|goal|target|guideline|pledge|"
                             r"commitment|promise)\b", tail, re.IGNORECASE)
        if tail_cue:
            return "pledge" if tail_cue.group(1).lower() in ("pledge", "commitment",
                                                             "promise") else "target"
        if attached_goal:
            return "target"
        return "target" if _RAISE_TO.search(head) else "current"
    _, end, cls = cues[-1]
    earlier = [c[2] for c in cues[:-1]]
    if cls == "pledge":
        noun = bool(_NOUN_PLEDGE.search(head[:end]))
        if "ask" in earlier or (noun and attached_goal):
            return "target"  # "called on allies to commit", "the pledge to meet the 2% goal"
        return "pledge"
    if cls == "goal" and "pledge" in earlier and "ask" not in earlier[earlier.index("pledge"):]:
        return "pledge"  # "Berlin signed up to NATO's goal of spending 3.5%"
    if cls == "forecast":
        this_year = published is not None and year == published.year
        return "current" if this_year or re.search(r"\b(?:now|this\s+year)\b", tail[:40]) \
            else "target"
    if cls == "current":
        return "target" if attached_goal else "current"
    return "target"  # asked for, planned, a goal


def _actor_of(sentence: str, spans: list[tuple[int, int]], ci: int, pos: int, end: int,
              mentions: list[_Mention], around: list[list[_Mention]]) -> str | None:
    """The actor of a value at ``pos`` (ending at ``end``) in clause ``ci``: the clause's,
    else the sentence's subject, else after the value, else the sentences before (nearest
    first) and the title (``around``)."""
    c_start, c_end = spans[ci]
    actor = _subject(sentence, c_start, pos, mentions)
    if actor is None and ci > 0:
        actor = _first(mentions, hi=c_start)
    if actor is None:  # "Nato's 2% target is a floor": no one else, so whose goal it is
        actor = next((m.name for m in mentions
                      if c_start <= m.start < pos and m.modifier and not m.threat), None)
    if actor is None and ci == 0 and len(spans) > 1 and not _ATTRIBUTION.search(
            sentence[slice(*spans[1])]):  # "At 2.4% of GDP, Poland's budget is ..."
        actor = _first(mentions, lo=spans[1][0], hi=spans[1][1])
    if actor is None:
        actor = _first(mentions, lo=end, hi=c_end)
    for found in around:
        if actor is not None:
            break
        actor = _first(found) or _first(found, free_only=False)
    return actor


def _year_of(sentence: str, spans: list[tuple[int, int]], ci: int, levels: list[_Level],
             n: int, range_from: bool, published: date | None) -> int | None:
    """The year level ``n`` is for: the first named after it in its clause (before the next
    level), else the last before it (or in a short clause before: "By 2030, ...")."""
    lv, m = levels[n], levels[n].match
    c_start, c_end = spans[ci]
    first = levels[lv.range_start].match
    later = [x for x in levels[n + 1:] if x.range_start != lv.range_start]
    seg_end = max(min(later[0].match.start() if later else c_end, c_end),
                  levels[lv.range_end].evidence_end)
    years = [(s + c_start, e + c_start, y) for s, e, y in
             _years_in(sentence[c_start:c_end], published)]
    if range_from:  # "from 2.04% now to ...": only what stands between the two ends
        upto = min(levels[n + 1].match.start(), m.end() + 20)
        after = [y for s, _, y in years if m.end() <= s < upto]
        return after[0] if after else None
    after = [y for s, _, y in years if m.end() <= s < seg_end]
    if not after and seg_end < c_end and not any(
            rx.search(sentence[m.end():seg_end]) for _, rx in _CUES):
        # "3.5% on defence and 1.5% on security by 2035": one verb, one year
        after = [y for s, _, y in years if s >= m.end()]
    if after:
        return after[0]
    before = [y for _, e, y in years if e <= first.start()]
    if not before and ci > 0 and len(sentence[slice(*spans[ci - 1])].split()) <= 5:
        before = [y for _, _, y in _years_in(sentence[slice(*spans[ci - 1])], published)]
    return before[-1] if before else None


@lru_cache(maxsize=4096)  # each claim sentence of an article reads the same sentences again
def _free_names(text: str) -> tuple[str, ...]:
    return tuple(m.name for m in _mentions(text)
                 if not (m.threat or m.after_preposition or m.modifier))


def _article_actor(sentences: list[str]) -> str | None:
    """The country ``sentences`` are about, if one clearly is: named (not as a threat,
    after a preposition or as a goal's owner) at least twice and more often than any other."""
    counts: dict[str, int] = {}
    for text in sentences:
        for name in _free_names(text):
            counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    if not ranked or ranked[0] < 2 or (len(ranked) > 1 and ranked[1] * 2 > ranked[0]):
        return None
    return next(name for name, n in counts.items() if n == ranked[0])


def sentence_claims(sentence: str, *, published: date | None = None,
                    context: str = "", previous: tuple[str, ...] = (),
                    title: str = "", earlier: tuple[str, ...] = ()
                    ) -> list[tuple[float, int | None, str | None, str]]:
    """Spending levels stated in one sentence: ``(value, target_year, actor, kind)`` each.

    ``context`` (the title and the sentences around it) lets a sentence without a defence
    word of its own count when it is about defence; ``previous`` (the sentences before it,
    nearest last) and ``title`` name the actor when the sentence does not, else the
    country ``earlier`` (the article before it) is clearly about ("he said" after a
    paragraph about London's plans); ``published`` resolves relative years."""
    levels = _levels(sentence, in_context=bool(_DEFENCE_CONTEXT.search(context)))
    if not levels:
        return []
    spans = _clauses(sentence)
    mentions = _mentions(sentence, context=context)
    around = [_mentions(text, context=context) for text in (*reversed(previous), title) if text]
    out: list[tuple[float, int | None, str | None, str]] = []
    fallback: list[str | None] = []  # computed once, when first needed
    for n, lv in enumerate(levels):
        m = lv.match
        first = levels[lv.range_start].match
        last = levels[lv.range_end]
        ci = _clause_of(spans, first.start())
        c_start, c_end = spans[ci]
        range_from = (lv.range_start != lv.range_end and n == lv.range_start
                      and bool(re.search(r"\bfrom\s+(?:\w+\s+){0,2}$",
                                         sentence[c_start:first.start()])))
        year = _year_of(sentence, spans, ci, levels, n, range_from, published)
        head = sentence[c_start:first.start()]
        if n != lv.range_start:  # "from 2% to 3.5%": the "from" is the first value's
            head = re.sub(r"\bfrom\s+(?:\w+\s+){0,2}$", "", head)
        tail = sentence[last.evidence_end:c_end]
        attached = bool(_TARGET_AFTER.match(sentence[m.end():m.end() + 60])
                        or _TARGET_AFTER.match(sentence[last.evidence_end:last.evidence_end + 40])
                        or _TARGET_BEFORE.search(head))
        kind = _kind(head, tail, attached_goal=attached, range_from=range_from, year=year,
                     published=published, before=sentence[:first.start()])
        actor = _actor_of(sentence, spans, ci, first.start(), m.end(), mentions, around)
        if actor is None and earlier:
            if not fallback:
                fallback.append(_article_actor(list(earlier)))
            actor = fallback[0]
        if lv.follow_on and out:  # "... and a further 1.5%": the first level's, unless told
            between = sentence[levels[n - 1].evidence_end:m.start()]
            prev_value, prev_year, prev_actor, prev_kind = out[-1]
            own = [x for x in mentions if levels[n - 1].evidence_end <= x.start < m.start()
                   and not (x.after_preposition or x.modifier or x.threat)]
            actor = own[0].name if own else prev_actor
            if not any(rx.search(between) for _, rx in _CUES):  # one verb for both
                kind = prev_kind
                year = year if year is not None else prev_year
        claim = (_value(m.group(1)) or 0.0, year, actor, kind)
        if claim not in out:
            out.append(claim)
    return out


# --- articles -----------------------------------------------------------------------------

def article_claims(title: str, text: str, published: date | datetime | None = None
                   ) -> list[Claim]:
    """Every level stated in one article (repeats included), sentence by sentence."""
    doc = text if text.startswith(title) else f"{title}\n{text}" if title else text
    day = published.date() if isinstance(published, datetime) else published
    sentences = [s for s in (" ".join(p.split()) for p in _SENTENCES.split(doc)) if s]
    out = []
    for i, sentence in enumerate(sentences):
        if not _VALUE.search(sentence):
            continue
        context = " ".join([title, *sentences[max(0, i - CONTEXT_BEFORE):i],
                            *sentences[i + 1:i + 1 + CONTEXT_AFTER]])
        previous = tuple(sentences[max(0, i - CONTEXT_BEFORE):i])
        for value, year, actor, kind in sentence_claims(
                sentence, published=day, context=context, previous=previous, title=title,
                earlier=tuple(sentences[:i])):
            out.append(Claim(value, year, actor, kind, sentence[:500]))
    return out


def extract_claims(articles: pl.DataFrame) -> pl.DataFrame:
    """``claims`` rows for ``articles`` (needs ``article_id``, ``title``, ``text``; uses
    ``published_at`` when present to resolve "this year", "next year", "within a decade").

    One row per level stated, with ``target_year``, ``actor`` and ``kind`` as its clause
    says them; ``snippet`` is the sentence. A claim repeated in one article (same value,
    year, actor and kind) is kept once.
    """
    if articles.is_empty():
        return schema.empty("claims")
    published = (pl.col("published_at") if "published_at" in articles.columns
                 else pl.lit(None, pl.Datetime("us", "UTC")))
    candidates = articles.select(
        "article_id", pl.col("title").fill_null(""), pl.col("text").fill_null(""),
        published.alias("_published"), _doc=document(articles),
    ).filter(
        pl.col("_doc").str.contains(_CANDIDATE) & pl.col("_doc").str.contains(_CANDIDATE_CONTEXT)
    )
    rows = []
    seen = set()
    for article_id, title, text, published_at, _ in candidates.iter_rows():
        for c in article_claims(title, text, published_at):
            key = (article_id, c.value, c.target_year, c.actor, c.kind)
            if key not in seen:
                seen.add(key)
                rows.append((article_id, CLAIM_TYPE, c.value, UNIT, c.target_year, c.actor,
                             c.kind, c.snippet))
    return pl.DataFrame(rows, schema=schema.CLAIMS, orient="row")
