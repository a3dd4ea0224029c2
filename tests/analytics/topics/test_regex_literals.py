"""The literal prefilter and the relaxed pre-check never miss a match of a topic's regex."""

import random
import threading
import warnings
from pathlib import Path

import polars as pl
import pytest

from analytics.contracts.cue_rules import compile_rule
from analytics.contracts.taxonomy import load_taxonomy, parse_taxonomy, phrase_regex
from analytics.topics.regex_literals import (
    precheck_regex,
    prefilter_words,
    relaxed_regex,
    required_literals,
)

SEEDS = Path(__file__).resolve().parents[3] / "seeds"

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
        words = prefilter_words(topic)
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
        assert precheck_regex(tax.topic("ukraine_military_aid"))
        assert precheck_regex(tax.topic("drones")) is None


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


def test_an_and_rules_pre_check_keeps_one_side_not_the_sentence():
    """The sentence span of ``A AND B`` is a gap: the pre-check is one side, not the whole
    (slow) rule, and still matches wherever the rule does."""
    rx = compile_rule('("military aid" | "defence support") AND (Ukraine | Kyiv | our)', phrase_regex)
    relaxed = relaxed_regex(rx, gaps_min=1)
    # one side only (before, both sides and the span between them, as slow as the rule)
    assert relaxed is not None and "military" in relaxed and "kyiv" not in relaxed
    texts = ["Military aid, he said, goes to Ukraine.", "our state needs defence support",
             "military aid. Ukraine", "Kyiv", "defence support for our country"]
    hits = [pl.select(pl.lit(t).str.contains(rf"(?i){rx}")).item() for t in texts]
    pre = [pl.select(pl.lit(t).str.contains(rf"(?i){relaxed}")).item() for t in texts]
    assert hits == [True, True, False, False, True]
    assert all(p for p, h in zip(pre, hits, strict=True) if h)


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
        (r"[a[b]]x", None),            # a nested class in Rust, "[" then "]" in Python
        (r"[a-z&&[^aeiou]]x", None),   # Rust set operations
        (r"[a--b]x", None),
        (r"[\[]x", ("[x",)),          # escaped brackets are literals in both
        (r"[]a]x", ("]x", "ax")),      # so is a leading ]
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



def test_reading_a_regex_leaves_other_threads_warnings_alone():
    """Tagging runs in threads beside code that warns (matplotlib, sklearn): reading a
    regex must not turn another thread's warning into an error, as a process-wide
    warnings filter did."""
    stop = threading.Event()

    def read_regexes():
        while not stop.is_set():
            required_literals(r"[[:alpha:]]x|drone")
            relaxed_regex(r"a(?:\S+\s+){0,9}b(?:\S+\s+){0,9}c")

    reader = threading.Thread(target=read_regexes)
    reader.start()
    raised = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(20000):
                try:
                    warnings.warn("a warning of another thread", UserWarning, stacklevel=1)
                except UserWarning:
                    raised += 1
    finally:
        stop.set()
        reader.join()
    assert raised == 0
