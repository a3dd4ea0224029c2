"""Cue rules: proximity, co-occurrence and exclusion within a sentence, compiled to regexes.

A rule is one term, or two terms joined by an operator::

    negotiat* NEAR/6 (war | conflict | peace)     # within 6 words, either order
    {percent} "of GDP" AND (defence | military)   # both in the same sentence
    (ammunition | shells) NEAR/4 supplied
    talks NOT (trade | tariff*)                   # "talks", unless the sentence has B

A term is a word (``negotiat*`` takes any ending), a quoted phrase, ``{percent}`` (a
share written "2%", "2.5 per cent", "two percent", "3 pc"), a sequence of these, or
alternatives in parentheses separated by ``|``. Words follow the taxonomy's phrase rules
(case, hyphens, plurals, British and American spellings). A rule never reaches across a
sentence end, so each compiles to a plain regex that polars runs in Rust like a phrase.

``A NOT B`` makes A a cue (as the one-term rule ``A`` would) and blanks, before the topic
is counted, every sentence that holds both A and B (``compile_exclusion``: one regex from
the sentence start to its end, A and B in either order; the topic's ``exclude`` phrases
are blanked the same way). Rust's regex engine has no look-arounds, so "A in a sentence
without B" cannot be one cue regex. The consequence: such a sentence does not count for
the topic at all, not even through its other phrases, patterns or rules. NOT joins only
two terms; it does not combine with NEAR/n or AND in one rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten"
PERCENT = (
    rf"(?:\d{{1,3}}(?:[.,]\d{{1,2}})?|(?:{_NUMBER_WORDS})(?:[\s-]+(?:and[\s-]+a[\s-]+half|"
    r"point[\s-]+\w+))?)\s*(?:%|[\s-]*(?:per[\s-]*cent|percent|pct|pc)\b)"
)
# Between two words inside one sentence: no full stop, question or exclamation mark.
# ASCII classes keep the regex a small DFA (a Unicode \w is many times slower); a
# non-ASCII letter counts as a separator.
_GAP = r"[^0-9A-Za-z_.!?\n]+"
_WORD = r"[0-9A-Za-z_]+(?:[.'\-][0-9A-Za-z_]+)*"
_SENTENCE_PART = r"(?:[^.!?\n]|[.!?]\S)"
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(\|)|"([^"]*)"|(\{percent\})|(NEAR/(\d+))\b|(AND|NOT)\b|'
                    r"([^\s()|\"{}]+))")
MAX_NEAR = 20
_ASCII_WORD_CHAR = "[0-9A-Za-z_]"


def _ascii(rx: str) -> str:
    """``rx`` with its word-family endings (``\\w*``) over ASCII word characters: a rule
    counts words as the gap does, and a Unicode class beside the gap's class makes the
    regex a DFA many times larger (and slower)."""
    return rx.replace(r"\w*", _ASCII_WORD_CHAR + "*")


class RuleError(ValueError):
    """A cue rule does not parse; the message says where and why."""


def _tokens(rule: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(rule):
        if rule[pos:].strip() == "":
            break
        m = _TOKEN.match(rule, pos)
        if not m or m.end() == pos:
            raise RuleError(f"cannot read {rule[pos:].strip()[:20]!r}")
        pos = m.end()
        if m.group(1):
            out.append(("(", ""))
        elif m.group(2):
            out.append((")", ""))
        elif m.group(3):
            out.append(("|", ""))
        elif m.group(4) is not None:
            if not m.group(4).strip():
                raise RuleError("empty quoted phrase")
            out.append(("phrase", m.group(4)))
        elif m.group(5):
            out.append(("percent", ""))
        elif m.group(6):
            out.append(("near", m.group(7)))
        elif m.group(8):
            out.append((m.group(8).lower(), ""))
        else:
            out.append(("word", m.group(9)))
    return out


def _term(tokens: list[tuple[str, str]], i: int, phrase: Callable[[str], str]) -> tuple[str, int]:
    """The regex of the term starting at ``tokens[i]`` and the index after it."""
    parts = []
    while i < len(tokens) and tokens[i][0] in ("word", "phrase", "percent", "("):
        kind, value = tokens[i]
        if kind == "(":
            alts, i = [], i + 1
            while True:
                rx, i = _term(tokens, i, phrase)
                alts.append(rx)
                if i < len(tokens) and tokens[i][0] == "|":
                    i += 1
                    continue
                if i < len(tokens) and tokens[i][0] == ")":
                    i += 1
                    break
                if i < len(tokens) and tokens[i][0] in ("near", "and", "not"):
                    raise RuleError("NEAR/n, AND and NOT cannot stand inside parentheses")
                raise RuleError("unclosed '('")
            parts.append("(?:" + "|".join(sorted(alts, key=lambda a: (-len(a), a))) + ")")
        else:
            parts.append(PERCENT if kind == "percent" else _ascii(phrase(value)))
            i += 1
    if not parts:
        found = tokens[i][0] if i < len(tokens) else "the end"
        raise RuleError(f"expected a word, phrase or '(' before {found!r}")
    return r"[\s\-]+".join(parts), i


def _compile(rule: str, phrase: Callable[[str], str]) -> tuple[str, tuple[str, str] | None]:
    """The cue regex of ``rule`` and, for ``A NOT B``, the regexes of A and B."""
    tokens = _tokens(rule)
    if not tokens:
        raise RuleError("empty rule")
    if tokens[0][0] == "not":
        raise RuleError("NOT needs a term before it: A NOT B")
    left, i = _term(tokens, 0, phrase)
    if i == len(tokens):
        return left, None
    op, arg = tokens[i]
    if op not in ("near", "and", "not"):
        raise RuleError(f"expected NEAR/n, AND or NOT after the first term, found {op!r}")
    if op == "not" and i + 1 == len(tokens):
        raise RuleError("NOT needs a term after it: A NOT B")
    right, j = _term(tokens, i + 1, phrase)
    if j != len(tokens):
        ops = {t for t, _ in tokens} & {"near", "and", "not"}
        if "not" in ops and len(ops) > 1:
            raise RuleError("NOT cannot be combined with NEAR/n or AND in one rule")
        raise RuleError("a rule joins at most two terms (one NEAR/n, AND or NOT)")
    if op == "not":
        return left, (left, right)
    if op == "near":
        n = int(arg)
        if not 1 <= n <= MAX_NEAR:
            raise RuleError(f"NEAR/{n}: the distance must be 1 to {MAX_NEAR} words")
        gap = rf"(?:{_GAP}{_WORD}){{0,{n}}}?{_GAP}"
    else:
        gap = rf"{_GAP}(?:{_SENTENCE_PART}*?{_GAP})?"
    return rf"(?:{left}{gap}{right}|{right}{gap}{left})", None


def compile_rule(rule: str, phrase: Callable[[str], str]) -> str:
    """The regex (no flags or outer word boundaries) of one rule; ``phrase`` turns a word
    or quoted phrase into its regex (the taxonomy's ``phrase_regex``). For ``A NOT B``
    the regex of A (the cue); ``compile_exclusion`` gives the sentences it excludes."""
    return _compile(rule, phrase)[0]


def compile_exclusion(rule: str, phrase: Callable[[str], str], boundary: str) -> str | None:
    """For ``A NOT B``: the regex (no flags) of a whole sentence that holds both A and B,
    in either order, each between ``boundary`` assertions (the taxonomy's word boundary);
    None for any other rule. A sentence never reaches across . ! ? (unless followed by a
    non-space, as in "2.5%") or a newline."""
    sides = _compile(rule, phrase)[1]
    if sides is None:
        return None
    a, b = (rf"{boundary}{rx}{boundary}" for rx in sides)
    s = _SENTENCE_PART
    return rf"{s}*(?:{a}{s}*?{b}|{b}{s}*?{a}){s}*"
