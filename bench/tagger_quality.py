"""Per-topic precision and recall of the tagger against the hand-labelled set.

    .venv/bin/python -m bench.tagger_quality [--taxonomy seeds/taxonomy.toml] [--errors TOPIC]

Reads the texts from ../shared/corpora by the keys in bench/eval/labels.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import tag_topics
from bench.eval.load import TOPICS, CorporaMissingError, load_eval_set

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
TARGET_P, TARGET_R = 0.90, 0.85


def evaluate(eval_set: pl.DataFrame, taxonomy_path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-topic table (tp, fp, fn, precision, recall, f1) and the tagger's mentions."""
    arts = eval_set.with_row_index("i").select(
        article_id=pl.col("i").cast(pl.String), title=pl.col("title").fill_null(""),
        text=pl.col("text"),
    )
    mentions = tag_topics(arts, load_taxonomy(taxonomy_path))
    rows = []
    for topic in TOPICS:
        predicted = set(mentions.filter(pl.col("topic_id") == topic)["article_id"])
        truth = {str(i) for i, v in enumerate(eval_set[topic]) if v}
        tp, fp, fn = len(predicted & truth), len(predicted - truth), len(truth - predicted)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append((topic, tp, fp, fn, p, r, f1))
    table = pl.DataFrame(rows, schema=["topic", "tp", "fp", "fn", "precision", "recall", "f1"],
                         orient="row")
    return table, mentions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taxonomy", type=Path, default=REPO / "seeds" / "taxonomy.toml")
    ap.add_argument("--errors", metavar="TOPIC", help="print false positives and negatives")
    args = ap.parse_args()
    try:
        eval_set = load_eval_set(CORPORA)
    except CorporaMissingError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    table, mentions = evaluate(eval_set, args.taxonomy)
    print(f"{eval_set.height} labelled articles; target precision >= {TARGET_P}, "
          f"recall >= {TARGET_R}\n")
    print(f"{'topic':22} {'pos':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} "
          f"{'f1':>6}")
    for r in table.iter_rows(named=True):
        flag = "" if r["precision"] >= TARGET_P and r["recall"] >= TARGET_R else "  <- below target"
        print(f"{r['topic']:22} {r['tp'] + r['fn']:>4} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} "
              f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f}{flag}")
    tot = table.select(pl.col("tp", "fp", "fn").sum()).row(0)
    micro_p, micro_r = tot[0] / (tot[0] + tot[1]), tot[0] / (tot[0] + tot[2])
    print(f"\nmicro-average precision {micro_p:.3f}, recall {micro_r:.3f}; "
          f"macro-average precision {table['precision'].mean():.3f}, "
          f"recall {table['recall'].mean():.3f}")
    if args.errors:
        hits = mentions.filter(pl.col("topic_id") == args.errors)
        found = dict(zip(hits["article_id"], hits["evidence"], strict=True))
        for i, row in enumerate(eval_set.iter_rows(named=True)):
            truth, pred = bool(row[args.errors]), str(i) in found
            if truth != pred:
                kind = "FALSE POSITIVE" if pred else "FALSE NEGATIVE"
                print(f"\n{kind} [{row['corpus']} {row['key']}] {row['title']!r}")
                print("  evidence:", found.get(str(i)) if pred else row["text"][:300])
    return 0


if __name__ == "__main__":
    sys.exit(main())
