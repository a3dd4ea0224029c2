"""Theme labels whose phrases stay whole.

A theme's label is made of its best c-TF-IDF terms; the vocabulary holds single words and
two-word phrases, and a label's words may be halves of a phrase the theme holds: West
Bank raids labelled "central bank / west", New York labelled "new zealand / york city".
``whole_terms`` gives each label term the phrase it belongs to in that theme: a word
becomes the two-word phrase that holds at least ``min_share`` of the word's occurrences
in the theme ("west" -> "west bank", "york" -> "new york"), and a phrase grows by the word
that precedes or follows it in at least ``min_share`` of its occurrences (counted as a
lower bound from the two phrases: "york city" -> "new york city"). Words are only ever
joined where the theme's own texts join them: a phrase below the share leaves the word
alone. A word whose most frequent phrase holds a fair share of it (``absorb_share``) and
is also among the theme's label terms gives its place to that phrase. ``make_label`` then
joins up to three terms, skipping a term that adds no new word and one made only of
generic words ("new", "like", "year": common in every theme, they name none of them).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words that top a theme's c-TF-IDF list by sheer frequency (a speech's "like", "good",
# "note"; a news stream's "new", "year") yet say nothing of what the theme is about. A
# phrase holding one ("new york", "world cup") is not generic.
GENERIC_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset([
    "new", "like", "year", "years", "good", "note", "time", "times", "day", "days", "week",
    "weeks", "month", "months", "today", "way", "just", "know", "think", "want", "make",
    "made", "need", "come", "look", "really", "got", "going", "thing", "things", "people",
    "world", "news", "latest", "live", "update", "updates", "big", "old", "best", "great",
    "important", "long", "use", "used", "course"])


class _Phrases:
    """Look-ups in a sorted vocabulary of words and two-word phrases."""

    def __init__(self, names: np.ndarray):
        self.names = names
        series = pl.Series(names, dtype=pl.String)
        pair = series.str.contains(" ", literal=True).to_numpy()
        cols = np.flatnonzero(pair)
        second = series.filter(pl.Series(pair)).str.split(" ").list.get(1).to_numpy()
        order = np.argsort(second, kind="stable")
        self.second, self.second_cols = second[order].astype(str), cols[order]

    def col(self, term: str) -> int | None:
        i = int(np.searchsorted(self.names, term))
        return i if i < len(self.names) and self.names[i] == term else None

    def starting(self, word: str) -> np.ndarray:
        """Columns of the phrases whose first word is ``word``."""
        lo, hi = np.searchsorted(self.names, [word + " ", word + "!"])
        return np.arange(lo, hi)

    def ending(self, word: str) -> np.ndarray:
        """Columns of the phrases whose second word is ``word``."""
        lo = np.searchsorted(self.second, word, "left")
        hi = np.searchsorted(self.second, word, "right")
        return self.second_cols[lo:hi]


def whole_terms(terms: list[list[str]], counts: np.ndarray, names: np.ndarray, *,
                min_share: float = 0.5, absorb_share: float = 0.25) -> list[list[str]]:
    """Each theme's ``terms`` (row t of ``counts``: how often each term of the sorted
    vocabulary ``names`` occurs in theme t's texts), each one grown to the phrase it
    belongs to in that theme (see the module's docstring), duplicates dropped; then a word
    whose most frequent phrase in the theme holds at least ``absorb_share`` of it and is
    itself one of the later terms gives its place to that phrase ("trump ... donald trump"
    -> "donald trump"; "new ... new york" stays both when "new" is mostly other news)."""
    phrases = _Phrases(names)
    out = []
    for row, theme_terms in zip(counts, terms, strict=True):
        grown: list[_Grown] = []
        for term in theme_terms:
            whole = _whole(term, row, phrases, min_share)
            if whole.term not in [g.term for g in grown]:
                grown.append(whole)
        out.append(_absorb(grown, absorb_share))
    return out


class _Grown:
    """A label term grown to its phrase: how often the theme holds it (for three words,
    a lower bound), and for a word left alone, its most frequent phrase and that count."""

    def __init__(self, term: str, count: float, best: str = "", best_count: float = 0.0):
        self.term, self.count, self.best, self.best_count = term, count, best, best_count


def _absorb(grown: list[_Grown], share: float) -> list[str]:
    terms = [g.term for g in grown]
    for i, g in enumerate(grown):
        if terms[i] != g.term or not g.best or g.best_count < share * g.count:
            continue
        later = [j for j in range(i + 1, len(grown)) if terms[j] == g.best]
        if later:
            terms[i], terms[later[0]] = g.best, ""
    return [t for t in terms if t]


def _whole(term: str, row: np.ndarray, phrases: _Phrases, min_share: float) -> _Grown:
    """``term`` grown to its phrase in the theme."""
    words = term.split(" ")
    own = phrases.col(term)
    if own is None or row[own] <= 0 or len(words) > 2:
        return _Grown(term, float(row[own]) if own is not None else 0.0)
    if len(words) == 1:
        around = np.concatenate([phrases.starting(term), phrases.ending(term)])
        if not len(around):
            return _Grown(term, float(row[own]))
        best = around[np.argmax(row[around])]
        if row[best] >= min_share * row[own]:
            return _Grown(str(phrases.names[best]), float(row[best]))
        return _Grown(term, float(row[own]), str(phrases.names[best]), float(row[best]))
    first, second = words
    grown, most = term, float(row[own])
    floor = min_share * row[own]
    for word, cols, before in ((first, phrases.ending(first), True),
                               (second, phrases.starting(second), False)):
        inner = phrases.col(word)
        if inner is None or not len(cols):
            continue
        best = cols[np.argmax(row[cols])]
        # The three words in a row occur at least as often as the two phrases minus the
        # word they share.
        both = float(row[best] + row[own] - row[inner])
        if both >= floor:
            other = str(phrases.names[best]).split(" ")
            grown = f"{other[0]} {term}" if before else f"{term} {other[1]}"
            floor = most = both
    return _Grown(grown, most)


def make_label(terms: list[str], n_words: int = 3) -> str:
    """Up to ``n_words`` of ``terms`` (words of 3+ letters) joined by " / ": a term that
    adds no word to those chosen is skipped, one that holds a chosen phrase replaces it
    ("new york" becomes "new york city"), and terms may share a word ("west bank /
    central bank"; a word and a phrase holding it both stay: ``whole_terms`` has already
    put a phrase in place of a word where the phrase is what the theme says). Terms made
    only of ``GENERIC_WORDS`` are skipped while others remain."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(len(w) < 3 for w in words) or words <= GENERIC_WORDS:
            continue
        if any(words <= set(c.split()) for c in chosen):
            continue
        inside = [c for c in chosen if " " in c and set(c.split()) < words]
        if inside:
            chosen[chosen.index(inside[0])] = term
            chosen = [c for c in chosen if c not in inside[1:]]
        elif len(chosen) < n_words:
            chosen.append(term)
    return " / ".join(chosen or terms[:n_words])
