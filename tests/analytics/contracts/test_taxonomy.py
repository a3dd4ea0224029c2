from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy, phrase_regex

CORE = {
    "air_missile_defense", "long_range_strike", "logistics", "ground_forces",
    "defense_spending", "defense_industry", "ukraine_military_aid", "peace_negotiations",
    "nuclear_deterrence", "terrorism", "drones", "sanctions", "nato_enlargement",
}
SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def test_default_taxonomy_has_core_topics_with_labels_and_phrases():
    tax = load_taxonomy(SEEDS / "taxonomy.toml")
    assert set(tax.ids) >= CORE
    for topic in tax.topics:
        assert topic.label and topic.description and (topic.all_phrases or topic.patterns)


@pytest.mark.parametrize(
    ("phrase", "text", "hits"),
    [
        ("air defence", "Air defence, air-defense and air defences.", 3),
        ("armoured vehicle", "armored vehicles and armoured vehicle", 2),
        ("intercept*", "interceptors intercepted", 2),
        ("drone", "drones droned", 1),
        ("S-300", "an S-300 and S300", 2),
    ],
)
def test_phrase_variants(phrase, text, hits):
    rx = rf"(?i)\b{phrase_regex(phrase)}\b"
    assert pl.select(pl.lit(text).str.count_matches(rx)).item() == hits


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[topic]\n", "invalid TOML"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrases = []\n', "tax.toml:4: topic a, key 'phrases'"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\n'
         '[[topic]]\nid = "a"\nlabel = "B"\nphrases = ["y"]\n', "tax.toml:6: topic a, key 'id': duplicate"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\npatterns = ["(open"]\n',
         "tax.toml:5: topic a, key 'patterns': invalid regex"),
        ('[[topic]]\nid = "Bad Id"\nlabel = "A"\nphrases = ["x"]\n', "key 'id'"),
        ('[[topic]]\nid = "a"\nphrases = ["x"]\n', "key 'label'"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrase = ["x"]\n', "key 'phrase': unknown key"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\nexclude_articles = "hobby"\n',
         "tax.toml:5: topic a, key 'exclude_articles': must be a list of non-empty strings"),
        ('[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\nexclude_articles = ["y", " "]\n',
         "tax.toml:5: topic a, key 'exclude_articles': must be a list of non-empty strings"),
    ],
)
def test_taxonomy_errors_name_file_line_topic_and_key(toml, message):
    with pytest.raises(TaxonomyError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_taxonomy(toml, "tax.toml")


def test_phrases_per_language():
    tax = parse_taxonomy(
        '[[topic]]\nid = "ad"\nlabel = "AD"\nphrases = { en = ["air defence"], de = ["Flugabwehr"] }\n'
    )
    assert set(tax.topic("ad").phrases) == {"en", "de"}
    assert pl.select(pl.lit("Die Flugabwehr").str.contains(tax.topic("ad").regex)).item()


def test_exclude_articles_parsed_as_phrases():
    tax = parse_taxonomy('[[topic]]\nid = "d"\nlabel = "D"\nphrases = ["drone"]\n'
                         'exclude_articles = ["hobby drone", "drone hobbyist"]\n')
    topic = tax.topics[0]
    assert topic.exclude_articles == ("hobby drone", "drone hobbyist")
    rx = topic.exclude_articles_regex
    texts = pl.Series(["Hobby-drones banned", "drone hobbyists", "hobby drone", "drones"])
    hits = texts.str.contains(rx).to_list()
    assert hits == [True, True, True, False]
    assert parse_taxonomy('[[topic]]\nid = "d"\nlabel = "D"\nphrases = ["x"]\n'
                          ).topics[0].exclude_articles_regex is None


def test_bad_regex_carries_the_engines_whole_message():
    """Rust's regex errors are several lines: the regex, a caret under the fault and
    "error: ..."; all of it is kept, with the file, the pattern's own line and the topic."""
    toml = ('[[topic]]\nid = "drones"\nlabel = "Drones"\nphrases = ["drone"]\npatterns = [\n'
            '  "shot down \\\\d+ drones",\n  "(?P<n>\\\\d+ uav",\n]\n')
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(toml, "tax.toml")
    assert str(err.value) == (
        "tax.toml:7: topic drones, key 'patterns': invalid regex '(?P<n>\\\\d+ uav': "
        "regex parse error:\n    (?P<n>\\d+ uav\n    ^\nerror: unclosed group")


def test_regex_over_the_engines_size_limit_says_so():
    # legal syntax that the compiler refuses: alone, and only together with the others
    topic = '[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\npatterns = [{}]\n'
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(topic.format('"(?:a{1000}){1000}"'), "tax.toml")
    assert str(err.value) == ("tax.toml:5: topic a, key 'patterns': invalid regex "
                              "'(?:a{1000}){1000}': Compiled regex exceeds size limit of "
                              "10485760 bytes.")
    each_fits = ", ".join(f'"(?:[a-z]{{100}}){{{100 + i}}}"' for i in range(8))
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(topic.format(each_fits), "tax.toml")
    assert str(err.value) == ("tax.toml:4: topic a, key 'phrases': phrases, patterns and "
                              "rules do not compile together: Compiled regex exceeds size "
                              "limit of 10485760 bytes.")


@pytest.mark.parametrize(("toml", "message"), [
    ('[mata]\nname = "x"\n', "tax.toml:1: unknown top-level key 'mata'; did you mean 'meta'?"),
    ('[meta]\nname = "x"\nversoin = 1\n',
     "tax.toml:3: [meta], key 'versoin': unknown key; did you mean 'version'?"),
    ('[meta]\nname = 3\n', "tax.toml:2: [meta], key 'name': expected a string, got 3"),
    ('[[topics]]\nid = "b"\n', "tax.toml:1: unknown top-level key 'topics'; did you mean 'topic'?"),
])
def test_taxonomy_settings_errors_name_file_line_and_key(toml, message):
    topic = '[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\n'
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(toml + topic, "tax.toml")
    assert str(err.value).startswith(message), str(err.value)


def test_free_form_meta_keys_are_kept_out_of_the_way():
    taxonomy = parse_taxonomy('[meta]\nname = "x"\ndescription = "our topics"\nauthor = "desk"\n'
                              '[[topic]]\nid = "a"\nlabel = "A"\nphrases = ["x"]\n', "tax.toml")
    assert [t.id for t in taxonomy.topics] == ["a"]
