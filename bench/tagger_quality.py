"""Per-topic precision and recall of the tagger on the dev set and the frozen test set.

    .venv/bin/python -m bench.tagger_quality [--taxonomy seeds/taxonomy.toml]
        [--split dev|dev2|dev3|test|both|all] [--errors TOPIC]

The dev sets are the ones the phrases are refined on: bench/eval/labels.csv (drawn by topic
cues) and bench/eval/dev2_labels.csv (new rows of the same corpora, drawn by the test
set's topic-neutral rule for error analysis). The test set (bench/eval/test_labels.csv,
drawn from corpora, outlets and years the dev sets do not use) is never tuned on: quote
its figures. ``--errors`` lists the dev sets' misses only, so that reading errors cannot
leak test items into the phrases. ``both``: dev and test; ``all``: dev, dev2 and test.
Texts are read from ../shared/corpora by key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import tag_topics
from bench.eval.load import DEV_SETS, TOPICS, CorporaMissingError, load_eval_set
from bench.eval.test_corpora import load_test_set

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
TARGET_P, TARGET_R = 0.90, 0.85
TEST_LABELS = REPO / "bench" / "eval" / "test_labels.csv"
SPLITS = {"dev": ("dev",), "dev2": ("dev2",), "dev3": ("dev3",), "test": ("test",),
          "both": ("dev", "test"), "all": ("dev", "dev2", "dev3", "test")}


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


def _print_table(name: str, eval_set: pl.DataFrame, table: pl.DataFrame) -> None:
    print(f"{name}: {eval_set.height} labelled articles; target precision >= {TARGET_P}, "
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
          f"recall {table['recall'].mean():.3f}\n")


def _gap(dev: pl.DataFrame, test: pl.DataFrame) -> None:
    both = dev.join(test, on="topic", suffix="_test")
    print("dev - test gap (points; positive: the dev set flatters the tagger)")
    print(f"{'topic':22} {'prec dev':>8} {'test':>6} {'recall dev':>10} {'test':>6}")
    for r in both.iter_rows(named=True):
        print(f"{r['topic']:22} {r['precision']:>8.3f} {r['precision_test']:>6.3f} "
              f"{r['recall']:>10.3f} {r['recall_test']:>6.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taxonomy", type=Path, default=REPO / "seeds" / "taxonomy.toml")
    ap.add_argument("--split", choices=tuple(SPLITS), default="both")
    ap.add_argument("--errors", metavar="TOPIC", help="print the dev sets' false positives "
                    "and negatives")
    args = ap.parse_args()
    try:
        sets = {name: load_test_set(CORPORA, TEST_LABELS) if name == "test"
                else load_eval_set(CORPORA, DEV_SETS[name]) for name in SPLITS[args.split]}
    except CorporaMissingError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    tables = {}
    for name, eval_set in sets.items():
        tables[name], mentions = evaluate(eval_set, args.taxonomy)
        _print_table(name, eval_set, tables[name])
        if name != "test" and args.errors:
            _print_errors(eval_set, mentions, args.errors)
    if "dev" in tables and "test" in tables:
        _gap(tables["dev"], tables["test"])
    return 0


def _print_errors(eval_set: pl.DataFrame, mentions: pl.DataFrame, topic: str) -> None:
    hits = mentions.filter(pl.col("topic_id") == topic)
    found = dict(zip(hits["article_id"], hits["evidence"], strict=True))
    for i, row in enumerate(eval_set.iter_rows(named=True)):
        truth, pred = bool(row[topic]), str(i) in found
        if truth != pred:
            kind = "FALSE POSITIVE" if pred else "FALSE NEGATIVE"
            print(f"\n{kind} [{row['corpus']} {row['key']}] {row['title']!r}")
            print("  evidence:", found.get(str(i)) if pred else row["text"][:300])


if __name__ == "__main__":
    sys.exit(main())
