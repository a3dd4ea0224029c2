"""Theme-model quality and speed on labelled and large news corpora; prints tables.

    python bench/themes_quality.py [--coherence] [--scale] [--auto] [--million] [--no-base]
                                   [--repeats N] [--no-strip]

Reads /work/shared/corpora (beside the repository); never copies data into the repo.
--coherence needs gensim (the ``bench`` extra). Texts are fitted as ``fit_themes`` fits
them: each source's furniture stripped first (BBC, AG and the press releases are one
source each; RSS has its outlets); ``--no-strip`` fits the raw texts, as the version
before. Coherence is always measured on the raw texts.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analytics.themes.boilerplate import find_boilerplate, strip_boilerplate  # noqa: E402
from analytics.themes.clustering import fit_themes  # noqa: E402
from analytics.themes.model import ThemeModel, match_term_sets  # noqa: E402

STRIP = True  # strip each source's furniture before fitting, as fit_themes does


def for_themes(texts: list[str]) -> list[str]:
    """``texts`` (one source) as ``fit_themes`` gives them to the model."""
    if not STRIP:
        return texts
    series, source = pl.Series(texts, dtype=pl.String), pl.Series([None] * len(texts),
                                                                  dtype=pl.String)
    return strip_boilerplate(source, series, find_boilerplate(source, series)).to_list()

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
    model, wall = timed(lambda: ThemeModel(k).fit(for_themes(texts)), repeats)
    pred = model.labels_
    return [(f"{name}: ours k={k}", f"{normalized_mutual_info_score(labels, pred):.3f}",
             f"{adjusted_rand_score(labels, pred):.3f}", f"{wall:.2f}",
             f"outliers {np.sum(pred < 0)}")]


def auto_k(name, texts, labels) -> tuple:
    start = time.perf_counter()
    model = ThemeModel("auto").fit(for_themes(texts))
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
    fitted = for_themes(texts)  # the measure reads the raw texts, the model the stripped
    rows, stab_rows = [], []
    for k in ks:
        npmi, div, dropped, tops = [], [], [], []
        for seed in seeds:
            model = ThemeModel(k, random_state=seed).fit(fitted)
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
    tops, texts = [], for_themes(texts)
    for seed in seeds:
        sub = texts
        if fraction:
            rng = np.random.default_rng(seed)
            sub = [texts[i] for i in np.sort(rng.choice(len(texts), int(fraction * len(texts)),
                                                        replace=False))]
        tops.append([t[:10] for t in ThemeModel(k, random_state=seed).fit(sub).top_terms_])
    scores = [match_term_sets(tops[0], other)[1].mean() for other in tops[1:]]
    return float(np.mean(scores))


def doc_npmi(texts, tops) -> float:
    """Mean NPMI of each theme's top-10 words (pairs), document co-occurrence over ``texts``
    tokenised as in ``coherence`` (cheap stand-in for gensim's windowed c_npmi)."""
    stop = set(ENGLISH_STOP_WORDS)
    vocab = sorted({w for top in tops for w in top})
    col = {w: j for j, w in enumerate(vocab)}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for w in set(re.findall(r"[a-z]+", t.lower())) - stop:
            if w in col:
                rows.append(i)
                cols.append(col[w])
    present = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    present[rows, cols] = 1
    p_both = present.T @ present / len(texts)
    p = np.diag(p_both).copy()
    joint = p_both + 1e-12
    npmi = np.log(joint / np.maximum(np.outer(p, p), 1e-24)) / -np.log(joint)
    out = []
    for top in tops:
        idx = [col[w] for w in top]
        sub = npmi[np.ix_(idx, idx)]
        out.append(sub[np.triu_indices(len(idx), 1)].mean())
    return float(np.mean(out))


def auto_validation(name, texts, labels, n_sub=3, fraction=0.9) -> None:
    """How the auto-k criterion's score varies with k, against what the k gives: NMI/ARI
    vs labels (full fit), document-NPMI of the top-10 words, and stability at that k over
    ``n_sub`` fits on random ``fraction`` subsamples (own seed each): top-10-word Jaccard
    (Hungarian best match, vs the full fit) and ARI of the partitions on shared texts."""
    raw, texts = texts, for_themes(texts)
    start = time.perf_counter()
    auto = ThemeModel("auto").fit(texts)
    wall = time.perf_counter() - start
    rows = []
    for k, score in auto.k_scores_.items():
        full = ThemeModel(k).fit(texts)
        jac, ari = [], []
        for seed in range(1, n_sub + 1):
            rng = np.random.default_rng(seed)
            idx = np.sort(rng.choice(len(texts), int(fraction * len(texts)), replace=False))
            sub = ThemeModel(k, random_state=seed).fit([texts[i] for i in idx])
            jac.append(match_term_sets(full.top_terms_, sub.top_terms_)[1].mean())
            ari.append(adjusted_rand_score(full.labels_[idx], sub.labels_))
        mark = " <- auto" if k == auto.n_themes_ else ""
        rows.append((f"{k}{mark}", f"{score:.3f}",
                     f"{normalized_mutual_info_score(labels, full.labels_):.3f}",
                     f"{adjusted_rand_score(labels, full.labels_):.3f}",
                     f"{doc_npmi(raw, full.top_terms_):.3f}",
                     f"{np.mean(jac):.3f}", f"{np.mean(ari):.3f}"))
    print(f"\n{name}: auto-k validation ({len(set(labels))} labelled classes; auto picked "
          f"{auto.n_themes_} in {wall:.1f} s, load {os.getloadavg()[0]:.2f})")
    table(rows, ("k", "criterion", "NMI", "ARI", "doc-NPMI", f"Jaccard {fraction:.0%} sub",
                 f"ARI {fraction:.0%} sub"))


def scale(k: int | str = 50) -> None:
    articles = rss_articles()
    start = time.perf_counter()
    result = fit_themes(articles, n_themes=k, boilerplate=STRIP)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assigned = result.article_themes["article_id"].n_unique()
    print(f"\nRSS scale: {articles.height:,} articles, k={k}: wall {wall:.1f} s, peak RSS "
          f"{peak:.0f} MB, assigned {assigned:,}/{articles.height:,}, outliers "
          f"{result.outlier_share:.2%}, themes {result.themes.height}")
    for row in result.themes.head(10).iter_rows(named=True):
        print(f"  {row['theme_id']:>3} {row['size']:>6}  {row['label']}")


def rss_articles() -> pl.DataFrame:
    path = CORPORA / "rss-world-news-2022-2023" / "world_news_rss_2022_2023.csv.gz"
    df = pl.read_csv(path, columns=["published_utc", "outlet", "title", "description",
                                    "link"])
    return df.select(
        article_id=pl.col("link"), source=pl.col("outlet"), title=pl.col("title").fill_null(""),
        text=pl.col("description").fill_null(""),
        published_at=pl.col("published_utc").str.to_datetime(time_zone="UTC"),
        duplicate_of=pl.lit(None, dtype=pl.String))


def million_articles(n: int = 1_000_000) -> pl.DataFrame:
    """The RSS corpus replayed in memory to ``n`` rows (about 5.3 copies). Copy ``c`` gets
    `` #c`` appended to its text and ``#c`` to its id: texts differ as strings, but the
    digits are not a term (tokens are letters only), so no copy forms a theme of its own."""
    base = rss_articles()
    copies = -(-n // base.height)
    return pl.concat([
        base.with_columns(article_id=pl.col("article_id") + f"#{c}",
                          text=pl.col("text") + f" #{c}")
        for c in range(copies)]).head(n)


def million(k: str) -> None:
    """Fit ``fit_themes`` on the million replayed articles in this (fresh) process; print
    wall time (corpus building excluded) and the process's peak RSS (included)."""
    articles = million_articles()
    start = time.perf_counter()
    result = fit_themes(articles, n_themes=int(k) if k.isdigit() else k, boilerplate=STRIP)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    main = result.article_themes.filter(pl.col("weight") == pl.col("weight").max()
                                        .over("article_id"))
    assigned = result.article_themes["article_id"].n_unique()
    load = os.getloadavg()[0]
    print(f"1M: {articles.height:,} articles, k={k} -> {result.themes.height} themes: wall "
          f"{wall:.1f} s, peak RSS {peak:,.0f} MB, assigned {assigned:,}/{articles.height:,} "
          f"(main rows {main['article_id'].n_unique():,}), outliers "
          f"{result.outlier_share:.2%}, largest theme {result.themes['size'].max():,}, "
          f"load {load:.2f}", flush=True)


def table(rows, header) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coherence", action="store_true", help="NPMI/diversity/stability")
    parser.add_argument("--scale", action="store_true", help="188k RSS items at k=50 and auto")
    parser.add_argument("--auto", action="store_true",
                        help="auto-k validation tables (BBC, AG): criterion vs k")
    parser.add_argument("--million", action="store_true",
                        help="1M replayed RSS articles, k=50 and auto, each in a fresh process")
    parser.add_argument("--million-run", metavar="K", help=argparse.SUPPRESS)
    parser.add_argument("--no-base", action="store_true", help="skip the BBC/AG table")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    parser.add_argument("--no-strip", action="store_true",
                        help="fit the raw texts (no furniture stripped), as before")
    args = parser.parse_args()
    global STRIP
    STRIP = not args.no_strip
    if not CORPORA.is_dir():
        sys.exit(f"corpora not found at {CORPORA} (expected beside the repository)")
    if args.million_run:
        million(args.million_run)
        return
    if args.million:
        for k in ("50", "auto"):  # a fresh process each, so peak RSS is the fit's own
            subprocess.run([sys.executable, __file__, "--million-run", k,
                            *(["--no-strip"] if args.no_strip else [])], check=True)
    if args.no_base and not (args.coherence or args.auto or args.scale):
        return
    bbc, bbc_y = load_bbc()
    ag, ag_y = load_ag()
    print(f"BBC: {len(bbc)} texts after removing exact duplicates; AG test: {len(ag)} texts; "
          f"load {os.getloadavg()[0]:.2f}\n")
    if not args.no_base:
        rows = [*PUBLISHED, *clustering("BBC", bbc, bbc_y, 5, args.repeats),
                *clustering("AG", ag, ag_y, 4, args.repeats),
                auto_k("BBC", bbc, bbc_y), auto_k("AG", ag, ag_y),
                auto_k("Press releases 1,796", load_press(), None)]
        table(rows, ("method", "NMI", "ARI", "wall s", "note"))
    if args.auto:
        auto_validation("BBC", bbc, bbc_y)
        auto_validation("AG", ag, ag_y)
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
