"""Literal prefilter words and cheap pre-check regexes, read off a topic's regex.

Most articles mention no topic. The tagger first looks for a few literal words per
topic with one Aho-Corasick pass and runs a topic's regex only where one occurs. The
words come from the regex itself, so they cannot drift from it: every match of the
regex contains one of them. They are read off Python's parse of the (Rust) regex;
constructs the two dialects read differently make the analysis give up (None).
"""

from __future__ import annotations

import re
import re._constants as _sre
import re._parser as _sre_parse
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from analytics.contracts.taxonomy import Topic, check_regex


def prefilter_words(topic: Topic) -> tuple[str, ...] | None:
    """Lowercase literals of which every match of ``topic.regex`` contains at least one.

    An article in which none of them occurs (ASCII case-insensitively, e.g. with
    polars' ``str.contains_any(words, ascii_case_insensitive=True)``) has no match, so
    the exact regex need only run on the others. ``None``: no such literals (a pattern
    this module cannot analyse, or one that matches without any fixed text); every
    article is a candidate. See ``required_literals``.
    """
    return _literals_of(topic.alternation)


def precheck_regex(topic: Topic) -> str | None:
    """A cheap regex that matches in every text in which ``topic.regex`` matches: per
    alternative, its most selective run between gaps such as ``(?:\\S+\\s+){0,6}?``
    (``relaxed_regex``). None: the regex has few such gaps (it is fast already)."""
    return _precheck_of(topic.alternation)


@lru_cache(maxsize=1024)
def _literals_of(alternation: str) -> tuple[str, ...] | None:
    return required_literals(alternation)


@lru_cache(maxsize=1024)
def _precheck_of(alternation: str) -> str | None:
    relaxed = relaxed_regex(alternation)
    if relaxed is None or check_regex(rf"(?i){relaxed}") is not None:
        return None
    return rf"(?i){relaxed}"


_MAX_SET = 64  # largest set of alternative strings tracked for one regex piece
# The only non-ASCII characters that Rust's case-insensitive regexes match with ASCII
# letters: LATIN SMALL LETTER LONG S (s) and KELVIN SIGN (k). An ASCII case-insensitive
# literal search misses them, so they are prefilter words of their own.
_FOLDS_TO_ASCII = {"s": "\u017f", "k": "\u212a"}
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}


class _Unsupported(Exception):
    pass


def required_literals(regex: str) -> tuple[str, ...] | None:
    """Lowercase strings of which every match of ``regex`` contains at least one, or None.

    ASCII letters are compared case-insensitively; the result holds "\u017f" or
    "\u212a" whenever a word holds "s" or "k" (Rust's case-insensitive matching folds
    them to ASCII). Literals never hold white space, so blanking out text (exclusions)
    cannot create a match whose literal is not in the original text. Among the literal
    pieces of a regex the longest is chosen (fewest false candidates).
    """
    if _rust_only(regex):
        return None
    try:
        parsed = _sre_parse.parse(regex)
        if parsed.state.flags & re.VERBOSE:
            return None
        words = _required(_info(list(parsed)))
    except (re.error, _Unsupported, RecursionError, ValueError):
        return None
    if words is None:
        return None
    words = _minimal(words)
    extra = {fold for letter, fold in _FOLDS_TO_ASCII.items() if any(letter in w for w in words)}
    return tuple(sorted(words)) + tuple(sorted(extra))


_GAPS_MIN = 10  # widen only regexes with at least this much counted gap (see relaxed_regex)
_UNBOUNDED_GAP = 8


def relaxed_regex(regex: str, gaps_min: int = _GAPS_MIN) -> str | None:
    """A regex (Rust syntax) matching wherever ``regex`` matches, or None.

    Per top-level alternative, the run of its items between gaps (repeated
    groups such as ``(?:\\S+\\s+){0,6}?`` or ``(?:[^.!?\\n]|[.!?]\\S)*?``): every match of
    the alternative contains a match of that run; the most selective run is taken
    (``_selectivity``). Assertions are dropped (a superset). Regexes with many counted gaps
    make the lazy DFA of Rust's regex engine give up; the relaxed regex has none and is a
    cheap exact pre-check (no match of it, no match of ``regex``). None: fewer than
    ``gaps_min`` gap units (a bounded repeat counts its maximum, an unbounded one
    _UNBOUNDED_GAP), or a construct this cannot rewrite (flags, look-arounds, Rust-only
    syntax).
    """
    if _rust_only(regex):
        return None
    try:
        parsed = _sre_parse.parse(regex)
        if parsed.state.flags & ~re.UNICODE:
            return None
        gaps = [0]
        runs = []
        for items in _alternatives(list(parsed)):
            segments: list[list] = [[]]
            for item in items:
                if _is_gap(item):
                    lo_hi = item[1][1]  # an optional stretch (1) spans a sentence
                    gaps[0] += _UNBOUNDED_GAP if lo_hi in (_sre.MAXREPEAT, 1) else lo_hi
                    segments.append([])
                else:
                    segments[-1].append(item)
            scored = [(_selectivity(seg), _unparse(seg, gaps)) for seg in segments]
            best = max(scored, key=lambda x: x[0])[1]
            if not best:
                return None
            runs.append(best)
    except (re.error, _Unsupported, RecursionError, ValueError):
        return None
    if gaps[0] < gaps_min:
        return None
    return "(?:" + "|".join(sorted(set(runs))) + ")"


