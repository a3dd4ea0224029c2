"""Score ``html_pages.extract_page`` on the article-extraction benchmark (181 pages).

Metric as in scrapinghub/article-extraction-benchmark: per page, TP/FP/FN over 4-token
shingles (``\\w+`` tokens), normalised so every page weighs the same; precision and recall
are averaged over pages and F1 is taken from the averages. Bag-of-tokens (n=1) is printed
too. Usage: ``python bench/extraction_score.py [--favor precision|balanced|recall]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.sources.parse.html_pages import extract_page  # noqa: E402

BENCHMARK = ROOT.parent / "shared" / "corpora" / "html-article-fixtures" / (
    "article-extraction-benchmark"
)
_TOKEN = re.compile(r"\w+")


def _shingles(text: str, n: int) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def page_counts(true: str, pred: str, n: int) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page over n-token shingles."""
    t, p = _shingles(true, n), _shingles(pred, n)
    t.pop((), None)
    p.pop((), None)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean precision and recall over pages, and F1 of those means."""

    def ratio(a: float, b: float, other: float) -> float:
        if b == other == 0:
            return 1.0
        return a / (a + b) if a + b else 0.0

    precision = statistics.mean(ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0)
    recall = statistics.mean(ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favor", default="precision", choices=["precision", "balanced", "recall"])
    parser.add_argument("--benchmark", type=Path, default=BENCHMARK)
    args = parser.parse_args()
    truth = json.loads((args.benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    preds, empty = {}, 0
    for key, item in sorted(truth.items()):
        html = gzip.decompress((args.benchmark / "html" / f"{key}.html.gz").read_bytes())
        result = extract_page(html, source="bench", location=key, url=item["url"],
                              favor=args.favor)
        rows = result.articles
        preds[key] = rows["text"][0] if rows.height else ""
        empty += not rows.height
    elapsed = time.perf_counter() - start
    print(f"pages={len(truth)} empty={empty} favor={args.favor} seconds={elapsed:.1f}")
    for n, name in ((4, "shingle-4 (benchmark)"), (1, "token bag")):
        counts = [page_counts(truth[k]["articleBody"], preds[k], n) for k in sorted(truth)]
        s = scores(counts)
        print(f"{name:<22} precision={s['precision']:.3f} recall={s['recall']:.3f} "
              f"F1={s['f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
