"""Rate themes by reading them: fit the RSS stream as a run does, sample themes, print them.

    .venv/bin/python bench/themes_rating.py [--set NAME] [--themes 30] [--sample 10]
                                            [--seed 14] [--titles 8] [--no-strip]
                                            [--template NAME]

The stream is the one a run of ``seeds/sources/rss-world-news.toml`` stores (188,235 RSS
items of 13 outlets, ``source`` = the outlet): read by the table reader, prepared
(normalised text = title + description), exact and near duplicates marked, as ingestion
does. Themes are fitted by ``fit_themes`` with the flow's parameters (``random_state`` 0,
everything else the function's defaults), ``--themes`` 30 as in the seed's run command
(or ``auto``, the flow's default); ``--no-strip`` fits without stripping each source's
furniture, which gives the clusters of the version before it. ``--sample`` themes are
drawn with a fixed seed; for each the script prints its label, size, top terms, its
three largest outlets and ``--titles`` member titles, closest to the theme first
(main-theme members by cosine), each with its outlet. Then every theme of the fit.

Ratings live in ``bench/eval/theme_ratings.csv``, one row per theme of a fit (``set,
theme_id, size, label, sampled, rating, boilerplate, note``). ``rating``, for the
sampled themes: coherent (one story or one subject a reader would file together), mixed
(a subject plus unrelated items, or two subjects) or junk (no subject: furniture, a
genre of page, a bag of words). ``boilerplate``, for every theme (yes/no): held together
by page furniture (newsletter lines, series names, bylines) rather than by a story.
``--set NAME`` prints that set's tally and checks that its themes are this fit's (same
ids and sizes: a changed fit makes the ratings stale; a label that differs is only
reported, as labels can change while the themes do not). The protocol: run with
``--template NAME``, read the printed themes, fill in the rows it prints and add them to
the CSV, run again with ``--set NAME`` for the tally. Reads /work/shared/corpora in
place; nothing is copied.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from analytics.contracts.sources_config import load_sources  # noqa: E402
from analytics.ingest.near_duplicates import mark_near_duplicates  # noqa: E402
from analytics.ingest.normalize import split_exact_duplicates  # noqa: E402
from analytics.ingest.pipeline import prepare  # noqa: E402
from analytics.sources.registry import read_source  # noqa: E402
from analytics.themes.clustering import ThemeResult, fit_themes, main_themes  # noqa: E402

SOURCES = REPO / "seeds" / "sources" / "rss-world-news.toml"
RATINGS = REPO / "bench" / "eval" / "theme_ratings.csv"
RUN_DATE = date(2024, 1, 1)
FIELDS = ["set", "theme_id", "size", "label", "sampled", "rating", "boilerplate", "note"]
RATINGS_ALLOWED = ("coherent", "mixed", "junk")


def rss_stream() -> pl.DataFrame:
    """The RSS corpus as a run stores it: ``article_id, source, title, text, published_at,
    duplicate_of`` (near duplicates marked within the store's window, as ``ingest`` does)."""
    cfg = load_sources(SOURCES)
    if not cfg.sources[0].path.exists():
        sys.exit(f"corpus not found: {cfg.sources[0].path}")
    batch = read_source(cfg.sources[0], cfg.settings)
    articles, _ = prepare([batch.parsed], run_date=RUN_DATE, settings=cfg.settings)
    firsts, _ = split_exact_duplicates(articles)
    firsts = mark_near_duplicates(firsts, threshold=cfg.settings.near_duplicate_threshold,
                                  window_days=cfg.settings.near_duplicate_window_days)
    return firsts.select("article_id", "source", "title", "text", "published_at",
                         "duplicate_of")


def sample_ids(n_themes: int, n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n_themes, min(n, n_themes), replace=False))


def members(result: ThemeResult, articles: pl.DataFrame) -> pl.DataFrame:
    """``theme_id, weight, source, title`` of every article by its main theme."""
    main = main_themes(result.article_themes)
    weights = result.article_themes.join(main, on=["article_id", "theme_id"])
    return weights.join(articles.select("article_id", "source", "title"), on="article_id")


def show(result: ThemeResult, articles: pl.DataFrame, ids: list[int], n_titles: int) -> None:
    rows = members(result, articles)
    themes = {r["theme_id"]: r for r in result.themes.iter_rows(named=True)}
    for tid in ids:
        theme = themes[tid]
        print(f"\n## theme {tid}: {theme['label']}  ({theme['size']:,} articles)")
        print(f"   top terms: {' '.join(theme['top_terms'])}")
        closest = rows.filter(pl.col("theme_id") == tid).sort(
            "weight", "article_id", descending=[True, False]).head(n_titles)
        by_source = rows.filter(pl.col("theme_id") == tid)["source"].value_counts(
            sort=True).head(3)
        print("   outlets: " + ", ".join(f"{s} {c:,}" for s, c in by_source.iter_rows()))
        for r in closest.iter_rows(named=True):
            print(f"   {r['weight']:.2f} [{r['source']}] {r['title']}")


