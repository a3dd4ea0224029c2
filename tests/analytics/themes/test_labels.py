"""Theme labels keep phrases whole and never join words the theme's texts do not join."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analytics.contracts import schema
from analytics.themes.clustering import fit_themes
from analytics.themes.labels import make_label, whole_terms


def _whole(counts: dict[str, float], terms: list[str]) -> list[str]:
    names = np.array(sorted(counts))
    row = np.array([[counts[n] for n in names]])
    return whole_terms([terms], row, names)[0]


def test_a_word_that_is_half_of_a_phrase_becomes_the_phrase():
    counts = {"bank": 10, "central": 5, "central bank": 5, "west": 4, "west bank": 4,
              "rate": 3}
    terms = _whole(counts, ["central bank", "west", "rate"])
    assert terms == ["central bank", "west bank", "rate"]
    assert make_label(terms) == "central bank / west bank / rate"


def test_words_are_not_joined_where_the_texts_mostly_do_not_join_them():
    counts = {"new": 10, "new york": 2, "new zealand": 1, "york": 2, "zealand": 1}
    assert _whole(counts, ["new", "study"]) == ["new", "study"]
    # "york" is always "new york": it grows; "new" stays, and both show.
    assert _whole(counts, ["new", "york", "new zealand"]) == ["new", "new york",
                                                              "new zealand"]
    # The word alone is generic: the label keeps the phrases.
    assert make_label(["new", "new york", "new zealand"]) == "new york / new zealand"


def test_a_phrase_grows_by_the_word_that_always_goes_with_it():
    counts = {"new": 12, "york": 10, "city": 8, "new york": 10, "york city": 6}
    assert _whole(counts, ["york city"]) == ["new york city"]
    # Half of "city" is elsewhere, but every "york" follows "new": still three words.
    assert make_label(["new york", "new york city"]) == "new york city"


def test_a_word_gives_its_place_to_its_own_phrase_only():
    counts = {"trump": 10, "donald": 3, "donald trump": 3, "south": 10, "south korea": 4,
              "south africa": 3, "korea": 4, "africa": 3}
    assert _whole(counts, ["trump", "indictment", "donald trump"]) == [
        "donald trump", "indictment"]
    # "south" is more "south korea" than "south africa": the latter does not replace it.
    assert _whole(counts, ["south", "south africa"]) == ["south", "south africa"]


def test_labels_skip_generic_words_but_keep_their_phrases():
    # Labels of the press-release and RSS runs: "like / new / year", "new / bank / inflation".
    assert make_label(["like", "new", "year", "percent", "colleagues", "projects"]) == (
        "percent / colleagues / projects")
    assert make_label(["new", "bank", "inflation", "rate"]) == "bank / inflation / rate"
    assert make_label(["world cup", "england", "final"]) == "world cup / england / final"
    # Nothing but generic words: they are all there is to say.
    assert make_label(["new", "year"]) == "new / year"


def test_labels_skip_terms_that_add_no_word():
    assert make_label(["central bank", "bank", "central", "rates"]) == "central bank / rates"
    assert make_label(["air", "air defence", "missiles"]) == "air / air defence / missiles"


def test_fitted_labels_show_the_bigram_of_the_theme():
    subjects = {
        "raids": [
            "Israeli forces raided a refugee camp in the West Bank overnight",
            "Soldiers killed two men during a raid in the occupied West Bank",
            "Settlers attacked a village in the West Bank, residents said",
            "The army arrested dozens in raids across the West Bank",
            "A curfew was imposed on a West Bank town after the raid",
            "Violence in the West Bank rose as raids continued",
        ],
        "rates": [
            "The central bank raised interest rates to fight inflation",
            "Markets expect the central bank to hold rates steady",
            "The central bank governor warned inflation stays high",
            "Bond yields rose after the central bank signalled more hikes",
            "Economists said the central bank would cut rates next year",
            "The central bank kept rates unchanged as inflation eased",
        ],
        "football": [
            "The striker scored twice as the club won the league match",
            "Fans cheered the goalkeeper after the league match ended",
            "The manager praised the striker after the football match",
            "A late penalty gave the club victory in the league match",
            "The league leaders won again as their striker scored",
            "The goalkeeper saved a penalty and the club stayed top",
        ],
    }
    texts = [t for trio in zip(*subjects.values(), strict=True) for t in trio]
    n = len(texts)
    articles = pl.DataFrame({
        "article_id": [f"c{i:02d}" for i in range(n)], "title": [""] * n, "text": texts,
        "duplicate_of": [None] * n,
        "published_at": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * n,
    }, schema_overrides={"duplicate_of": pl.String, "published_at": schema.UTC_DATETIME})
    result = fit_themes(articles, n_themes=3, min_theme_size=2)
    parts = [p for label in result.themes["label"] for p in label.split(" / ")]
    assert "west bank" in parts and "central bank" in parts
    assert "west" not in parts and "bank" not in parts
    top = [w for row in result.themes["top_terms"] for w in row]
    assert all(" " not in w for w in top)  # top terms stay single words
