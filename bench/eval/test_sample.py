"""Draw the frozen test set's rows (reproducible; run once, before any label or phrase).

    .venv/bin/python -m bench.eval.test_sample ../shared/corpora OUT.parquet

Writes ``test_keys.csv`` (corpus, file, key, stratum) beside this file and the rows with
their texts to OUT.parquet outside the repository, for reading. The rule (seed ``SEED``):

* per corpus, shuffle the eligible rows with the seed;
* ``security`` stratum: the first ``n_security`` rows whose text has any word of a broad,
  topic-neutral security vocabulary (``SECURITY_WORDS``; no topic's cues, so the sample
  does not favour what the tagger already finds);
* ``random`` stratum: the next ``n_random`` rows not yet taken, whatever they say.

The resist.in.ua addresses are all about the war, so they are drawn at random only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from bench.eval.test_corpora import AG, BBC, PAGES, RESIST, read_pool

SEED = 20261202
KEYS_CSV = Path(__file__).with_name("test_keys.csv")
# corpus -> (n_security, n_random)
QUOTAS: dict[str, tuple[int, int]] = {RESIST: (0, 90), AG: (80, 30), BBC: (45, 25),
                                      PAGES: (28, 12)}
SECURITY_WORDS = (
    r"(?i)\b(?:military|militar\w*|war|wars|troops?|army|armed|defen[cs]e|nuclear|missiles?|"
    r"weapons?|terror\w*|sanction\w*|nato|peace|ceasefire|ukrain\w*|russia\w*|attack\w*|"
    r"bomb\w*|soldiers?|forces|security|drones?|rebels?|insurgen\w*|navy|pentagon|iraq\w*|"
    r"afghan\w*|iran\w*|korea\w*|israel\w*|palestin\w*)\b"
)


def security_then_random(pool: pl.DataFrame, n_security: int, n_random: int,
                         seed: int) -> pl.DataFrame:
    """``pool`` shuffled with ``seed``: its first ``n_security`` rows holding a security
    word (stratum ``security``), then the next ``n_random`` rows (``random``)."""
    shuffled = pool.sample(fraction=1.0, shuffle=True, seed=seed)
    security = shuffled.filter(pl.col("text").str.contains(SECURITY_WORDS)).head(n_security)
    rest = shuffled.join(security.select("key"), on="key", how="anti").head(n_random)
    return pl.concat([security.with_columns(stratum=pl.lit("security")),
                      rest.with_columns(stratum=pl.lit("random"))])


def draw(pool: pl.DataFrame, corpus: str) -> pl.DataFrame:
    return security_then_random(pool, *QUOTAS[corpus], SEED)


def save_draw(rows: pl.DataFrame, keys_csv: Path, out: Path) -> None:
    """The drawn keys to ``keys_csv``, the rows with their texts to ``out``; a count per
    corpus and stratum to stdout."""
    rows.select("corpus", "file", "key", "stratum").write_csv(keys_csv)
    rows.write_parquet(out)
    print(rows.group_by("corpus", "stratum").len().sort("corpus", "stratum"))


def main(argv: list[str]) -> int:
    root, out = Path(argv[0]), Path(argv[1])
    save_draw(pl.concat([draw(read_pool(root, c), c) for c in QUOTAS]), KEYS_CSV, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
