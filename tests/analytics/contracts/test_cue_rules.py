"""Cue rules (NEAR/n, AND, NOT, word families, {percent}) compiled into a topic's regex."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.contracts.cue_rules import RuleError, compile_exclusion, compile_rule
from analytics.contracts.taxonomy import WORD_BOUNDARY, TaxonomyError, parse_taxonomy, phrase_regex
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
    ("talks NOT", "NOT needs a term after it"),
    ("NOT (trade | tariff*)", "NOT needs a term before it"),
    ("talks NEAR/3 peace NOT trade", "NOT cannot be combined with NEAR/n or AND"),
    ("talks NOT trade AND peace", "NOT cannot be combined with NEAR/n or AND"),
    ("talks NOT trade NOT tariff", "at most two terms"),
    ("talks NOT (trade NOT tariff)", "cannot stand inside parentheses"),
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


NOT_RULES = ['"% of GDP" NOT (deficit | surplus | debt)',
             "intercept* NOT (phone | call | email | message*)",
             "talks NOT (trade | tariff*)"]


def test_not_rule_compiles_to_its_cue_and_a_sentence_exclusion():
    rule = "talks NOT (trade | tariff*)"
    assert compile_rule(rule, phrase_regex) == compile_rule("talks", phrase_regex)
    assert compile_exclusion("talks AND trade", phrase_regex, WORD_BOUNDARY) is None
    rx = compile_exclusion(rule, phrase_regex, WORD_BOUNDARY)
    assert rx is not None
    text = "Talks resumed. New tariffs hit, and the talks stalled! Trade fell.\nTalks on trade"
    got = pl.select(pl.lit(text).str.extract_all(f"(?i){rx}")).item().to_list()
    assert got == [" New tariffs hit, and the talks stalled", "Talks on trade"]
    topic = _taxonomy(rule).topics[0]
    assert topic.rule_exclusions == [rx] and rx in (topic.exclude_regex or "")
    with pytest.raises(RuleError, match="NOT needs a term after it"):
        compile_rule("talks NOT ", phrase_regex)


@pytest.mark.parametrize(("rule", "hits", "misses"), [
    (NOT_RULES[0],
     ["Defence spending reached 2% of GDP.", "The deficit fell. Spending is 2% of GDP.",
      "Spending is 2% of GDP.\nThe debt rose."],
     ["The deficit was 3% of GDP.", "At 90% of GDP, public debts are high.",
      "A surplus of 1% of GDP, and spending at 2% of GDP."]),
    (NOT_RULES[1],
     ["Air defences intercepted 30 drones.", "Interceptors were fired. Calls for calm followed.",
      "Drones were intercepted; telephone lines were cut."],
     ["Police intercepted phone calls.", "Emails were intercepted.",
      "Messages intercepted by the agency leaked."]),
    (NOT_RULES[2],
     ["Peace talks resumed in Geneva.", "Talks resumed. Trade fell.", "Talks on 2.5 issues!",
      "Ceasefire talks: traders worried."],  # "traders" is another word
     ["Trade talks resumed.", "Talks on tariffs stalled.", "No trade deal came of the talks."]),
])
def test_not_rule_counts_a_unless_b_is_in_its_sentence(rule, hits, misses):
    tax = _taxonomy(rule)
    assert _tagged(tax, *hits, *misses) == [str(i) for i in range(len(hits))]


def test_a_not_b_sentence_does_not_count_even_through_other_cues():
    """The documented consequence: the whole sentence is blanked for the topic."""
    tax = _taxonomy("talks NOT trade", phrases=("ceasefire",))
    got = tag_topics(pl.DataFrame({
        "article_id": ["a", "b", "c"], "title": ["", "", ""],
        "text": ["A ceasefire and talks on trade.", "A ceasefire. Talks on trade.",
                 "Talks and a ceasefire."]}), tax)
    assert dict(zip(got["article_id"], got["mentions"], strict=True)) == {"b": 1, "c": 2}


def test_not_rules_and_exclude_phrases_blank_together():
    tax = parse_taxonomy('[[topic]]\nid = "t"\nlabel = "T"\nphrases = ["ceasefire"]\n'
                         'exclude = ["ceasefire violation"]\nrules = ["talks NOT trade"]\n')
    assert _tagged(tax, "A ceasefire violation; talks on trade.", "A ceasefire violation. Talks.",
                   "Trade talks. A ceasefire.") == ["1", "2"]


def test_explain_agrees_with_tag_topics_on_not_rules():
    tax = _taxonomy(*NOT_RULES, phrases=("ceasefire",))
    topic = tax.topics[0]
    texts = ["Talks on trade. Peace talks and a ceasefire resumed.",
             "The deficit was 3% of GDP; defence got 2% of GDP. Drones were intercepted.",
             "Police intercepted phone calls and messages.", "Talks resumed!\nTariffs rose.",
             "Nothing here."]
    arts = pl.DataFrame({"article_id": [str(i) for i in range(len(texts))],
                         "title": [""] * len(texts), "text": texts})
    tagged = tag_topics(arts, tax)
    explained = {str(i): explain({"title": "", "text": t}, tax) for i, t in enumerate(texts)}
    assert {a: len(m) for a, m in explained.items() if m} == dict(
        zip(tagged["article_id"], tagged["mentions"], strict=True)) == {"0": 2, "1": 1, "3": 1}
    assert [(phrase, cue_of(topic, phrase)) for _, phrase, _ in explained["0"]] == [
        ("talks", f"rule {NOT_RULES[2]!r}"), ("ceasefire", "phrase 'ceasefire'")]
    assert [cue_of(topic, p) for _, p, _ in explained["3"]] == [f"rule {NOT_RULES[2]!r}"]
    assert tagged.filter(pl.col("article_id") == "1")["evidence"].item() == (
        "Drones were intercepted.")


def test_not_rule_prefilters_on_its_cue():
    words = prefilter_words(_taxonomy("talks NOT (trade | tariff*)").topics[0])
    assert words is not None and "talks" in words and "trade" not in words


def test_bad_not_rule_in_a_list_names_file_and_line():
    text = ('[[topic]]\nid = "t"\nlabel = "T"\nphrases = ["ceasefire"]\n\n'
            'rules = ["talks NOT", "war NEAR/3 peace"]\n')
    with pytest.raises(TaxonomyError, match=r"^tax\.toml:6: topic t, key 'rules': rule "
                       r"'talks NOT': NOT needs a term after it"):
        parse_taxonomy(text, "tax.toml")


def test_lint_handles_not_rules():
    from analytics.topics.taxonomy_lint import lint_taxonomy

    text = ('[[topic]]\nid = "t"\nlabel = "T"\nphrases = ["ceasefire"]\n'
            'rules = [\n  "talks NOT trade",\n  "intercept* NOT phone",\n]\n')
    arts = pl.DataFrame({"title": [""], "text": ["A ceasefire. Talks resumed."]})
    got = [(f.line, f.message) for f in lint_taxonomy(text, "tax.toml", arts)]
    assert got == [(7, "rule 'intercept* NOT phone' matches nothing in the 1 articles given")]