def read_ratings(name: str) -> list[dict]:
    if not RATINGS.exists():
        return []
    with RATINGS.open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["set"] == name]


def tally(name: str, result: ThemeResult, ids: list[int]) -> None:
    rated = read_ratings(name)
    if not rated:
        print(f"\nno ratings for set {name!r} in {RATINGS.relative_to(REPO)}")
        return
    themes = {r["theme_id"]: r for r in result.themes.iter_rows(named=True)}
    stale = [r for r in rated if int(r["theme_id"]) not in themes
             or themes[int(r["theme_id"])]["size"] != int(r["size"])]
    if stale or len(rated) != len(themes):
        print(f"\nset {name!r} is stale: {len(stale)} rated themes are not this fit's "
              f"(ids and sizes), {len(rated)} rated of {len(themes)}")
    relabelled = [r for r in rated if int(r["theme_id"]) in themes
                  and themes[int(r["theme_id"])]["label"] != r["label"]]
    if relabelled:
        print(f"set {name!r}: {len(relabelled)} labels differ from the rated ones, e.g. "
              f"{relabelled[0]['label']!r} -> "
              f"{themes[int(relabelled[0]['theme_id'])]['label']!r}")
    sampled = [r for r in rated if r["sampled"] == "yes"]
    if sorted(int(r["theme_id"]) for r in sampled) != ids:
        print(f"set {name!r}: the sampled rows are not this draw ({ids})")
    bad = [r for r in sampled if r["rating"] not in RATINGS_ALLOWED]
    if bad:
        print(f"set {name!r}: ratings must be one of {RATINGS_ALLOWED}: {bad[0]}")
    counts = Counter(r["rating"] for r in sampled)
    print(f"\nset {name!r}: {len(sampled)} sampled themes rated: "
          + ", ".join(f"{counts[k]} {k}" for k in RATINGS_ALLOWED))
    for r in sampled:
        print(f"   {r['theme_id']:>3} {r['rating']:<8} {r['label']}: {r['note']}")
    boiler = [r for r in rated if r["boilerplate"] == "yes"]
    print(f"boilerplate themes in the whole fit: {len(boiler)} of {len(rated)} rated "
          f"({result.themes.height} in the fit)"
          + "".join(f"\n   {r['theme_id']:>3} {r['label']}: {r['note']}" for r in boiler))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", help="the rating set to tally (e.g. before, after)")
    parser.add_argument("--themes", default="30", help="number of themes or 'auto'")
    parser.add_argument("--sample", type=int, default=10, help="themes to draw")
    parser.add_argument("--seed", type=int, default=14, help="seed of the draw")
    parser.add_argument("--titles", type=int, default=8, help="member titles per theme")
    parser.add_argument("--template", metavar="NAME",
                        help="also print this fit's rows of a new rating set, to fill in")
    parser.add_argument("--no-strip", action="store_true",
                        help="fit without stripping each source's furniture")
    args = parser.parse_args()
    start = time.perf_counter()
    articles = rss_stream()
    loaded = time.perf_counter() - start
    n_themes = int(args.themes) if args.themes.isdigit() else args.themes
    start = time.perf_counter()
    result = fit_themes(articles, n_themes=n_themes, random_state=0,
                        boilerplate=not args.no_strip)
    wall = time.perf_counter() - start
    canonical = articles.filter(pl.col("duplicate_of").is_null()).height
    print(f"RSS stream: {articles.height:,} articles ({canonical:,} canonical), read and "
          f"prepared in {loaded:.1f} s; fit_themes(n_themes={n_themes!r}) -> "
          f"{result.themes.height} themes in {wall:.1f} s (load {os.getloadavg()[0]:.1f}), "
          f"outliers {result.outlier_share:.1%}; furniture stripped: "
          f"{result.boilerplate.height} lines and phrases of "
          f"{result.boilerplate['source'].n_unique()} sources")
    ids = sample_ids(result.themes.height, args.sample, args.seed)
    print(f"sampled themes (seed {args.seed}): {ids}")
    show(result, articles, ids, args.titles)
    print("\n## every theme of the fit (id, size, label | top terms)")
    for r in result.themes.iter_rows(named=True):
        print(f"   {r['theme_id']:>3} {r['size']:>7,}  {r['label']:<40} | "
              f"{' '.join(r['top_terms'])}")
    if args.template:
        print(f"\n## rows to rate for set {args.template!r} (CSV)")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        for r in result.themes.iter_rows(named=True):
            writer.writerow([args.template, r["theme_id"], r["size"], r["label"],
                             "yes" if r["theme_id"] in ids else "no", "", "", ""])
    if args.set:
        tally(args.set, result, ids)


if __name__ == "__main__":
    main()
