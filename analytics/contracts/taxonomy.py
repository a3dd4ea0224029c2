"""The taxonomy file: topics, their phrases and patterns, parsed into typed objects.

A taxonomy is TOML with an optional ``[meta]`` table (``name``, ``version``,
``alert_quiet_days``) and one ``[[topic]]`` table per topic; any other key is an error
naming its line::

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
    rules = ['negotiat* NEAR/6 (war | peace)']  # optional cue rules (see cue_rules)
    # 'talks NOT (trade | tariff*)': "talks" counts; a sentence with both is blanked
    alert = "burst"   # optional: "burst", "watch" (a day to watch too) or "off";
                      # unset: the default of analytics/alerts/rules.py (docs/alerts.md)

Phrases match case-insensitively on word boundaries; a space also matches a hyphen
("air defence" finds "air-defence"), the last word may take a plural ending, British
and American spellings match each other (defence/defense, armour/armor), and a
trailing ``*`` matches any word ending ("intercept*").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analytics.contracts.cue_rules import RuleError, compile_exclusion, compile_rule
from analytics.contracts.toml_lines import (
    did_you_mean,
    line_of,
    table_line,
    top_key_line,
    value_line,
)

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# ASCII word boundaries keep polars' regex engine on its fast DFA path (a Unicode \b
# forces a slower engine: 20x on real text). A phrase that begins or ends with a
# non-ASCII letter therefore also matches inside a word.
WORD_BOUNDARY = r"(?-u:\b)"
_TOP_KEYS = ("meta", "topic")
_META_KEYS = {"name": (str, "a string"), "version": (int, "a whole number"),
              "alert_quiet_days": (int, "a whole number of days, 0 or more")}
_TOPIC_KEYS = {
    "id", "label", "description", "group", "phrases", "patterns", "exclude", "exclude_articles",
    "rules", "alert",
}
ALERT_MODES = ("burst", "watch", "off")  # what of a topic's bursts alerts (docs/alerts.md)
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
    rules: tuple[str, ...] = ()  # cue rules as written (cue_rules); compiled in ``cues``
    # One of ALERT_MODES, or "" for the default (analytics.alerts.rules). Out of repr: the
    # tagger's fingerprint hashes repr(topics), and an alert setting changes no match.
    alert: str = field(default="", repr=False, compare=False)

    @property
    def all_phrases(self) -> tuple[str, ...]:
        return tuple(p for lang in sorted(self.phrases) for p in self.phrases[lang])

    @property
    def cues(self) -> list[tuple[str, str]]:
        """Every cue as ``(what it is, its regex)``: phrases, patterns and rules."""
        return ([(f"phrase {p!r}", phrase_regex(p)) for p in self.all_phrases]
                + [(f"pattern {p!r}", p) for p in self.patterns]
                + [(f"rule {r!r}", compile_rule(r, phrase_regex)) for r in self.rules])

    @property
    def alternation(self) -> str:
        """The topic's phrases, patterns and rules as one regex group, without flags or
        boundaries."""
        return _group([rx for _, rx in self.cues])

    @property
    def regex(self) -> str:
        """One case-insensitive, word-bounded regex matching any phrase or pattern."""
        return rf"(?i){WORD_BOUNDARY}{self.alternation}{WORD_BOUNDARY}"

    @property
    def rule_exclusions(self) -> list[str]:
        """Per ``A NOT B`` rule, the regex (no flags) of a whole sentence holding A and B."""
        found = (compile_exclusion(r, phrase_regex, WORD_BOUNDARY) for r in self.rules)
        return [rx for rx in found if rx is not None]

    @property
    def exclude_regex(self) -> str | None:
        """What is blanked out of a document before the topic is counted: the ``exclude``
        phrases and, for each ``A NOT B`` rule, every sentence that holds both A and B
        (the sentences first: at one start, the whole sentence goes)."""
        phrases = _phrases_regex(self.exclude)
        sentences = sorted(set(self.rule_exclusions))
        if not sentences:
            return phrases
        words = [phrases.removeprefix("(?i)")] if phrases else []
        return "(?i)(?:" + "|".join(sentences + words) + ")"

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
    alert_quiet_days: int | None = None  # [meta]; None: the default (analytics.alerts.rules)

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


def check_regex(rx: str) -> str | None:
    """None if polars (Rust's regex engine) compiles ``rx``, else the engine's message,
    whole: its lines after "regex parse error:" (the regex, a caret under the fault,
    "error: ...") are the useful part."""
    try:
        pl.select(pl.lit("").str.contains(rx))
    except Exception as exc:  # polars' compute error carries the regex parser message
        message = str(exc).split("\n\nThis error occurred in the following expression")[0]
        return message.removeprefix("regex error: ").rstrip() or type(exc).__name__
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
    _check_meta(data, text, path)
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
        rules = _phrase_list(raw, "rules", where)
        for r in rules:
            try:
                compile_rule(r, phrase_regex)
            except RuleError as exc:
                raise TaxonomyError(f"{where('rules')}: rule {r!r}: {exc}") from exc
        if not any(phrases.values()) and not patterns and not rules:
            raise TaxonomyError(f"{where('phrases')}: empty pattern list (no phrases or patterns)")
        for p in patterns:
            err = check_regex(p)
            if err:
                line = value_line(text, "topic", i, p)
                if line == line_of(text, "topic", i):  # not found as written: the key's line
                    line = line_of(text, "topic", i, "patterns")
                raise TaxonomyError(f"{path}:{line}: topic {tid}, key 'patterns': "
                                    f"invalid regex {p!r}: {err}")
        exclude, exclude_articles = (_phrase_list(raw, key, where)
                                     for key in ("exclude", "exclude_articles"))
        alert = raw.get("alert", "")
        if "alert" in raw and alert not in ALERT_MODES:
            raise TaxonomyError(f"{where('alert')}: expected one of "
                                f"{', '.join(map(repr, ALERT_MODES))}, got {alert!r}"
                                f"{did_you_mean(str(alert), ALERT_MODES)}")
        topic = Topic(
            id=tid,
            label=label.strip(),
            description=str(raw.get("description", "")).strip(),
            group=str(raw.get("group", "")).strip(),
            phrases=phrases,
            patterns=tuple(patterns),
            exclude=tuple(exclude),
            exclude_articles=tuple(exclude_articles),
            rules=tuple(rules),
            alert=alert,
        )
        err = check_regex(topic.regex)
        if err:
            raise TaxonomyError(f"{where('phrases')}: " + (_failing_cue(topic) or (
                f"phrases, patterns and rules do not compile together: {err}")))
        for key, rx in (("exclude", topic.exclude_regex),
                        ("exclude_articles", topic.exclude_articles_regex)):
            err = check_regex(rx) if rx else None
            if err:
                raise TaxonomyError(f"{where(key)}: phrases do not compile: {err}")
        topics.append(topic)
    meta = data.get("meta", {})
    return Taxonomy(topics=tuple(topics), path=path, name=str(meta.get("name", Path(path).stem)),
                    alert_quiet_days=meta.get("alert_quiet_days"))


def _failing_cue(topic: Topic) -> str:
    """ "phrase 'x' does not compile: <engine message>" for the first cue that fails
    alone, else "" (the cues may fail only together: the size limit)."""
    for what, rx in topic.cues:
        err = check_regex(rf"(?i){WORD_BOUNDARY}(?:{rx}){WORD_BOUNDARY}")
        if err:
            return f"{what} does not compile: {err}"
    return ""


def _check_meta(data: dict, text: str, path: str) -> None:
    """The top-level keys and ``[meta]``: unknown keys, near misses of ``[meta]`` keys and
    wrong types name file and line; other ``[meta]`` keys are free-form."""
    for key in data:
        if key not in _TOP_KEYS:
            line = top_key_line(text, key)
            raise TaxonomyError(f"{path}{f':{line}' if line else ''}: unknown top-level key "
                                f"{key!r}"
                                f"{did_you_mean(key, _TOP_KEYS)} (one of [meta], [[topic]])")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise TaxonomyError(f"{path}: 'meta' must be a table: [meta]")
    for key, value in meta.items():
        line = table_line(text, "meta", key)
        where = f"{path}{f':{line}' if line else ''}: [meta], key {key!r}"
        if key not in _META_KEYS:
            # [meta] is free-form (author, description, ...); only a near miss is a typo.
            if suggestion := did_you_mean(key, _META_KEYS):
                raise TaxonomyError(f"{where}: unknown key{suggestion} "
                                    f"(the keys: {', '.join(_META_KEYS)})")
            continue
        kind, what = _META_KEYS[key]
        if (not isinstance(value, kind) or isinstance(value, bool)
                or (key == "alert_quiet_days" and isinstance(value, int) and value < 0)):
            raise TaxonomyError(f"{where}: expected {what}, got {value!r}")


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and parse a taxonomy file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc.strerror}") from exc
    return parse_taxonomy(text, str(path))
