"""Cue rules (NEAR/n, AND, word families, {percent}) compiled into a topic's regex."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.contracts.taxonomy import TaxonomyError, parse_taxonomy
from analytics.topics.regex_literals import prefilter_words
from analytics.topics.tagging import cue_of, explain, tag_topics


def _taxonomy(*rules: str, phrases: tuple[str, ...] = ()):
    quoted = ", ".join(repr(r) for r in rules)
    listed = ", ".join(f'"{p}"' for p in phrases)
    return parse_taxonomy(f'[[topic]]\nid = "t"\nlabel = "T"\nphrases = [{listed}]\n'
                          f"rules = [{quoted}]\n", "tax.toml")


def _tagged(tax, *texts: str) -> list[str]:
    arts = pl.DataFrame({"article_id": [str(i) for i in range(len(texts))],
                         "title": [""] * len(texts), "text": list(texts)})
    return sorted(tag_topics(arts, tax)["article_id"].to_list())


@pytest.mark.parametrize(("rule", "hits", "misses"), [
    ("negotiat* NEAR/6 (war | conflict | settlement)",
     ["Both sides negotiated an end to the war.", "A settlement is being negotiated.",
      "Negotiations on the conflict resume."],
     ["They negotiated. The war went on.",  # not across a sentence end
      "They negotiated a trade deal that, in the view of many, was the best since the war."]),
    ('{percent} "of GDP" AND (defence | military)',
     ["Poland will spend 4 pc of GDP on its military.", "Defence: two per cent of GDP.",
      "The military gets 2.5% of GDP."],
     ["The deficit was 3% of GDP. Defence was not discussed.", "Spending is 2% of GDP."]),
    ("(ammunition | shells) NEAR/3 supplied",
     ["Shells were supplied by Germany.", "Germany supplied ammunition."],
     ["Ammunition was, as everyone in the room agreed long ago, supplied."]),
])
def test_rules_match_within_a_sentence_and_distance(rule, hits, misses):
    tax = _taxonomy(rule)
    texts = [*hits, *misses]
    assert _tagged(tax, *texts) == [str(i) for i in range(len(hits))]


def test_rules_keep_the_literal_prefilter():
    """A rule's words still prefilter articles, so a rule costs no full-text scan."""
    tax = _taxonomy("negotiat* NEAR/6 (war | peace)", '{percent} "of GDP" AND defence')
    words = prefilter_words(tax.topics[0])
    assert words is not None and "negotiat" in words


def test_explain_names_the_rule_that_fired():
    tax = _taxonomy("negotiat* NEAR/6 war", phrases=("ceasefire",))
    got = explain({"title": "", "text": "A ceasefire held. They negotiated an end to the war."},
                  tax)
    assert [(cue_of(tax.topics[0], phrase)) for _, phrase, _ in got] == [
        "phrase 'ceasefire'", "rule 'negotiat* NEAR/6 war'"]


@pytest.mark.parametrize(("rule", "reason"), [
    ("(war | peace", "unclosed '('"),
    ("war NEAR/50 peace", "NEAR/50: the distance must be 1 to 20 words"),
    ("war AND peace AND talks", "at most two terms"),
    ("AND peace", "expected a word"),
    ('war NEAR/3 ""', "empty quoted phrase"),
])
def test_bad_rules_name_file_line_and_reason(rule, reason):
    with pytest.raises(TaxonomyError) as err:
        _taxonomy("ceasefire", rule)
    assert "tax.toml:5: topic t, key 'rules'" in str(err.value) and reason in str(err.value)


def test_lint_names_the_line_of_a_rule_that_matches_nothing():
    from analytics.topics.taxonomy_lint import unmatched_phrases

    text = ('[[topic]]\nid = "t"\nlabel = "T"\nphrases = ["ceasefire"]\n'
            'rules = [\n  "negotiat* NEAR/6 war",\n  "truce AND broken",\n]\n')
    tax = parse_taxonomy(text, "tax.toml")
    arts = pl.DataFrame({"title": [""], "text": ["They negotiated an end to the war."]})
    got = [(f.line, f.message) for f in unmatched_phrases(tax, text, arts)]
    assert got == [(4, "'ceasefire' matches nothing in the 1 articles given"),
                   (7, "rule 'truce AND broken' matches nothing in the 1 articles given")]
