"""Cues a reviewer of the RSS report found firing on off-topic text, with controls that
keep them firing where they should. Sentences are written for this test (none is copied
from the corpora)."""

from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import cue_of, explain, tag_topics

SEEDS = Path(__file__).resolve().parents[3] / "seeds"

CASES = [
    # (text, topic, counts)
    # ground_forces: soldiers on ceremonial duty are no land operation
    ("Hottest day of the year: the prince thanked soldiers who fainted in the heat at a "
     "parade rehearsal.", "ground_forces", False),
    ("Several soldiers fainting in the sun did not stop the Trooping the Colour.",
     "ground_forces", False),
    ("Four soldiers were killed when rebels attacked an army post.", "ground_forces", True),
    ("Our soldiers are holding the line near Bakhmut.", "ground_forces", True),
    # nuclear_deterrence: an agency named by its remit
    ("The department, which manages US nuclear weapons and waste sites, said hackers stole "
     "staff records.", "nuclear_deterrence", False),
    ("The agency that oversees nuclear weapons was hit by a ransomware attack.",
     "nuclear_deterrence", False),
    ("Moscow threatened to use nuclear weapons if the offensive went on.",
     "nuclear_deterrence", True),
    ("Iran must never obtain a nuclear weapon, the minister said.", "nuclear_deterrence", True),
    # alliance_meetings: defence ministers of a cabinet or of another bloc are not NATO's
    ("Kuwait names a new cabinet with new oil, finance and defence ministers.",
     "alliance_meetings", False),
    ("The Chinese and Russian defence ministers vowed closer military ties.",
     "alliance_meetings", False),
    ("NATO defence ministers met in Brussels to agree new capability targets.",
     "alliance_meetings", True),
    ("Allied defence ministers gathered at Ramstein to pledge more tanks.",
     "alliance_meetings", True),
]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(SEEDS / "taxonomy.toml")


@pytest.mark.parametrize(("text", "topic", "counts"), CASES)
def test_reviewed_cue(taxonomy, text, topic, counts):
    m = tag_topics(pl.DataFrame({"article_id": ["a"], "title": [""], "text": [text]}), taxonomy)
    assert (topic in set(m["topic_id"])) is counts


def test_explain_names_the_rule(taxonomy):
    text = "NATO defence ministers met in Brussels to agree new capability targets."
    topic = next(t for t in taxonomy.topics if t.id == "alliance_meetings")
    found = [phrase for tid, phrase, _ in explain({"title": "", "text": text}, taxonomy)
             if tid == "alliance_meetings"]
    assert found and cue_of(topic, found[0]).startswith("rule")
