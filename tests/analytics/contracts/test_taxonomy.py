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


# --- Literal prefilter (Topic.prefilter_words / required_literals) -------------------

import random  # noqa: E402

from analytics.contracts.taxonomy import relaxed_regex, required_literals  # noqa: E402

_TRICKY_TOML = r'''
[[topic]]
id = "t"
label = "T"
phrases = ["air defence", "armoured vehicle", "intercept*", "S-300", "SAMP/T", "2% target",
           "al Qaeda", "Article 5", "drone", "replenishment* at sea", "anti-aircraft"]
patterns = ['(?:gdp|gross\s+domestic\s+product)', 'nyse:\s*rtx', 'arm(?:s|ed)?[ ]+kyiv',
            '(?:strik|hit)[a-z]*\s+(?:\S+\s+){0,3}?deep\s+inside', 'x{2}y', 'ukrain[a-z’\x27-]*\s+forces',
            'k\d+|s\d+']
exclude = ["think tank", "arms kyiv"]
'''


def _random_texts(seed: int, n: int = 400) -> list[str]:
    """Texts made of taxonomy fragments in random case, joined by spaces, hyphens,
    newlines, punctuation and the non-ASCII letters that fold to ASCII (ſ, K)."""
    rng = random.Random(seed)
    bits = ["air", "defence", "defense", "armored", "armoured", "vehicles", "intercepted",
            "s", "300", "S300", "samp/t", "2%", "targets", "al", "qaeda", "article", "5",
            "drones", "replenishments", "at", "sea", "anti", "aircraft", "gdp", "gross",
            "domestic", "product", "nyse:", "rtx", "arms", "kyiv", "striking", "hit", "deep",
            "inside", "xx", "y", "xxy", "ukraine’s", "forces", "k9", "s7", "think", "tank",
            "terror", "nuclear", "sanctions", "\u017f", "\u212a", "9", "é", "’", "the"]
    seps = [" ", "-", "  ", "\n", " - ", "", ". ", ", "]
    out = []
    for _ in range(n):
        words = [rng.choice(bits) for _ in range(rng.randint(1, 8))]
        words = [w.upper() if rng.random() < 0.3 else w.title() if rng.random() < 0.2 else w
                 for w in words]
        out.append("".join(w + rng.choice(seps) for w in words))
    return out


@pytest.mark.parametrize("source", ["default", "tricky"])
def test_prefilter_words_never_miss_a_match(source):
    tax = (load_taxonomy(SEEDS / "taxonomy.toml") if source == "default"
           else parse_taxonomy(_TRICKY_TOML))
    texts = _random_texts(1) + _random_texts(2)
    # Also every phrase itself, as written, upper-cased and hyphenated.
    for t in tax.topics:
        for p in t.all_phrases:
            texts += [p, p.upper(), p.replace(" ", "-"), p.replace("s", "\u017f")]
    frame = pl.DataFrame({"doc": texts})
    for topic in tax.topics:
        words = topic.prefilter_words
        assert words, topic.id
        exclude = topic.exclude_regex
        doc = pl.col("doc").str.replace_all(exclude, " ") if exclude else pl.col("doc")
        out = frame.select(
            hit=doc.str.contains(topic.regex),
            pre=pl.col("doc").str.contains_any(list(words), ascii_case_insensitive=True),
        )
        missed = frame.filter(out["hit"] & ~out["pre"])["doc"].to_list()
        assert not missed, (topic.id, missed[:5])


@pytest.mark.parametrize("source", ["default", "tricky"])
def test_relaxed_regex_matches_wherever_the_regex_does(source):
    """The pre-check (gaps widened to their most selective run) never rules out a match;
    every topic is checked, also those whose regex has too few gaps to get one."""
    tax = (load_taxonomy(SEEDS / "taxonomy.toml") if source == "default"
           else parse_taxonomy(_TRICKY_TOML))
    texts = _random_texts(3) + _random_texts(4)
    for t in tax.topics:
        for p in t.all_phrases:
            texts += [p, p.upper(), p.replace(" ", "-")]
    texts += ["Allies keep sending more weapons to Ukraine.", "supply lines of the army",
              "weapons deliveries, then arms for Kyiv", "logistics near the front lines",
              "Kyiv’s new military aid packages", "trained Ukrainian pilots"]
    frame = pl.DataFrame({"doc": texts})
    checked = 0
    for topic in tax.topics:
        relaxed = relaxed_regex(topic.alternation, gaps_min=0)
        if relaxed is None:
            continue
        checked += 1
        out = frame.select(hit=pl.col("doc").str.contains(topic.regex),
                           pre=pl.col("doc").str.contains(rf"(?i){relaxed}"))
        missed = frame.filter(out["hit"] & ~out["pre"])["doc"].to_list()
        assert not missed, (topic.id, missed[:5])
    assert checked >= len(tax.topics) - 1
    if source == "default":  # the slow regexes with many gaps get a pre-check
        assert tax.topic("ukraine_military_aid").precheck_regex
        assert tax.topic("drones").precheck_regex is None


@pytest.mark.parametrize(
    ("regex", "relaxed"),
    [
        # two literal slots ("to", "kyiv") beat one ("weapon")
        (r"weapons?\s+(?:\S+\s+){0,6}?to\s+kyiv", r"(?:to(?:[\s]){1,}kyiv)"),
        (r"logistics\W+(?:\S+\s+){0,6}?(?:army|troops)", r"(?:logistics(?:[\W]){1,})"),
        (r"a(?:b|c)\b", None),  # no gaps
        (r"(?i:x)(?:\S+\s+){0,12}y", None),  # inline flags: not rewritten
    ],
)
def test_relaxed_regex_keeps_the_most_selective_run(regex, relaxed):
    assert relaxed_regex(regex, gaps_min=1) == relaxed


@pytest.mark.parametrize(
    ("regex", "words"),
    [
        (r"(?:gdp|gross\s+domestic\s+product)", ("gdp", "gross", "\u017f")),
        (r"(?:ab|ac)d", ("abd", "acd")),
        (r"\bdrone(?:s|es)?\b", ("drone",)),
        (r"kiev|kyiv", ("kiev", "kyiv", "\u212a")),
        (r"x?", None),                 # matches the empty string
        (r"\w+", None),                # no literal at all
        (r"[[:alpha:]]x", None),       # Rust class syntax Python reads differently
        (r"\<foo", None),              # Rust word-start assertion
        (r"foo\b{start}", None),
        (r"\p{Greek}x", None),
        (r"(?x) a b", None),
        (r"arms[ ]+kyiv", ("arms", "\u017f")),  # one required word; never across white space
        (r"Éclair", ("clair",)),       # non-ASCII letters have case variants
    ],
)
def test_required_literals(regex, words):
    assert required_literals(regex) == words


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