def _selectivity(items: list) -> tuple[int, tuple[int, int]]:
    """How selective a run of items is, roughly: how many of its items (a run of literal
    characters counts once) hold required literals, then how long those are."""
    slots, literal = 0, False
    for item in items:
        if item[0] is _sre.LITERAL:
            slots += not literal
            literal = True
            continue
        literal = False
        slots += _required(_info([item])) is not None
    words = _required(_info(items)) if items else None
    return slots, (_score(words) if words else (0, 0))


def _is_gap(item) -> bool:
    op, arg = item
    if op not in _REPEATS:
        return False
    lo, hi, sub = arg
    sub = list(sub)
    if hi == 1:
        # An optional stretch that holds a gap is a gap: the span of an AND rule,
        # ``(?:[^.!?\n]|[.!?]\S)*?`` wrapped in ``(?:...)?``. Without this, an AND rule's
        # pre-check is the whole rule, as slow as the rule itself.
        return lo == 0 and any(_is_gap(x) for x in sub)
    single = len(sub) == 1 and sub[0][0] in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN)
    return not single and hi > 1


def _alternatives(items: list) -> list[list]:
    """The top-level alternatives of a parsed regex (through non-capturing groups)."""
    if len(items) == 1:
        op, arg = items[0]
        if op is _sre.BRANCH:
            return [alt for sub in arg[1] for alt in _alternatives(list(sub))]
        if op is _sre.SUBPATTERN and not arg[1] and not arg[2]:
            return _alternatives(list(arg[3]))
    return [items]


_CATEGORIES = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W",
}


def _hex(code: int) -> str:
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:x}}}"


def _unparse(items: list, gaps: list[int]) -> str:
    """Rust regex text for parsed items, with assertions dropped (a superset)."""
    out = []
    for op, arg in items:
        if op is _sre.LITERAL:
            out.append(_hex(arg))
        elif op is _sre.NOT_LITERAL:
            out.append(f"[^{_hex(arg)}]")
        elif op is _sre.ANY:
            out.append(".")
        elif op is _sre.IN:
            parts: list[str] = []
            for kind, value in arg:
                if kind is _sre.NEGATE and not parts:
                    parts.append("^")
                elif kind is _sre.LITERAL:
                    parts.append(_hex(value))
                elif kind is _sre.RANGE:
                    parts.append(f"{_hex(value[0])}-{_hex(value[1])}")
                elif kind is _sre.CATEGORY and value in _CATEGORIES:
                    parts.append(_CATEGORIES[value])
                else:
                    raise _Unsupported(kind)
            out.append("[" + "".join(parts) + "]")
        elif op is _sre.AT:
            continue
        elif op is _sre.BRANCH:
            out.append("(?:" + "|".join(_unparse(list(alt), gaps) for alt in arg[1]) + ")")
        elif op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise _Unsupported("flags")
            out.append("(?:" + _unparse(list(sub), gaps) + ")")
        elif op in _REPEATS:
            lo, hi, sub = arg
            if _is_gap((op, arg)):
                gaps[0] += _UNBOUNDED_GAP if hi == _sre.MAXREPEAT else hi
                out.append("(?s:.*?)")
                continue
            top = "" if hi == _sre.MAXREPEAT else str(hi)
            out.append(f"(?:{_unparse(list(sub), gaps)}){{{lo},{top}}}")
        else:
            raise _Unsupported(op)
    return "".join(out)


def _rust_only(regex: str) -> bool:
    """True if ``regex`` holds syntax that Rust and Python read differently: \\< \\> \\b{
    \\B{ (assertions in Rust, literals in Python), or a class holding ``[`` (a nested class
    in Rust) or a doubled ``-&~|`` (set operations in Rust). Checked by scanning, not by
    turning Python's "possible nested set" warning into an error: the warning filters are
    process-wide, and tagging runs in threads beside code that warns."""
    i, in_class = 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            nxt = regex[i + 1 : i + 2]
            if not in_class and (nxt in ("<", ">") or (nxt in ("b", "B")
                                                      and regex[i + 2 : i + 3] == "{")):
                return True
            i += 2
            continue
        if not in_class:
            if c == "[":
                in_class = True
                i += 1
                if regex[i : i + 1] == "^":
                    i += 1
                if regex[i : i + 1] == "]":  # a leading ] is a literal in both
                    i += 1
                continue
        elif c == "[" or (c in "-&~|" and regex[i + 1 : i + 2] == c):
            return True
        elif c == "]":
            in_class = False
        i += 1
    return False


