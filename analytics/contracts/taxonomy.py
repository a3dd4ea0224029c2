"""The taxonomy file: topics, their phrases and patterns, parsed into typed objects.

A taxonomy is TOML with one ``[[topic]]`` table per topic::

    [[topic]]
    id = "air_missile_defense"          # lowercase letters, digits, underscores
    label = "Air and missile defence"
    group = "NATO capability priorities" # optional
    description = "..."
    phrases = ["air defence", "patriot"] # English; or a table per language:
    # phrases = { en = ["air defence"], de = ["Luftverteidigung"] }
    patterns = ['shot down \\d+ drones']   # optional regular expressions (Rust syntax)
    exclude = ["nuclear power plant"]     # optional phrases that never count
    exclude_articles = ["hobby drone"]   # optional: the topic does not count in an
                                         # article whose document contains one of these

Phrases match case-insensitively on word boundaries; a space also matches a hyphen
("air defence" finds "air-defence"), the last word may take a plural ending, British
and American spellings match each other (defence/defense, armour/armor), and a
trailing ``*`` matches any word ending ("intercept*").
"""

from __future__ import annotations

import re
import re._constants as _sre
import re._parser as _sre_parse
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import polars as pl

from analytics.contracts.toml_lines import line_of

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# ASCII word boundaries keep polars' regex engine on its fast DFA path (a Unicode \b
# forces a slower engine: 20x on real text). A phrase that begins or ends with a
# non-ASCII letter therefore also matches inside a word.
WORD_BOUNDARY = r"(?-u:\b)"
_TOPIC_KEYS = {
    "id", "label", "description", "group", "phrases", "patterns", "exclude", "exclude_articles",
}
# British spelling -> regex matching both spellings; applied per word.
_SPELLINGS = {
    "defence": "defen[cs]e",
    "defense": "defen[cs]e",
    "defences": "defen[cs]es",
    "defenses": "defen[cs]es",
    "armour": "armou?r",
    "armor": "armou?r",
    "armoured": "armou?red",
    "armored": "armou?red",
    "manoeuvre": "(?:manoeuvre|maneuver)",
    "maneuver": "(?:manoeuvre|maneuver)",
    "programme": "program(?:me)?",
    "program": "program(?:me)?",
}


class TaxonomyError(ValueError):
    """The taxonomy file is invalid; the message names the file, line, topic and key."""


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    description: str
    group: str = ""
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> phrases
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_articles: tuple[str, ...] = ()  # phrases: the topic does not count in their article

    @property
    def all_phrases(self) -> tuple[str, ...]:
        return tuple(p for lang in sorted(self.phrases) for p in self.phrases[lang])

    @property
    def alternation(self) -> str:
        """The topic's phrases and patterns as one regex group, without flags or boundaries."""
        return _group([phrase_regex(p) for p in self.all_phrases] + list(self.patterns))

    @property
    def regex(self) -> str:
        """One case-insensitive, word-bounded regex matching any phrase or pattern."""
        return rf"(?i){WORD_BOUNDARY}{self.alternation}{WORD_BOUNDARY}"

    @cached_property
    def prefilter_words(self) -> tuple[str, ...] | None:
        """Lowercase literals of which every match of ``regex`` contains at least one.

        An article in which none of them occurs (ASCII case-insensitively, e.g. with
        polars' ``str.contains_any(words, ascii_case_insensitive=True)``) has no match, so
        the exact regex need only run on the others. ``None``: no such literals (a pattern
        this module cannot analyse, or one that matches without any fixed text); every
        article is a candidate. See ``required_literals``.
        """
        return required_literals(self.alternation)

    @cached_property
    def precheck_regex(self) -> str | None:
        """A cheap regex that matches in every text in which ``regex`` matches: per
        alternative, its most selective run between gaps such as ``(?:\\S+\\s+){0,6}?``
        (``relaxed_regex``). None: the regex has few such gaps (it is fast already)."""
        relaxed = relaxed_regex(self.alternation)
        if relaxed is None or _check_regex(rf"(?i){relaxed}") is not None:
            return None
        return rf"(?i){relaxed}"

    @property
    def exclude_regex(self) -> str | None:
        """The ``exclude`` phrases, blanked out of a document before the topic is counted."""
        return _phrases_regex(self.exclude)

    @property
    def exclude_articles_regex(self) -> str | None:
        """The ``exclude_articles`` phrases: an article whose document (title + text, before
        ``exclude`` blanking) matches does not count for the topic."""
        return _phrases_regex(self.exclude_articles)


