"""Near-duplicate detection: precision and recall on real corpora.

    .venv/bin/python -m bench.dedup_quality

1. BBC News (2,225 articles, 98 of them exact copies of another): every pair of equal
   texts is a true pair; the detector must find them and nothing else of the BBC set
   (BBC stories are distinct articles).
2. Edited copies: 300 real press releases, each copied once with the edits of a
   re-posted wire story (new headline, a sentence dropped, a few words changed, an
   "Updated" line appended), mixed with 300 other releases; the true pairs are the
   (original, copy) pairs. Edits use a fixed seed.
Prints pairs found, precision, recall and the wall time of the detector (median of 3).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import polars as pl

from analytics.ingest.near_duplicates import similar_pairs

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def bbc_texts() -> list[str]:
    files = sorted((CORPORA / "bbc-news-2225").glob("*/*.txt"))
    return [f.read_bytes().decode("latin-1") for f in files]


def edited_pairs(n: int = 300, seed: int = 1) -> tuple[list[str], set[tuple[int, int]]]:
    df = pl.read_csv(CORPORA / "kremlin-zelenskyy-press-releases-2021-2022"
                     / "president_gov_ua_zelenskyy_press_releases.csv")
    bodies = [b for b in df["body"].drop_nulls().unique(maintain_order=True).to_list()
              if len(b) > 600]
    rng = random.Random(seed)
    rng.shuffle(bodies)
    originals, others = bodies[:n], bodies[n : 2 * n]
    texts, truth = [], set()
    for body in originals:
        sentences = body.split(". ")
        if len(sentences) > 4:
            del sentences[rng.randrange(1, len(sentences) - 1)]
        words = ". ".join(sentences).split(" ")
        for _ in range(3):
            k = rng.randrange(len(words))
            words[k] = rng.choice(["reportedly", "also", "Kyiv", "officials", "on Monday"])
        lead = rng.choice(["Breaking", "Latest", "Live"])
        copy = f"UPDATED: {lead} news. " + " ".join(words)
        copy += " This story has been updated with new information."
        texts += [body, copy]
        truth.add((len(texts) - 2, len(texts) - 1))
    texts += others
    return texts, truth


def score(texts: list[str], truth: set[tuple[int, int]], threshold: float):
    times, found = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        pairs = similar_pairs(pl.Series(texts), threshold=threshold)
        times.append(time.perf_counter() - t0)
        found = {(i, j) for i, j in pairs.select("i", "j").iter_rows()}
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return len(found), precision, recall, statistics.median(times)


def main() -> int:
    if not CORPORA.is_dir():
        print(f"skipped: {CORPORA} is absent", file=sys.stderr)
        return 2
    texts = bbc_texts()
    by_text: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        by_text.setdefault(t, []).append(i)
    bbc_truth = {(a, b) for ids in by_text.values() for k, a in enumerate(ids) for b in ids[k + 1:]}
    edited, edited_truth = edited_pairs()
    print(f"{'corpus':28} {'thr':>4} {'docs':>5} {'true':>5} {'found':>5} {'prec':>6} "
          f"{'recall':>6} {'time s':>7}")
    for threshold in (0.5, 0.6, 0.7):
        for name, tx, truth in (("bbc-news-2225 (exact)", texts, bbc_truth),
                                ("press releases + edits", edited, edited_truth)):
            n, p, r, t = score(tx, truth, threshold)
            print(f"{name:28} {threshold:>4} {len(tx):>5} {len(truth):>5} {n:>5} {p:>6.3f} "
                  f"{r:>6.3f} {t:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
