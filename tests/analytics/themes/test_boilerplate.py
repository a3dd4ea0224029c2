"""Each source's furniture (recurring lines and phrases) is found and stripped from the
text themes are fitted on; other sources' texts and shared language are left alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from analytics.contracts import schema
from analytics.themes.boilerplate import (
    BOILERPLATE,
    find_boilerplate,
    no_boilerplate,
    strip_boilerplate,
)
from analytics.themes.clustering import extend_themes, fit_themes, main_themes
from tests.analytics.themes.test_clustering import SUBJECTS

WORDS = ["harbour", "council", "budget", "river", "festival", "bridge", "school", "museum",
         "railway", "tunnel", "farm", "library", "market", "hospital", "airport", "ferry",
         "stadium", "orchard", "factory", "canal"]
FOOTER = "Sign up for our daily newsletter."
PHRASE = "as reported by the wire desk"
SHARED = "the prime minister said on"


DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _story(rng: np.random.Generator) -> tuple[str, str]:
    """A sentence of 8 random words, and its words as stripping writes them."""
    words = " ".join(rng.choice(WORDS, 8))
    return f"the {words} opened on Monday.", f"{words} opened on monday"


def _corpus() -> tuple[pl.DataFrame, list[str]]:
    """40 items of "wire" (a footer line in 30, an inline phrase in 25), 40 of "daily",
    20 of "other"; a phrase that wire and daily share, in 25 items of each."""
    rng = np.random.default_rng(0)
    rows, stories = [], []
    for source, n in (("wire", 40), ("daily", 40), ("other", 20)):
        for i in range(n):
            text, story = _story(rng)
            text = text[0].upper() + text[1:]
            if source == "wire" and i < 25:
                text = f"{PHRASE.capitalize()}, {text[0].lower()}{text[1:]}"
            if source != "other" and i < 25:
                text += f" Later {SHARED} {rng.choice(DAYS).capitalize()}."
            if (source == "wire" and i < 30) or (source == "other" and i == 0):
                text += " " + FOOTER  # in "other" once: not that source's furniture
            rows.append((source, text))
            stories.append(story)
    return pl.DataFrame(rows, schema=["source", "text"], orient="row"), stories


@pytest.fixture(scope="module")
def built() -> tuple[pl.DataFrame, list[str]]:
    return _corpus()


@pytest.fixture(scope="module")
def corpus(built) -> pl.DataFrame:
    return built[0]


@pytest.fixture(scope="module")
def found(corpus) -> pl.DataFrame:
    return find_boilerplate(corpus["source"], corpus["text"])


def test_a_recurring_footer_line_and_phrase_are_the_sources_furniture(found):
    assert found.schema == pl.Schema(BOILERPLATE)
    lines = found.filter(pl.col("kind") == "line")
    assert lines.select("source", "text", "items").rows() == [
        ("wire", "sign up for our daily newsletter", 30)]
    phrases = found.filter(pl.col("kind") == "phrase")
    assert set(phrases["source"]) == {"wire"}
    assert "as reported by the wire" in phrases["text"].to_list()
    assert phrases["items"].min() == 25
    assert np.isclose(phrases["share"].max(), 25 / 40)


def test_a_phrase_common_across_sources_is_kept(found):
    # "later the prime minister said" is in 62% of wire's items, but in 42% of the
    # others' too: language they share, not wire's furniture.
    assert not found.filter(pl.col("text").str.contains("minister")).height


def test_stripping_removes_them_and_leaves_other_sources_untouched(built, found):
    corpus, stories = built
    out = strip_boilerplate(corpus["source"], corpus["text"], found)
    wire = out.filter(corpus["source"] == "wire")
    assert not wire.str.contains("newsletter").any()
    assert not wire.str.contains("wire desk").any()
    assert wire.str.contains("prime minister said").sum() == 25  # shared language stays
    # The story's words all stay, in order, one sentence a line (lower case); the phrase
    # took the "the" that always followed it.
    assert out[0].split("\n")[0] == stories[0]
    assert out[29] == "the " + stories[29]  # no phrase, no shared sentence: just the footer
    assert out[39] == corpus["text"][39]  # no furniture at all: as it was
    others = corpus["source"] != "wire"
    assert out.filter(others).to_list() == corpus["text"].filter(others).to_list()


def test_stripping_keeps_texts_without_furniture_and_handles_empty(corpus, found):
    assert strip_boilerplate(corpus["source"], corpus["text"], no_boilerplate()).equals(
        corpus["text"])
    only = pl.Series(["Sign up for our  DAILY newsletter!", None, ""], dtype=pl.String)
    out = strip_boilerplate(pl.Series(["wire"] * 3), only, found)
    assert out.to_list() == ["", None, ""]


def test_thresholds_are_shares_of_the_source_and_a_minimum_count(corpus):
    few = find_boilerplate(corpus["source"], corpus["text"], min_items=31)
    assert few.filter(pl.col("kind") == "line").is_empty()  # 30 items: fewer than 31
    rare = find_boilerplate(corpus["source"], corpus["text"], line_share=0.8)
    assert rare.filter(pl.col("kind") == "line").is_empty()  # in 75% of wire's items


def test_one_source_is_judged_by_its_shares_alone(corpus):
    wire = corpus.filter(pl.col("source") == "wire")
    alone = find_boilerplate(pl.Series([None] * wire.height, dtype=pl.String), wire["text"])
    assert set(alone["source"]) == {""}
    # Nothing to compare with: the shared phrase is now this source's furniture too.
    assert alone.filter(pl.col("text").str.contains("minister")).height


def _articles() -> pl.DataFrame:
    """The three subjects of test_clustering, 14 reports each, in two sources: "feed"
    adds its footer to each of its 21 reports, "paper" never."""
    texts, sources = [], []
    for i in range(14):
        for subject in SUBJECTS.values():
            source = "feed" if i < 7 else "paper"
            texts.append(f"{subject[i % 6]} Report {i}." + (f" {FOOTER}" if source == "feed"
                                                              else ""))
            sources.append(source)
    n = len(texts)
    return pl.DataFrame({
        "article_id": [f"b{i:02d}" for i in range(n)], "source": sources, "title": [""] * n,
        "text": texts, "duplicate_of": [None] * n,
        "published_at": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * n,
    }, schema_overrides={"duplicate_of": pl.String, "published_at": schema.UTC_DATETIME})


def test_themes_are_fitted_without_the_furniture():
    articles = _articles()
    result = fit_themes(articles, n_themes=3, min_theme_size=2)
    # "report 0" ends every report of both sources: shared, so kept.
    assert result.boilerplate["text"].to_list() == ["sign up for our daily newsletter"]
    assert result.model is not None
    assert "newsletter" not in result.model.counter_.feature_names_
    raw = fit_themes(articles, n_themes=3, min_theme_size=2, boilerplate=False)
    assert raw.boilerplate.is_empty() and raw.model is not None
    assert "newsletter" in raw.model.counter_.feature_names_  # in half the texts
    # Articles placed later lose the same furniture: each joins its story's theme.
    later = articles.head(3).with_columns(article_id=pl.col("article_id") + "x")
    main = dict(main_themes(extend_themes(result, later).article_themes).iter_rows())
    for aid in articles.head(3)["article_id"]:
        assert main[aid + "x"] == main[aid] >= 0