def _phrases_regex(phrases: tuple[str, ...]) -> str | None:
    """Case-insensitive, word-bounded regex matching any of ``phrases``; None for none."""
    if not phrases:
        return None
    b = WORD_BOUNDARY
    return rf"(?i){b}{_group([phrase_regex(p) for p in phrases])}{b}"


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    path: str = "<memory>"
    name: str = "taxonomy"

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    def labels(self) -> dict[str, str]:
        return {t.id: t.label for t in self.topics}


def _group(parts: list[str]) -> str:
    # Longest first, so that the reported match is the most specific phrase.
    ordered = sorted(set(parts), key=lambda p: (-len(p), p))
    return "(?:" + "|".join(ordered) + ")"


def phrase_regex(phrase: str) -> str:
    """Regex for one taxonomy phrase (without word boundaries or flags)."""
    words = re.split(r"\s+", phrase.strip().lower())
    out = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        wildcard = word.endswith("*")
        word = word.rstrip("*")
        parts = [_SPELLINGS.get(w, re.escape(w)) for w in word.split("-")]
        rx = r"[\s\-]*".join(parts)
        if wildcard:
            rx += r"\w*"
        elif last and word[-1:].isalpha() and not word.endswith(("s", "y")):
            rx += "(?:s|es)?"
        out.append(rx)
    return r"[\s\-]+".join(out)


# --- Literal prefilter -------------------------------------------------------------
# Most articles mention no topic. The tagger first looks for a few literal words per
# topic with one Aho-Corasick pass and runs a topic's regex only where one occurs. The
# words come from the regex itself, so they cannot drift from it: every match of the
# regex contains one of them. They are read off Python's parse of the (Rust) regex;
# constructs the two dialects read differently make the analysis give up (None).

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
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set": Rust class syntax
            parsed = _sre_parse.parse(regex)
        if parsed.state.flags & re.VERBOSE:
            return None
        words = _required(_info(list(parsed)))
    except (re.error, _Unsupported, FutureWarning, RecursionError, ValueError):
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
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = _sre_parse.parse(regex)
        if parsed.state.flags & ~re.UNICODE:
            return None
        gaps = [0]
        runs = []
        for items in _alternatives(list(parsed)):
            segments: list[list] = [[]]
            for item in items:
                if _is_gap(item):
                    lo_hi = item[1][1]
                    gaps[0] += _UNBOUNDED_GAP if lo_hi == _sre.MAXREPEAT else lo_hi
                    segments.append([])
                else:
                    segments[-1].append(item)
            scored = [(_selectivity(seg), _unparse(seg, gaps)) for seg in segments]
            best = max(scored, key=lambda x: x[0])[1]
            if not best:
                return None
            runs.append(best)
    except (re.error, _Unsupported, FutureWarning, RecursionError, ValueError):
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
            parts = []
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
    """True if ``regex`` holds \\< \\> \\b{ or \\B{: assertions in Rust, literals in Python."""
    i = 0
    while i < len(regex) - 1:
        if regex[i] == "\\":
            if regex[i + 1] in "<>" or (regex[i + 1] in "bB" and regex[i + 2 : i + 3] == "{"):
                return True
            i += 2
        else:
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
                codes = [value]
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
            exact = frozenset().union(*(a.exact for a in alts))
            exact = exact if len(exact) <= _MAX_SET else None
        if all(a.prefix is not None for a in alts):
            prefix = frozenset().union(*(a.prefix for a in alts))
            prefix = prefix if len(prefix) <= _MAX_SET else None
        sets = [_required(a) for a in alts]
        best = None if None in sets else _minimal(frozenset().union(*sets))
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


