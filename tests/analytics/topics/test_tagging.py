from pathlib import Path

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.contracts.taxonomy import load_taxonomy, parse_taxonomy
from analytics.sources.parse.article_files import parse_article_text
from analytics.topics.tagging import document, explain, tag_topics, topic_counts

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
SEED_TOPICS = {
    "air_missile_defense", "long_range_strike", "logistics", "ground_forces",
    "defense_spending", "defense_industry", "ukraine_military_aid", "peace_negotiations",
    "nuclear_deterrence", "terrorism",
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(SEEDS / "taxonomy.toml")


def _articles(*texts):
    return pl.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))],
                         "title": [""] * len(texts), "text": list(texts)})


def test_seed_article_topics(taxonomy):
    seed = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    fields = parse_article_text(seed)
    mentions = tag_topics(pl.DataFrame({"article_id": ["seed"], "title": [fields.title],
                                        "text": [fields.text]}), taxonomy)
    assert set(mentions["topic_id"]) >= SEED_TOPICS
    row = mentions.filter(pl.col("topic_id") == "nuclear_deterrence").row(0, named=True)
    assert row["mentions"] >= 2
    assert row["evidence"] == "Finally, nuclear deterrence is the cornerstone of the alliance's security."


def test_counts_word_boundaries_and_case(taxonomy):
    m = tag_topics(_articles("DRONES and a drone. Droneship? Sanctioned banks face sanctions."),
                   taxonomy)
    counts = dict(zip(m["topic_id"], m["mentions"], strict=True))
    assert counts["drones"] == 2 and counts["sanctions"] == 2


def test_exclusions_do_not_count(taxonomy):
    m = tag_topics(_articles("Shelling near the Zaporizhzhia nuclear power plant.",
                             "A think tank report on tanks."), taxonomy)
    pairs = set(zip(m["article_id"], m["topic_id"], strict=True))
    assert ("a0", "nuclear_deterrence") not in pairs
    assert ("a1", "ground_forces") in pairs
    assert m.filter(pl.col("topic_id") == "ground_forces")["mentions"].to_list() == [1]


def test_evidence_is_the_sentence_with_the_first_match():
    tax = parse_taxonomy('[[topic]]\nid = "gdp"\nlabel = "G"\nphrases = ["of GDP"]\n')
    m = tag_topics(_articles("Intro here. Allies spend 2.5% of GDP now! Later text."), tax)
    assert m["evidence"].to_list() == ["Allies spend 2.5% of GDP now!"]
    assert m["matched"].to_list() == ["of GDP"]


def test_title_is_searched_once(taxonomy):
    arts = pl.DataFrame({"article_id": ["a", "b"], "title": ["Drone strike", "Drone strike"],
                         "text": ["Drone strike hits depot.", "It hit a depot."]})
    m = tag_topics(arts, taxonomy).filter(pl.col("topic_id") == "drones")
    assert m["mentions"].to_list() == [1, 1]


def test_empty_input_has_schema(taxonomy):
    out = tag_topics(pl.DataFrame(schema={"article_id": pl.String, "title": pl.String,
                                          "text": pl.String}), taxonomy)
    assert out.is_empty() and out.schema == pl.Schema(schema.TOPIC_MENTIONS)


def test_prefiltered_counts_equal_full_regex_counts(taxonomy):
    """The prefilter only skips articles; counts equal one regex per topic on all."""
    texts = ["Air-defence units SHOT DOWN drones; Patriot batteries intercepted missiles.",
             "A think tank. The tank crews and TROOPS advanced; front lines held.",
             "Sanctioned banks; Ukraine’s forces; weapons for Kyiv; 2.5 per cent of GDP.",
             "\u017fanctions and \u212ayiv",  # non-ASCII letters Rust folds to s and k
             "Nothing relevant here.", "", "NATO membership bid; peace talks; ceasefire.",
             "Nuclear power plant shelling; nuclear weapons; counter-terrorism raid.",
             "Privately owned drones are banned on base; drone users must register."]
    arts = _articles(*texts)
    docs = arts.select("article_id", _doc=document(arts))
    full = {(a, t.id): n
            for t in taxonomy.topics
            for a, n in zip(docs["article_id"], docs.select(
                (pl.col("_doc").str.replace_all(t.exclude_regex, " ") if t.exclude_regex
                 else pl.col("_doc")).str.count_matches(t.regex)
                * (~pl.col("_doc").str.contains(t.exclude_articles_regex) if
                   t.exclude_articles_regex else True)).to_series(), strict=True)
            if n}
    m = tag_topics(arts, taxonomy)
    assert dict(zip(zip(m["article_id"], m["topic_id"], strict=True), m["mentions"],
                    strict=True)) == full
    wide = topic_counts(arts, taxonomy)
    assert {(a, t): n for t in taxonomy.ids
            for a, n in zip(wide["article_id"], wide[t], strict=True) if n} == full


EXCLUDE_ARTICLES = """
[[topic]]
id = "drones"
label = "Drones"
phrases = ["drone", "UAV"]
exclude = ["drone show"]
exclude_articles = ["privately owned drone", "drone hobbyist"]

[[topic]]
id = "bases"
label = "Bases"
phrases = ["air base"]
"""


def test_exclude_articles_drop_the_topic_in_that_article_only():
    tax = parse_taxonomy(EXCLUDE_ARTICLES)
    texts = ["The air base bans privately owned drones; a drone was seized.",
             "A drone flew over the air base; UAVs were seen.",
             "Drone hobbyists met at the air base.",
             "A drone show, then a drone over the air base."]
    arts = _articles(*texts)
    got = tag_topics(arts, tax)
    pairs = set(zip(got["article_id"], got["topic_id"], strict=True))
    assert pairs == {("a0", "bases"), ("a1", "drones"), ("a1", "bases"), ("a2", "bases"),
                     ("a3", "drones"), ("a3", "bases")}
    # Otherwise identical to the same taxonomy without the key.
    plain = parse_taxonomy(EXCLUDE_ARTICLES.replace(
        'exclude_articles = ["privately owned drone", "drone hobbyist"]\n', ""))
    assert plain.topics[0].exclude_articles == ()
    ref = tag_topics(arts, plain)
    assert got.equals(ref.filter(~((pl.col("topic_id") == "drones")
                                   & pl.col("article_id").is_in(["a0", "a2"]))))
    assert set(ref.filter(pl.col("topic_id") == "drones")["article_id"]) == {
        "a0", "a1", "a2", "a3"}
    wide = topic_counts(arts, tax)
    assert wide["drones"].to_list() == [0, 2, 0, 1]
    assert wide["bases"].to_list() == [1, 1, 1, 1]
    assert topic_counts(arts, plain)["drones"].to_list() == [2, 2, 1, 1]
    for article_id, text in zip(arts["article_id"], texts, strict=True):
        topics = {t for t, _, _ in explain({"title": "", "text": text}, tax)}
        assert topics == {t for a, t in pairs if a == article_id}
    assert [m[:2] for m in explain({"title": "", "text": texts[1]}, tax)] == [
        ("drones", "drone"), ("drones", "UAVs"), ("bases", "air base")]
