"""Tagging speed on the RSS corpus: the tagger vs a raw Aho-Corasick scan vs a Python loop.

    .venv/bin/python -m bench.tagging_speed [--runs 5] [--loop-sample 20000]

Text per item: title + "\\n\\n" + description (188,235 items, 44 MB). Measures, in one run:

(a) ``tag_topics`` with the default taxonomy, evidence included;
(b) one polars ``str.extract_many`` (Aho-Corasick, ``ascii_case_insensitive=True``) over
    all the taxonomy's literal phrases, lowercased and expanded (British/American
    spellings, space/hyphen); (b2) the same phrases split into automata of <= 100
    patterns (the aho-corasick crate builds a DFA only up to 100 patterns; beyond that
    an NFA, several times slower);
(c) a plain Python ``re`` loop (a topic skipped in an article holding one of its
    ``exclude_articles`` phrases, exclusions blanked, then one regex per topic counted per
    article; no evidence) on a fixed sample, extrapolated as MB/s.

Medians of ``--runs`` runs for (a), (b) and (b2), taken in turns (a, b, b2, a, ...) so
that a change of machine load weighs on each alike; (c) has fewer runs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import sys
import time
from pathlib import Path

import polars as pl

from analytics.contracts.taxonomy import _SPELLINGS, Taxonomy, load_taxonomy, phrase_regex
from analytics.topics.tagging import tag_topics

REPO = Path(__file__).resolve().parents[1]
RSS = (REPO.parent / "shared" / "corpora" / "rss-world-news-2022-2023"
       / "world_news_rss_2022_2023.csv.gz")


def load_rss(path: Path = RSS) -> pl.DataFrame:
    df = pl.read_csv(path, infer_schema=False, columns=["title", "description"])
    return df.with_row_index("i").select(
        article_id=pl.col("i").cast(pl.String),
        title=pl.lit(""),
        text=pl.col("title").fill_null("") + "\n\n" + pl.col("description").fill_null(""),
    )


def literal_phrases(taxonomy: Taxonomy, limit: int = 16) -> list[str]:
    """Every topic phrase, lowercased, wildcard dropped, with spelling variants and
    space/hyphen variants (at most ``limit`` forms per phrase). Plural endings need no
    expansion: a substring scan finds "drone" in "drones"."""
    spelled = {k: sorted({k, *(o for o, rx in _SPELLINGS.items() if rx == _SPELLINGS[k])})
               for k in _SPELLINGS}
    out: set[str] = set()
    for topic in taxonomy.topics:
        for phrase in topic.all_phrases:
            words = re.split(r"[\s\-]+", phrase.lower().replace("*", "").strip())
            options = [spelled.get(w, [w]) for w in words]
            forms = 0
            for combo in itertools.product(*options):
                for seps in itertools.product(" -", repeat=len(combo) - 1):
                    out.add(combo[0] + "".join(s + w for s, w in zip(seps, combo[1:], strict=True)))
                    forms += 1
                    if forms >= limit:
                        break
                if forms >= limit:
                    break
    return sorted(out)


def _python_regexes(
    taxonomy: Taxonomy,
) -> list[tuple[re.Pattern, re.Pattern | None, re.Pattern | None]]:
    def phrases(items: tuple[str, ...]) -> re.Pattern | None:
        if not items:
            return None
        return re.compile(r"\b(?:" + "|".join(phrase_regex(p) for p in items) + r")\b",
                          re.IGNORECASE)

    out = []
    for t in taxonomy.topics:
        alt = t.alternation
        rx = re.compile(rf"\b{alt}\b", re.IGNORECASE)
        out.append((rx, phrases(t.exclude), phrases(t.exclude_articles)))
    return out


def python_loop(texts: list[str], regexes) -> int:
    total = 0
    for text in texts:
        for rx, ex, skip in regexes:
            if skip is not None and skip.search(text):
                continue
            doc = ex.sub(" ", text) if ex is not None else text
            total += sum(1 for _ in rx.finditer(doc))
    return total


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min), {os.cpu_count()} cores"


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    (median, times, result), = interleaved([fn], runs)
    return median, times, result


def interleaved(fns: list, runs: int) -> list[tuple[float, list[float], object]]:
    """Median time, times and last result of each function, run in turns, so that a
    change of machine load during the benchmark weighs on each alike."""
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for _ in range(runs):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            results[k] = fn()
            times[k].append(time.perf_counter() - t0)
    return [(statistics.median(t), t, r) for t, r in zip(times, results, strict=True)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taxonomy", type=Path, default=REPO / "seeds" / "taxonomy.toml")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--loop-runs", type=int, default=2)
    ap.add_argument("--loop-sample", type=int, default=20_000)
    args = ap.parse_args()
    if not RSS.exists():
        print(f"skipped: {RSS} not found", file=sys.stderr)
        return 2
    taxonomy = load_taxonomy(args.taxonomy)
    arts = load_rss()
    texts = arts["text"]
    mb = texts.str.len_bytes().sum() / 1e6
    print(f"corpus: {arts.height:,} items, {mb:.1f} MB (title + description); "
          f"load: {_load()}")

    phrases = literal_phrases(taxonomy)
    n = -(-len(phrases) // 100)
    size = -(-len(phrases) // n)
    chunks = [phrases[i:i + size] for i in range(0, len(phrases), size)]
    # Warm-up (regex compilation, caches) outside the timings.
    tag_topics(arts.head(2000), taxonomy)
    (ta, ta_all, mentions), (tb, tb_all, found), (tb2, tb2_all, _) = interleaved([
        lambda: tag_topics(arts, taxonomy),
        lambda: texts.str.extract_many(phrases, ascii_case_insensitive=True),
        lambda: [texts.str.extract_many(c, ascii_case_insensitive=True) for c in chunks],
    ], args.runs)

    sample = arts.head(args.loop_sample)["text"].to_list()
    smb = sum(len(s.encode()) for s in sample) / 1e6
    regexes = _python_regexes(taxonomy)
    tc, tc_all, _ = timed(lambda: python_loop(sample, regexes), args.loop_runs)

    def rate(seconds: float, size: float = mb) -> float:
        return size / seconds

    fmt = ", ".join
    print(f"(a) tag_topics, evidence included: {ta:7.3f} s  {rate(ta):8.1f} MB/s  "
          f"[{fmt(f'{t:.3f}' for t in ta_all)}]  -> {mentions.height:,} topic_mentions rows")
    print(f"(b) extract_many, {len(phrases)} literal phrases, one automaton: {tb:7.3f} s  "
          f"{rate(tb):8.1f} MB/s  [{fmt(f'{t:.3f}' for t in tb_all)}]  "
          f"-> {found.list.len().sum():,} matches")
    print(f"(b2) same phrases in {len(chunks)} automata of <= 100:     {tb2:7.3f} s  "
          f"{rate(tb2):8.1f} MB/s  [{fmt(f'{t:.3f}' for t in tb2_all)}]")
    print(f"(c) Python re loop on the first {len(sample):,} items ({smb:.1f} MB), "
          f"extrapolated: {rate(tc, smb):6.2f} MB/s  [{fmt(f'{t:.2f}' for t in tc_all)} s]")
    ra, rb, rb2, rc = rate(ta), rate(tb), rate(tb2), rate(tc, smb)
    ok_b, ok_c = ta <= 2 * tb, ra >= 100 * rc
    print(f"\ntime a / time b  = {ta / tb:.2f}  (target <= 2: {'met' if ok_b else 'NOT met'}); "
          f"speed a/b = {ra / rb:.2f}")
    print(f"time a / time b2 = {ta / tb2:.2f}; speed a/b2 = {ra / rb2:.2f}")
    print(f"speed a / speed c = {ra / rc:.1f}x  (target >= 100x: {'met' if ok_c else 'NOT met'})")
    print(f"load at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