def _check_regex(rx: str) -> str | None:
    try:
        pl.select(pl.lit("").str.contains(rx))
    except Exception as exc:  # polars' compute error carries the regex parser message
        return str(exc).splitlines()[0]
    return None


def _phrase_lists(value, where) -> dict[str, tuple[str, ...]]:
    if isinstance(value, list):
        value = {"en": value}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: 'phrases' must be a list or a table of lists per language")
    out = {}
    for lang, items in value.items():
        if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
            raise TaxonomyError(f"{where}: 'phrases.{lang}' must be a list of non-empty strings")
        out[lang] = tuple(items)
    return out


def _phrase_list(raw: dict, key: str, where) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise TaxonomyError(f"{where(key)}: must be a list of non-empty strings")
    return value


def parse_taxonomy(text: str, path: str = "<memory>") -> Taxonomy:
    """Parse taxonomy TOML; raise ``TaxonomyError`` naming file, line, topic and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from exc
    raw_topics = data.get("topic")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise TaxonomyError(f"{path}: no [[topic]] tables found")
    topics: list[Topic] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_topics):
        tid = raw.get("id")

        def where(key=None, i=i, tid=tid):
            return f"{path}:{line_of(text, 'topic', i, key)}: topic {tid or f'#{i + 1}'!s}" + (
                f", key {key!r}" if key else ""
            )

        if not isinstance(tid, str) or not _ID.match(tid):
            raise TaxonomyError(f"{where('id')}: id must match {_ID.pattern}")
        if tid in seen:
            raise TaxonomyError(
                f"{where('id')}: duplicate id (first defined in topic #{seen[tid] + 1})"
            )
        seen[tid] = i
        unknown = set(raw) - _TOPIC_KEYS
        if unknown:
            raise TaxonomyError(f"{where(sorted(unknown)[0])}: unknown key")
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{where('label')}: label must be a non-empty string")
        phrases = _phrase_lists(raw.get("phrases", []), where("phrases"))
        patterns = raw.get("patterns", [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise TaxonomyError(f"{where('patterns')}: must be a list of strings")
        if not any(phrases.values()) and not patterns:
            raise TaxonomyError(f"{where('phrases')}: empty pattern list (no phrases or patterns)")
        for p in patterns:
            err = _check_regex(p)
            if err:
                raise TaxonomyError(f"{where('patterns')}: invalid regex {p!r}: {err}")
        exclude, exclude_articles = (_phrase_list(raw, key, where)
                                     for key in ("exclude", "exclude_articles"))
        topic = Topic(
            id=tid,
            label=label.strip(),
            description=str(raw.get("description", "")).strip(),
            group=str(raw.get("group", "")).strip(),
            phrases=phrases,
            patterns=tuple(patterns),
            exclude=tuple(exclude),
            exclude_articles=tuple(exclude_articles),
        )
        err = _check_regex(topic.regex)
        if err:
            raise TaxonomyError(f"{where('phrases')}: phrases do not compile: {err}")
        for key, rx in (("exclude", topic.exclude_regex),
                        ("exclude_articles", topic.exclude_articles_regex)):
            err = _check_regex(rx) if rx else None
            if err:
                raise TaxonomyError(f"{where(key)}: phrases do not compile: {err}")
        topics.append(topic)
    meta = data.get("meta", {})
    return Taxonomy(topics=tuple(topics), path=path, name=str(meta.get("name", Path(path).stem)))


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and parse a taxonomy file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc.strerror}") from exc
    return parse_taxonomy(text, str(path))
