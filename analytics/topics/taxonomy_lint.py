"""Lint a taxonomy: overlapping phrases, phrases that match nothing, confusable characters,
patterns that slow a topic down, alert rules that alert never or every day.

Errors that make a taxonomy unusable (bad TOML, duplicate ids, empty phrase lists,
invalid regexes) are raised by ``parse_taxonomy`` already; this module finds what is
legal but probably unintended. Each finding names the file, line, topic and phrase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analytics.contracts.cue_rules import compile_rule
from analytics.contracts.taxonomy import WORD_BOUNDARY, Taxonomy, parse_taxonomy, phrase_regex
from analytics.contracts.toml_lines import line_of, table_line, value_line
from analytics.topics.tagging import document


@dataclass(frozen=True)
class Finding:
    level: str  # "warning" or "info"
    path: str
    line: int
    topic: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: topic {self.topic}: {self.message}"


def _where(text: str, taxonomy: Taxonomy, topic_id: str, phrase: str, key: str = "") -> int:
    """Line of ``phrase`` in the topic's table; with ``key``, the first at or after that
    key's line (a phrase may stand both in ``exclude`` and in ``exclude_articles``)."""
    index = taxonomy.ids.index(topic_id)
    if key:
        lines = text.splitlines()
        start = line_of(text, "topic", index, key) - 1
        for n in range(start, len(lines)):
            if n > start and lines[n].lstrip().startswith("[["):
                break
            if f'"{phrase}"' in lines[n] or f"'{phrase}'" in lines[n]:
                return n + 1
    return value_line(text, "topic", index, phrase)


def overlapping_phrases(taxonomy: Taxonomy, text: str) -> list[Finding]:
    """Phrases of one topic that another topic's phrases or patterns also match."""
    findings = []
    for topic in taxonomy.topics:
        for phrase in topic.all_phrases:
            for other in taxonomy.topics:
                if other.id == topic.id:
                    continue
                hit = pl.select(pl.lit(phrase).str.contains(other.regex)).item()
                if hit:
                    findings.append(Finding(
                        "warning", taxonomy.path, _where(text, taxonomy, topic.id, phrase),
                        topic.id, f"phrase {phrase!r} is also matched by topic {other.id}",
                    ))
    return findings


_KEY_NAMES = {"": "", "rules": "rule ", "exclude_articles": "exclude_articles "}


def unmatched_phrases(taxonomy: Taxonomy, text: str, articles: pl.DataFrame) -> list[Finding]:
    """Phrases, patterns, rules and ``exclude_articles`` phrases that match no article of
    ``articles`` (title, text)."""
    docs = articles.select(_doc=document(articles))
    findings = []
    for topic in taxonomy.topics:
        b = WORD_BOUNDARY
        items = [(p, rf"(?i){b}{phrase_regex(p)}{b}", "") for p in topic.all_phrases]
        items += [(p, rf"(?i){b}(?:{p}){b}", "") for p in topic.patterns]
        items += [(r, rf"(?i){b}(?:{compile_rule(r, phrase_regex)}){b}", "rules")
                  for r in topic.rules]
        items += [(p, rf"(?i){b}{phrase_regex(p)}{b}", "exclude_articles")
                  for p in topic.exclude_articles]
        found = docs.select(
            [pl.col("_doc").str.contains(rx).any().alias(str(i))
             for i, (_, rx, _) in enumerate(items)]
        ).row(0)
        for (phrase, _, key), hit in zip(items, found, strict=True):
            if not hit:
                findings.append(Finding(
                    "info", taxonomy.path, _where(text, taxonomy, topic.id, phrase, key),
                    topic.id, f"{_KEY_NAMES.get(key, key)}{phrase!r} matches nothing in the "
                    f"{articles.height} articles given",
                ))
    return findings


_INVISIBLE = {"\u200b": "ZERO WIDTH SPACE", "\u200c": "ZERO WIDTH NON-JOINER",
              "\u200d": "ZERO WIDTH JOINER", "\u2060": "WORD JOINER",
              "\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\u00ad": "SOFT HYPHEN"}
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")  # letters of these look alike


