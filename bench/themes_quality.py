"""Theme-model quality and speed on labelled and large news corpora; prints tables.

    python bench/themes_quality.py [--coherence] [--scale] [--repeats N]

Reads /work/shared/corpora (beside the repository); never copies data into the repo.
--coherence needs gensim (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analytics.theme_model import ThemeModel, match_term_sets  # noqa: E402
from analytics.themes import fit_themes  # noqa: E402

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
PUBLISHED = [("BBC: LDA (published)", ".727", ".701", "", ""),
             ("BBC: K-Means (published)", ".751", ".726", "", ""),
             ("BBC: NMF (published)", ".812", ".842", "", ""),
             ("BBC: TF-IDF+NMF (peer, this machine)", ".804", ".828", "2.3", ""),
             ("BBC: TF-IDF+K-Means (peer, this machine)", ".749", ".703", "", ""),
             ("BBC: BERTopic (peer, best)", ".863", ".890", "", "")]


def load_bbc() -> tuple[list[str], list[str]]:
    """BBC News 2225 minus exact duplicates (whitespace-normalised): 2,125 texts."""
    seen, texts, labels = set(), [], []
    for folder in sorted(p for p in (CORPORA / "bbc-news-2225").iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt")):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:  # sport/199.txt holds one Latin-1 byte
                text = raw.decode("latin-1")
            key = " ".join(text.split())
            if key not in seen:
                seen.add(key)
                texts.append(text)
                labels.append(folder.name)
    return texts, labels


def load_ag() -> tuple[list[str], list[int]]:
    df = pl.read_csv(CORPORA / "ag-news-test" / "test.csv", has_header=False,
                     new_columns=["label", "title", "description"])
    return (df["title"] + " " + df["description"]).to_list(), df["label"].to_list()


def load_press() -> list[str]:
    """Kremlin + president.gov.ua press releases (1,796; headline + body), unlabelled."""
    folder = CORPORA / "kremlin-zelenskyy-press-releases-2021-2022"
    frames = [pl.read_csv(folder / name, null_values=["NA"]).select("headline", "body")
              for name in ("kremlin_putin_press_releases.csv",
                           "president_gov_ua_zelenskyy_press_releases.csv")]
    df = pl.concat(frames)
    return (df["headline"].fill_null("") + "\n" + df["body"].fill_null("")).to_list()


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)


def clustering(name, texts, labels, k, repeats) -> list[tuple]:
    model, wall = timed(lambda: ThemeModel(k).fit(texts), repeats)
    pred = model.labels_
    return [(f"{name}: ours k={k}", f"{normalized_mutual_info_score(labels, pred):.3f}",
             f"{adjusted_rand_score(labels, pred):.3f}", f"{wall:.2f}",
             f"outliers {np.sum(pred < 0)}")]


def auto_k(name, texts, labels) -> tuple:
    start = time.perf_counter()
    model = ThemeModel("auto").fit(texts)
    wall = time.perf_counter() - start
    scores = " ".join(f"{k}:{s:.2f}" for k, s in model.k_scores_.items())
    score = (lambda f: f"{f(labels, model.labels_):.3f}") if labels else (lambda f: "")
    return (f"{name}: ours k=auto -> {model.n_themes_}", score(normalized_mutual_info_score),
            score(adjusted_rand_score), f"{wall:.2f}", f"coherence x diversity {scores}")


def coherence(texts, ks=(10, 20, 30, 40, 50), seeds=(0, 1, 2)) -> list[tuple]:
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    stop = set(ENGLISH_STOP_WORDS)
    tokens = [[w for w in re.findall(r"[a-z]+", t.lower()) if len(w) >= 3 and w not in stop]
              for t in texts]
    vocab = Dictionary(tokens)
    rows, stab_rows = [], []
    for k in ks:
        npmi, div, dropped, tops = [], [], [], []
        for seed in seeds:
            model = ThemeModel(k, random_state=seed).fit(texts)
            top = [t[:10] for t in model.top_terms_]
            tops.append(top)
            div.append(len({w for t in top for w in t}) / (10 * len(top)))
            usable = [[w for w in t if w in vocab.token2id] for t in top]
            dropped.append(1 - sum(map(len, usable)) / sum(map(len, top)))
            cm = CoherenceModel(topics=[t for t in usable if len(t) >= 2], texts=tokens,
                                dictionary=vocab, coherence="c_npmi", topn=10, processes=1)
            npmi.append(cm.get_coherence())
        rows.append((k, np.mean(npmi), np.mean(div), np.mean(dropped)))
        stab_rows.append(tops)
    return rows


def stability(texts, k=5, seeds=range(5), fraction=None) -> float:
    """Mean best-match (Hungarian) Jaccard of top-10 terms between seed 0 and seeds 1..4;
    with ``fraction`` each seed also draws its own random subsample of the texts."""
    tops = []
    for seed in seeds:
        sub = texts
        if fraction:
            rng = np.random.default_rng(seed)
            sub = [texts[i] for i in np.sort(rng.choice(len(texts), int(fraction * len(texts)),
                                                        replace=False))]
        tops.append([t[:10] for t in ThemeModel(k, random_state=seed).fit(sub).top_terms_])
    scores = [match_term_sets(tops[0], other)[1].mean() for other in tops[1:]]
    return float(np.mean(scores))


def scale(k: int | str = 50) -> None:
    path = CORPORA / "rss-world-news-2022-2023" / "world_news_rss_2022_2023.csv.gz"
    df = pl.read_csv(path, columns=["published_utc", "title", "description", "link"])
    articles = df.select(
        article_id=pl.col("link"), title=pl.col("title").fill_null(""),
        text=pl.col("description").fill_null(""),
        published_at=pl.col("published_utc").str.to_datetime(time_zone="UTC"),
        duplicate_of=pl.lit(None, dtype=pl.String))
    start = time.perf_counter()
    result = fit_themes(articles, n_themes=k)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assigned = result.article_themes["article_id"].n_unique()
    print(f"\nRSS scale: {articles.height:,} articles, k={k}: wall {wall:.1f} s, peak RSS "
          f"{peak:.0f} MB, assigned {assigned:,}/{articles.height:,}, outliers "
          f"{result.outlier_share:.2%}, themes {result.themes.height}")
    for row in result.themes.head(10).iter_rows(named=True):
        print(f"  {row['theme_id']:>3} {row['size']:>6}  {row['label']}")


def table(rows, header) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coherence", action="store_true", help="NPMI/diversity/stability")
    parser.add_argument("--scale", action="store_true", help="188k RSS items at k=50")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        sys.exit(f"corpora not found at {CORPORA} (expected beside the repository)")
    bbc, bbc_y = load_bbc()
    ag, ag_y = load_ag()
    print(f"BBC: {len(bbc)} texts after removing exact duplicates; AG test: {len(ag)} texts\n")
    rows = [*PUBLISHED, *clustering("BBC", bbc, bbc_y, 5, args.repeats),
            *clustering("AG", ag, ag_y, 4, args.repeats),
            auto_k("BBC", bbc, bbc_y), auto_k("AG", ag, ag_y),
            auto_k("Press releases 1,796", load_press(), None)]
    table(rows, ("method", "NMI", "ARI", "wall s", "note"))
    if args.coherence:
        for name, texts in [("BBC", bbc), ("AG", ag)]:
            print(f"\n{name} coherence (k = 10..50, seeds 0-2, top-10 terms)")
            rows = coherence(texts)
            table([(k, f"{n:.3f}", f"{d:.3f}", f"{x:.1%}") for k, n, d, x in rows],
                  ("k", "NPMI", "diversity", "top terms dropped (bigrams)"))
            print(f"mean: NPMI {np.mean([r[1] for r in rows]):.3f}, diversity "
                  f"{np.mean([r[2] for r in rows]):.3f} (peer TF-IDF+NMF .226/.914)")
            print(f"stability k=5, 5 seeds: {stability(texts):.3f}; "
                  f"5 seeds x 90% subsamples: {stability(texts, fraction=0.9):.3f}")
    if args.scale:
        scale()
        scale("auto")


if __name__ == "__main__":
    main()
