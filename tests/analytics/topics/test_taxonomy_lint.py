import polars as pl

from analytics.contracts.taxonomy import parse_taxonomy
from analytics.topics.tagging import explain
from analytics.topics.taxonomy_lint import lint_taxonomy

TOML = '''[[topic]]
id = "drones"
label = "Drones"
phrases = ["drone", "loitering munition"]

[[topic]]
id = "air"
label = "Air defence"
phrases = [
  "air defence",
  "anti-drone",
]
'''


def test_overlaps_and_unmatched_name_file_line_and_topic(tmp_path):
    path = tmp_path / "tax.toml"
    path.write_text(TOML)
    corpus = pl.DataFrame({"title": ["Air defence"], "text": ["Drones were shot down."]})
    findings = [str(f) for f in lint_taxonomy(path.read_text(), path, corpus)]
    assert f"{path}:11: warning: topic air: phrase 'anti-drone' is also matched by topic drones" in findings
    assert any(f.startswith(f"{path}:4: info: topic drones: 'loitering munition' matches nothing")
               for f in findings)
    assert not any("'drone'" in f for f in findings)


def test_explain_lists_every_match_with_its_sentence():
    tax = parse_taxonomy(TOML)
    got = explain({"title": "Drone war", "text": "Drone war. Air defence shot down two drones."}, tax)
    assert got == [("drones", "Drone", "Drone war."),
                   ("drones", "drones", "Air defence shot down two drones."),
                   ("air", "Air defence", "Air defence shot down two drones.")]


def test_unmatched_exclude_articles_phrases_are_reported(tmp_path):
    path = tmp_path / "tax.toml"
    path.write_text(TOML.replace('phrases = ["drone", "loitering munition"]\n',
                                 'phrases = ["drone", "loitering munition"]\n'
                                 'exclude = ["hobby drone"]\n'
                                 'exclude_articles = ["hobby drone", "shot down"]\n'))
    corpus = pl.DataFrame({"title": ["Air defence"], "text": ["Drones were shot down."]})
    findings = [str(f) for f in lint_taxonomy(path.read_text(), path, corpus)]
    assert (f"{path}:6: info: topic drones: exclude_articles 'hobby drone' matches nothing "
            "in the 1 articles given") in findings
    assert not any("'shot down'" in f for f in findings)


def test_confusable_characters_in_phrases_are_warned(tmp_path):
    """Issue 16, case 7: a Cyrillic letter in a Latin word or a zero-width space makes a
    phrase that looks right and matches nothing."""
    path = tmp_path / "tax.toml"
    path.write_text('[[topic]]\nid = "air"\nlabel = "Air"\n'
                    'phrases = ["\u0430ir defence", "patriot\u200b missile", "Київ", "air raid"]\n',
                    encoding="utf-8")
    findings = [str(f) for f in lint_taxonomy(path.read_text(encoding="utf-8"), path)]
    assert any("mixes CYRILLIC and LATIN letters in '\u0430ir'" in f for f in findings)
    assert any("invisible ZERO WIDTH SPACE" in f for f in findings)
    assert len(findings) == 2  # an all-Cyrillic word and a plain phrase are fine
    assert all(f.startswith(f"{path}:4: warning: topic air:") for f in findings)


def test_patterns_with_a_unicode_word_boundary_are_warned(tmp_path):
    """A \\b in one pattern made the peace topic's regex 2x slower on the RSS corpus:
    Rust's DFA engines cannot run a Unicode word boundary."""
    path = tmp_path / "tax.toml"
    path.write_text('[[topic]]\nid = "peace"\nlabel = "Peace"\nphrases = ["truce"]\n'
                    "patterns = [\n"
                    "  'talks\\s+with\\s+russia\\b',\n"
                    "  'ceasefire(?-u:\\b)',\n"
                    "  'back\\\\bslash',\n"
                    "]\n")
    findings = [str(f) for f in lint_taxonomy(path.read_text(), path)]
    assert len(findings) == 1, findings
    assert findings[0].startswith(f"{path}:6: warning: topic peace: pattern ")
    assert "Unicode word boundary" in findings[0]