def _char(code: int) -> str | None:
    """The character as matched ASCII case-insensitively, or None if it cannot be a literal
    (white space, or a non-ASCII character with case variants)."""
    ch = chr(code)
    if ch.isspace():
        return None
    if ch.isascii():
        return ch.lower()
    if unicodedata.category(ch)[0] in "PS" and ch.lower() == ch.upper() == ch.casefold() == ch:
        return ch
    return None


Words = frozenset[str]


class _Lit(NamedTuple):
    """What a regex piece says about literals: ``exact`` every string it can match (if
    few), ``prefix`` strings one of which each match starts with, ``best`` strings (not
    empty) one of which each match contains. None: nothing known."""

    exact: Words | None
    prefix: Words | None
    best: Words | None


_UNKNOWN = _Lit(None, None, None)
_EMPTY = _Lit(frozenset({""}), frozenset({""}), None)


def _as_set(words: Words | None) -> Words | None:
    return None if words is None or "" in words else words


def _score(words: Words) -> tuple[int, int]:
    return (min(len(w) for w in words), -len(words))


def _either(*sets: Words | None) -> Words | None:
    """The most selective of several sufficient literal sets: longest shortest word."""
    known = [s for s in sets if s is not None]
    return max(known, key=_score) if known else None


def _minimal(words: Words) -> Words:
    """Drop words that contain another word of the set (the shorter one finds them)."""
    return frozenset(w for w in words if not any(o != w and o in w for o in words))


def _product(a: Words, b: Words) -> Words | None:
    return frozenset(x + y for x in a for y in b) if len(a) * len(b) <= _MAX_SET else None


def _required(lit: _Lit) -> Words | None:
    return _either(lit.best, _as_set(lit.prefix), _as_set(lit.exact))


def _info(items: list) -> _Lit:
    """``_Lit`` of a sequence of parsed regex items."""
    run: Words = frozenset({""})  # exact strings of the items since the last unknown one
    prefix: Words | None = None
    best: Words | None = None
    flushed = False
    for op, arg in items:
        lit = _item(op, arg)
        if lit.exact is not None:
            longer = _product(run, lit.exact)
            if longer is not None:
                run = longer
                continue
        joined = _product(run, lit.prefix) if lit.prefix is not None else None
        joined = joined if joined is not None else run
        if not flushed:
            prefix, flushed = joined, True
        best = _either(best, _as_set(joined), lit.best)
        run = lit.exact if lit.exact is not None else frozenset({""})
    if not flushed:
        return _Lit(run, run, None)
    return _Lit(None, _as_set(prefix), _either(best, _as_set(run)))


def _item(op, arg) -> _Lit:
    if op is _sre.LITERAL:
        ch = _char(arg)
        return _Lit(frozenset({ch}), frozenset({ch}), None) if ch is not None else _UNKNOWN
    if op in (_sre.NOT_LITERAL, _sre.ANY):
        return _UNKNOWN
    if op is _sre.AT:
        return _EMPTY
    if op is _sre.IN:
        chars = set()
        for kind, value in arg:
            if kind is _sre.LITERAL:
                codes: list[int] | range = [value]
            elif kind is _sre.RANGE and value[1] - value[0] < _MAX_SET:
                codes = range(value[0], value[1] + 1)
            else:  # NEGATE, CATEGORY (\d \w \s) or a wide range
                return _UNKNOWN
            for code in codes:
                ch = _char(code)
                if ch is None:
                    return _UNKNOWN
                chars.add(ch)
        if len(chars) > _MAX_SET:
            return _UNKNOWN
        return _Lit(frozenset(chars), frozenset(chars), None)
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = arg
        if add_flags & re.VERBOSE:
            raise _Unsupported("verbose")
        return _info(list(sub))
    if op is _sre.BRANCH:
        alts = [_info(list(alt)) for alt in arg[1]]
        exact = prefix = None
        if all(a.exact is not None for a in alts):
            exact = frozenset().union(*(a.exact for a in alts if a.exact is not None))
            exact = exact if len(exact) <= _MAX_SET else None
        if all(a.prefix is not None for a in alts):
            prefix = frozenset().union(*(a.prefix for a in alts if a.prefix is not None))
            prefix = prefix if len(prefix) <= _MAX_SET else None
        sets = [s for a in alts if (s := _required(a)) is not None]
        best = _minimal(frozenset().union(*sets)) if len(sets) == len(alts) else None
        return _Lit(exact, prefix, best)
    if op in _REPEATS:
        lo, hi, sub = arg
        lit = _info(list(sub))
        if hi == 0:
            return _EMPTY
        if lo == 0:
            if hi == 1 and lit.exact is not None:
                return _Lit(lit.exact | {""}, lit.exact | {""}, None)
            return _UNKNOWN
        if lo == hi == 1:
            return lit
        if lit.exact is not None and lo == hi:
            out: Words | None = frozenset({""})
            for _ in range(lo):
                out = _product(out, lit.exact) if out is not None else None
            if out is not None:
                return _Lit(out, out, None)
        return _Lit(None, lit.prefix, _required(lit))
    raise _Unsupported(op)  # look-arounds, back-references, atomic groups: not Rust
