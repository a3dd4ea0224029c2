import polars as pl
import pytest

from analytics.contracts.taxonomy import Taxonomy, parse_taxonomy
from analytics.topics.suggest import SUGGESTIONS, example_sentence, suggest_cues
from analytics.topics.tagging import tag_topics

TAXONOMY = parse_taxonomy("""
[[topic]]
id = "truce"
label = "Truce"
description = "Ceasefires."
phrases = ["ceasefire", "truce talks"]
""")
TOPIC = TAXONOMY.topic("truce")

TAGGED = [
    "A ceasefire began at dawn. Aid convoys entered during the humanitarian pause.",
    "The ceasefire held overnight; a humanitarian pause let families leave the city.",
    "Mediators pressed for a ceasefire and a new humanitarian pause in the football season.",
    "Truce talks resumed in Doha. A humanitarian pause is on the table, officials said.",
]
UNTAGGED = [
    "Officials said a humanitarian pause would start on Monday. Markets were calm.",
    "The humanitarian pause ended at noon, residents said.",
    "The football final was played in the rain.",
    "A football club won the league; officials said the football season ends in May.",
    "Football fans gathered. The football match was delayed by rain.",
    "Officials said the budget of the city would rise.",
]


def _articles(texts: list[str], prefix: str) -> pl.DataFrame:
    return pl.DataFrame({"article_id": [f"{prefix}{i}" for i in range(len(texts))],
                         "title": [""] * len(texts), "text": texts})


@pytest.fixture(scope="module")
def articles():
    return pl.concat([_articles(TAGGED, "t"), _articles(UNTAGGED, "u")])


def _suggest(articles, **knobs):
    mentions = tag_topics(articles, Taxonomy((TOPIC,)))
    return suggest_cues(articles, mentions, TOPIC, **{"min_support": 2, **knobs})


def test_the_project_tagger_says_which_articles_are_tagged(articles):
    mentions = tag_topics(articles, Taxonomy((TOPIC,)))
    assert sorted(mentions["article_id"]) == ["t0", "t1", "t2", "t3"]


def test_a_term_of_the_topic_ranks_above_one_of_the_stream(articles):
    found = _suggest(articles, top=50)
    assert found.columns == list(SUGGESTIONS)
    terms = found["term"].to_list()
    row = found.row(terms.index("humanitarian pause"), named=True)
    # in all 4 tagged articles and 2 of the 6 others: lift (4/4) / (6/10)
    assert (row["topic_articles"], row["articles"], row["untagged"]) == (4, 6, 2)
    assert row["lift"] == pytest.approx(10 / 6)
    assert row["untagged_share"] == pytest.approx(2 / 6)
    # "football" is in one tagged article and three others: lift (1/4) / (4/10) < 1
    assert "football" not in _suggest(articles, min_support=1, top=50)["term"].to_list()
    every = _suggest(articles, min_support=1, min_lift=0.0, top=500)["term"].to_list()
    assert every.index("humanitarian pause") < every.index("football")
    assert found["lift"].to_list() == sorted(found["lift"].to_list(), reverse=True)


def test_terms_the_cues_already_cover_are_left_out(articles):
    # every term of the tagged articles, those that would add nothing too
    terms = _suggest(articles, min_support=1, min_untagged=0, top=500)["term"].to_list()
    assert "ceasefire" not in terms and "truce talks" not in terms
    assert "ceasefire began" not in terms  # holds a cue
    assert "truce" in terms  # a word of a cue is a broader term, not a cue
    # no stop word at an edge, no number-only or one-letter word, nothing across punctuation
    assert "the ceasefire" not in terms and "of the" not in terms
    assert "overnight humanitarian" not in terms  # "overnight; a humanitarian"
    assert all(t.split()[0] not in {"a", "the", "of"} for t in terms)


def test_examples_come_from_untagged_articles(articles):
    found = _suggest(articles, top=50)
    row = found.row(found["term"].to_list().index("humanitarian pause"), named=True)
    assert {row["example_1"], row["example_2"]} == {
        "Officials said a humanitarian pause would start on Monday.",
        "The humanitarian pause ended at noon, residents said.",
    }
    untagged = " ".join(UNTAGGED)
    for example in found["example_1"].drop_nulls().to_list():
        assert example.strip("…") in untagged
    # a term only in tagged articles would add nothing: not a candidate
    assert "doha" not in found["term"].to_list()


def test_examples_are_the_closest_untagged_articles_first():
    close = "A humanitarian pause and a ceasefire plan for the city, mediators said."
    far = "The weather: a humanitarian pause for gardeners."
    tagged = _articles([
        "The ceasefire plan for the city: a humanitarian pause, mediators said.",
        "Mediators said the ceasefire plan holds. A humanitarian pause for the city.",
    ], "t")
    # the close one is written with "ceasefire" blanked out, so that it is untagged
    others = [far, close.replace("and a ceasefire ", ""), "Rain all day."]
    articles = pl.concat([tagged, _articles(others, "u")])
    row = _suggest(articles).filter(pl.col("term") == "humanitarian pause").row(0, named=True)
    assert row["example_1"].startswith("A humanitarian pause plan for the city")
    assert row["example_2"] == far
    assert row["near"] == 2  # two tagged articles: the two closest untagged are neighbours


def test_deterministic_and_ties_broken_by_term(articles):
    first = _suggest(articles, min_support=1, top=500)
    again = _suggest(articles.reverse(), min_support=1, top=500)
    assert first.equals(again)
    for _, group in first.group_by("lift", maintain_order=True):
        assert group["term"].to_list() == sorted(group["term"].to_list())
    top3 = _suggest(articles, min_support=1, top=3)
    assert top3.equals(first.head(3))


def test_no_tagged_article_or_no_candidate():
    quiet = _articles(["Nothing happened.", "Still nothing."], "a")
    assert _suggest(quiet).is_empty()
    assert _suggest(quiet).schema == pl.Schema(SUGGESTIONS)


def test_a_shorter_term_with_the_same_articles_gives_way_to_the_longer():
    texts = [f"The ceasefire held. Sudanese armed forces withdrew from town {n}." for n in "abc"]
    articles = pl.concat([_articles(texts, "t"),
                          _articles(["Sudanese armed forces patrolled.", "Rain."], "u")])
    terms = _suggest(articles, top=100)["term"].to_list()
    assert "sudanese armed forces" in terms
    assert "sudanese armed" not in terms and "armed forces" not in terms
    assert "sudanese" not in terms  # held by the same articles too


def test_example_sentence_cuts_a_long_sentence_around_the_term():
    doc = "Title line\n" + "word " * 100 + "humanitarian pause " + "word " * 100 + "end."
    sentence = example_sentence(doc, "humanitarian pause")
    assert sentence.startswith("…") and sentence.endswith("…")
    assert "humanitarian pause" in sentence and len(sentence) <= 202
    assert example_sentence("Aid came in a Humanitarian-Pause.", "humanitarian pause") == (
        "Aid came in a Humanitarian-Pause.")
    assert example_sentence("No such words.", "humanitarian pause") is None
