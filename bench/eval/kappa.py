"""Agreement of the second labelling pass with the first on the test set (Cohen's kappa).

    .venv/bin/python -m bench.eval.kappa

Reads bench/eval/test_labels.csv (first pass, every item) and
bench/eval/test_labels_second.csv (an independent second annotator, 60 items drawn with
a fixed seed); prints per topic the positives of each pass, raw agreement and kappa.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from bench.eval.load import TOPICS

HERE = Path(__file__).parent


def cohen_kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa of two binary label lists; None when chance agreement is total."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def agreement(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """Per topic: n, positives in each pass, raw agreement and kappa on the shared items."""
    both = second.join(first, on=["corpus", "key"], suffix="_first")
    rows = []
    for t in TOPICS:
        a = both[f"{t}_first"].cast(pl.Int8).to_list()
        b = both[t].cast(pl.Int8).to_list()
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        rows.append((t, len(a), sum(a), sum(b), agree, cohen_kappa(a, b)))
    return pl.DataFrame(rows, schema=["topic", "n", "pos_first", "pos_second", "agreement",
                                      "kappa"], orient="row")


def main() -> int:
    first = pl.read_csv(HERE / "test_labels.csv", infer_schema_length=0)
    second = pl.read_csv(HERE / "test_labels_second.csv", infer_schema_length=0)
    table = agreement(first, second)
    print(f"{'topic':22} {'n':>3} {'pos 1st':>7} {'pos 2nd':>7} {'agree':>6} {'kappa':>6}")
    for r in table.iter_rows(named=True):
        kappa = "n/a" if r["kappa"] is None else f"{r['kappa']:.2f}"
        print(f"{r['topic']:22} {r['n']:>3} {r['pos_first']:>7} {r['pos_second']:>7} "
              f"{r['agreement']:>6.2f} {kappa:>6}")
    print(f"\nmean kappa over topics with positives: "
          f"{table['kappa'].drop_nulls().mean():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
