"""Draw the second dev set's rows: new items from the dev corpora for error analysis.

    .venv/bin/python -m bench.eval.dev2_sample ../shared/corpora OUT.parquet [KEYS.csv]

The first dev set (``labels.csv``) was drawn by topic cues and has been read many times
while phrases were written, so its misses are exhausted. This set is drawn from the same
corpora (never from the test set's) by the test set's topic-neutral rule
(``test_sample.SECURITY_WORDS``, seed ``SEED``), leaving out rows ``labels.csv`` holds:
per corpus, shuffle the eligible rows (text of at most 6,000 characters), take the first
``n_security`` rows with a security word and the next ``n_random`` rows whatever they
say. Writes ``dev2_keys.csv`` beside this file and the texts to OUT.parquet (outside the
repository) for reading.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from bench.eval.load import (
    CNN,
    DOD,
    GNEWS,
    KZ,
    LABELS_CSV,
    RSS,
    _dod,
    _indexed,
    _kremlin,
    _rss,
    _zelenskyy,
)
from bench.eval.test_sample import SECURITY_WORDS

SEED = 20261203
KEYS_CSV = Path(__file__).with_name("dev2_keys.csv")
MAX_CHARS = 6000
# (corpus, file) -> (n_security, n_random)
QUOTAS: dict[tuple[str, str], tuple[int, int]] = {
    (RSS, "world_news_rss_2022_2023.csv.gz"): (80, 20),
    (KZ, "kremlin_putin_press_releases.csv"): (20, 5),
    (KZ, "president_gov_ua_zelenskyy_press_releases.csv"): (20, 5),
    (DOD, "corpus/*.txt"): (25, 5),
    (CNN, "cnn_ukraine_liveblog_headlines.csv"): (25, 5),
    (GNEWS, "gnews_us_top_headlines_2025_2026.csv"): (25, 5),
}


def read_pool(root: Path, corpus: str, file: str) -> pl.DataFrame:
    """Every row of one dev corpus file, in the dev loader's columns."""
    if corpus == RSS:
        return _rss(root)
    if file == "kremlin_putin_press_releases.csv":
        return _kremlin(root)
    if file == "president_gov_ua_zelenskyy_press_releases.csv":
        return _zelenskyy(root)
    if corpus == DOD:
        keys = sorted(p.name for p in (root / DOD / "corpus").glob("*.txt"))
        return _dod(root, keys)
    return _indexed(root, corpus, file, "headline" if corpus == CNN else "title")


def draw(pool: pl.DataFrame, corpus: str, file: str, taken: pl.DataFrame) -> pl.DataFrame:
    n_security, n_random = QUOTAS[(corpus, file)]
    eligible = (pool.filter(pl.col("text").str.len_chars().is_between(1, MAX_CHARS))
                .unique("key", keep="first", maintain_order=True)
                .join(taken, on="key", how="anti"))
    shuffled = eligible.sample(fraction=1.0, shuffle=True, seed=SEED)
    security = shuffled.filter(pl.col("text").str.contains(SECURITY_WORDS)).head(n_security)
    rest = shuffled.join(security.select("key"), on="key", how="anti").head(n_random)
    return pl.concat([security.with_columns(stratum=pl.lit("security")),
                      rest.with_columns(stratum=pl.lit("random"))])


def main(argv: list[str]) -> int:
    root, out = Path(argv[0]), Path(argv[1])
    keys_csv = Path(argv[2]) if len(argv) > 2 else KEYS_CSV
    dev1 = pl.read_csv(LABELS_CSV, infer_schema_length=0)
    parts = []
    for corpus, file in QUOTAS:
        taken = dev1.filter(pl.col("corpus") == corpus).select("key")
        pool = read_pool(root, corpus, file).with_columns(
            pl.col("published_at").cast(pl.Datetime("us", "UTC")))
        parts.append(draw(pool, corpus, file, taken))
    rows = pl.concat(parts)
    rows.select("corpus", "file", "key", "stratum").write_csv(keys_csv)
    rows.write_parquet(out)
    print(rows.group_by("corpus", "stratum").len().sort("corpus", "stratum"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
