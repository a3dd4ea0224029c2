"""``tag_topics``' shortcuts (evidence searched from its start, window arithmetic, shared
prefilter needles) give exactly what the plain regexes give."""

from pathlib import Path

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.contracts.taxonomy import load_taxonomy, parse_taxonomy
from analytics.topics.tagging import (
    _EVIDENCE_MAX,
    _needles,
    _window_regex,
    document,
    evidence_regex,
    tag_topics,
)

SEEDS = Path(__file__).resolve().parents[3] / "seeds"

TEXTS = [
    "Intro here. Allies spend 2.5% of GDP now! Later text.",
    "He said.Peace talks began; peace talks ended.",
    "Wait... peace talks resumed?! Yes.. Peace talks between Russia and Ukraine.",
    "U.S. officials: the U.S. backs peace talks. Next.",
    "Title line\n\nPeace\ntalks across a line break. And a truce.",
    "Ceasefire",
    "Ukraine’s ceasefire — “peace talks” — and a TRUCE. Ωmega ceasefire…",
    "No topic here at all.",
    "",
    "Shelling near the Zaporizhzhia nuclear power plant; nuclear weapons talk.",
    "weapons to Ukraine. arms for Kyiv! Patriot systems sent to Ukraine, said allies.",
    "Allies are sending weapons; western tanks; training Ukrainian pilots.",
    # Sentences over _EVIDENCE_MAX characters: the phrase near the start, far from it, twice.
    "peace talks " + "word " * 120 + "end",
    "word " * 60 + "peace talks and a truce " + "word " * 60 + "end",
    "word " * 20 + "truce, ceasefire " + "word " * 100 + "peace talks " + "word " * 20,
    "ä" * 50 + " talks " + "é " * 200 + " peace talks " + "ö " * 200,
    "weapons to Ukraine " + "word " * 150 + "arms for Kyiv " + "word " * 50,
]

PATTERNS = """
[[topic]]
id = "patterns"
label = "Patterns"
phrases = [{phrases}]
patterns = [
  '(?:weapons?|arms)\\s+(?:to|for)\\s+(?:ukrain[a-z]*|kyiv)',
  'peace\\s+talks',
  'allies\\s+(?:\\S+\\s+){{0,3}}?weapons',
  'train(?:s|ed|ing)?\\s+ukrainian',
  '\\d+\\s+words',
]
exclude = ["peace talks ended"]
exclude_articles = ["model ceasefire"]

[[topic]]
id = "plain"
label = "Plain"
phrases = ["truce", "ceasefire", "peace talks"]
patterns = ['(?:peace|talks)\\W+(?:\\w+\\W+){{0,2}}?truce']
"""


def _reference(articles: pl.DataFrame, taxonomy) -> pl.DataFrame:
    """One regex per topic over every document, no shortcuts."""
    docs = articles.select("article_id", _doc=document(articles))
    frames = []
    for t in taxonomy.topics:
        doc = pl.col("_doc")
        tdoc = doc.str.replace_all(t.exclude_regex, " ") if t.exclude_regex else doc
        sentence = (pl.col("_tdoc").str.extract(evidence_regex(t), 0)
                    .str.replace_all(r"\s+", " ").str.strip_chars())
        window = pl.col("_s").str.extract(_window_regex(t), 1)
        kept = (docs.filter(~pl.col("_doc").str.contains(t.exclude_articles_regex))
                if t.exclude_articles_regex else docs)
        frames.append(
            kept.with_columns(_tdoc=tdoc)
            .with_columns(mentions=pl.col("_tdoc").str.count_matches(t.regex))
            .filter(pl.col("mentions") > 0)
            .select("article_id", topic_id=pl.lit(t.id), mentions="mentions",
                    matched=pl.col("_tdoc").str.extract(t.regex, 0), _s=sentence)
            .with_columns(evidence=pl.when(pl.col("_s").str.len_chars() > _EVIDENCE_MAX)
                          .then(pl.lit("…") + window.str.strip_chars() + pl.lit("…"))
                          .otherwise(pl.col("_s")))
            .drop("_s"))
    out = pl.concat(frames).sort("article_id", "topic_id")
    return schema.conform(out, "topic_mentions")


def _articles(texts):
    return pl.DataFrame({"article_id": [f"a{i:02d}" for i in range(len(texts))],
                         "title": [""] * len(texts), "text": texts})


@pytest.fixture(scope="module")
def pattern_taxonomy():
    return parse_taxonomy(PATTERNS.format(phrases='"ceasefire", "truce", "no such phrase"'))


def test_equals_plain_regexes_on_the_seed_taxonomy():
    tax = load_taxonomy(SEEDS / "taxonomy.toml")
    arts = _articles(TEXTS)
    got = tag_topics(arts, tax)
    assert got.height > 10
    assert got.equals(_reference(arts, tax))


def test_equals_plain_regexes_with_patterns_and_exclusions(pattern_taxonomy):
    arts = _articles(TEXTS + ["peace talks ended; allies say weapons 12 words",
                              "As he said.Peace talks and a truce. Talks, then a truce.",
                              "A model ceasefire: weapons to Ukraine; peace talks, a truce."])
    got = tag_topics(arts, pattern_taxonomy)
    assert set(got["topic_id"]) == {"patterns", "plain"}
    assert got.equals(_reference(arts, pattern_taxonomy))


def test_long_sentence_windows_start_before_the_first_phrase():
    tax = parse_taxonomy('[[topic]]\nid = "t"\nlabel = "T"\nphrases = ["peace talks"]\n')
    text = "word " * 60 + "peace talks " + "word " * 100
    evidence = tag_topics(_articles([text]), tax)["evidence"].item()
    assert evidence.startswith("…") and evidence.endswith("…")
    assert evidence == _reference(_articles([text]), tax)["evidence"].item()


def test_needles_are_shared_prefixes_of_at_least_six_characters():
    words = {"ukrain", "ukraine", "ukrainian", "defence", "defense", "drone", "nato"}
    needles = _needles(words)
    assert needles["ukraine"] == needles["ukrainian"] == "ukrain"
    assert needles["defence"] == "defence" and needles["nato"] == "nato"
    assert all(n in w for w, n in needles.items())