def _scripts(word: str) -> set[str]:
    names = (unicodedata.name(c, "") for c in word if c.isalpha())
    return {s for n in names for s in _SCRIPTS if n.startswith(s + " ")}


def confusable_phrases(taxonomy: Taxonomy, text: str) -> list[Finding]:
    """Phrases holding invisible characters, or a word mixing Latin, Cyrillic and Greek
    letters ("аir" with a Cyrillic "а"): they look right and match nothing."""
    findings = []
    for topic in taxonomy.topics:
        for phrase in (*topic.all_phrases, *topic.exclude, *topic.exclude_articles):
            hidden = sorted({name for c, name in _INVISIBLE.items() if c in phrase})
            mixed = [w for w in phrase.split() if len(_scripts(w)) > 1]
            why = ([f"holds an invisible {', '.join(hidden)}"] if hidden else []) + [
                f"mixes {' and '.join(sorted(_scripts(w)))} letters in {w!r}" for w in mixed]
            if why:
                findings.append(Finding(
                    "warning", taxonomy.path, _where(text, taxonomy, topic.id, phrase),
                    topic.id, f"phrase {phrase!r} " + "; ".join(why)))
    return findings


# \b or \B outside (?-u:...): a Unicode word boundary (an even run of backslashes before
# it escapes them, not the b).
_UNICODE_BOUNDARY = re.compile(r"(?<!\\)(?:\\\\)*\\[bB](?!\{)")


def slow_patterns(taxonomy: Taxonomy, text: str) -> list[Finding]:
    """Patterns holding a Unicode word boundary (``\\b``, ``\\B``): Rust's DFA engines
    cannot run one, so the topic's whole regex falls back to a several times slower
    engine (one such pattern made a topic 2x slower on 188k articles)."""
    findings = []
    for topic in taxonomy.topics:
        for pattern in topic.patterns:
            if _UNICODE_BOUNDARY.search(pattern.replace("(?-u:\\b)", "").replace(
                    "(?-u:\\B)", "")):
                findings.append(Finding(
                    "warning", taxonomy.path, _where(text, taxonomy, topic.id, pattern),
                    topic.id, f"pattern {pattern!r} holds \\b or \\B, a Unicode word "
                    "boundary that makes the topic's whole regex slow: patterns are matched "
                    "on word boundaries already; drop it or write (?-u:\\b)"))
    return findings


def alert_settings(taxonomy: Taxonomy, text: str) -> list[Finding]:
    """Alert rules (docs/alerts.md) that are legal but probably unintended: every topic
    ``alert = "off"`` (nothing ever alerts on a burst) and ``alert_quiet_days = 0`` (a
    burst alerts again on each day it lasts). The defaults of unset topics are not
    checked here: they live with the alerts (``analytics.alerts.rules``), not in the file."""
    findings = []
    modes = [t.alert for t in taxonomy.topics]
    if modes and all(m == "off" for m in modes):
        findings.append(Finding(
            "warning", taxonomy.path, line_of(text, "topic", 0, "alert"), taxonomy.ids[0],
            'every topic has alert = "off": no burst will ever send an alert'))
    if taxonomy.alert_quiet_days == 0:
        findings.append(Finding(
            "info", taxonomy.path, table_line(text, "meta", "alert_quiet_days") or 1, "(meta)",
            "alert_quiet_days = 0: a topic alerts again on every day its burst lasts"))
    return findings


def lint_taxonomy(text: str, path: str | Path,
                  articles: pl.DataFrame | None = None) -> list[Finding]:
    """All findings for the taxonomy ``text`` read from ``path`` (named in each finding);
    raises ``TaxonomyError`` if it is invalid."""
    taxonomy = parse_taxonomy(text, str(path))
    findings = (overlapping_phrases(taxonomy, text) + confusable_phrases(taxonomy, text)
                + slow_patterns(taxonomy, text) + alert_settings(taxonomy, text))
    if articles is not None:
        findings += unmatched_phrases(taxonomy, text, articles)
    return findings
