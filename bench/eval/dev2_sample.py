"""Draw the second and third dev sets' rows: new items of the dev corpora for error analysis.

    .venv/bin/python -m bench.eval.dev2_sample ../shared/corpora OUT.parquet [KEYS.csv] [--set dev3]

The first dev set (``labels.csv``) was drawn by topic cues and has been read many times
while phrases were written, so its misses are exhausted. This set is drawn from the same
corpora (never from the test set's) by the test set's topic-neutral rule
(``test_sample.SECURITY_WORDS``, seed ``SEED``), leaving out rows ``labels.csv`` holds:
per corpus, shuffle the eligible rows (text of at most 6,000 characters), take the first
``n_security`` rows with a security word and the next ``n_random`` rows whatever they
say. Writes ``dev2_keys.csv`` beside this file and the texts to OUT.parquet (outside the
repository) for reading.

``--set dev3`` (seed ``SEED3``) draws the same way from rows neither earlier dev set
holds, weighted towards the war-time addresses of Ukraine's president (the genre the
test set's resist.in.ua addresses share) and published from 24 February 2022 on for
the press releases: where the test set showed that whole topics were missed (military
aid, peace talks), without reading a test item.
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
from bench.eval.test_sample import save_draw, security_then_random

SEED = 20261203
SEED3 = 20261204
KEYS_CSV = Path(__file__).with_name("dev2_keys.csv")
KEYS3_CSV = Path(__file__).with_name("dev3_keys.csv")
WAR_START = "2022-02-24"
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
QUOTAS3: dict[tuple[str, str], tuple[int, int]] = {
    (KZ, "president_gov_ua_zelenskyy_press_releases.csv"): (100, 0),
    (KZ, "kremlin_putin_press_releases.csv"): (30, 0),
    (RSS, "world_news_rss_2022_2023.csv.gz"): (70, 0),
    (GNEWS, "gnews_us_top_headlines_2025_2026.csv"): (20, 0),
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


def draw(pool: pl.DataFrame, taken: pl.DataFrame, quota: tuple[int, int],
         seed: int) -> pl.DataFrame:
    """Eligible rows of ``pool`` (text of 1 to MAX_CHARS characters, one per key, none of
    ``taken``), drawn by the test set's rule."""
    eligible = (pool.filter(pl.col("text").str.len_chars().is_between(1, MAX_CHARS))
                .unique("key", keep="first", maintain_order=True)
                .join(taken, on="key", how="anti"))
    return security_then_random(eligible, *quota, seed)


def main(argv: list[str]) -> int:
    third = "--set" in argv and argv[argv.index("--set") + 1] == "dev3"
    args = [a for i, a in enumerate(argv) if a != "--set" and (i == 0 or argv[i - 1] != "--set")]
    root, out = Path(args[0]), Path(args[1])
    keys_csv = Path(args[2]) if len(args) > 2 else (KEYS3_CSV if third else KEYS_CSV)
    earlier = [pl.read_csv(LABELS_CSV, infer_schema_length=0).select("corpus", "key")]
    if third:
        earlier.append(pl.read_csv(KEYS_CSV, infer_schema_length=0).select("corpus", "key"))
    taken_all = pl.concat(earlier)
    quotas, seed = (QUOTAS3, SEED3) if third else (QUOTAS, SEED)
    parts = []
    for (corpus, file), quota in quotas.items():
        taken = taken_all.filter(pl.col("corpus") == corpus).select("key")
        pool = read_pool(root, corpus, file).with_columns(
            pl.col("published_at").cast(pl.Datetime("us", "UTC")))
        if third and corpus == KZ:
            pool = pool.filter(pl.col("published_at") >= pl.lit(WAR_START).str.to_datetime(
                time_zone="UTC"))
        parts.append(draw(pool, taken, quota, seed))
    save_draw(pl.concat(parts), keys_csv, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
