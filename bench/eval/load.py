"""Load the hand-labelled topic evaluation set (``labels.csv``) with its texts.

``labels.csv`` holds only ids and labels; the texts are read from the shared corpora
(``/work/shared/corpora`` by default) by key, so no third-party text lives in the repo.

    from pathlib import Path
    from bench.eval.load import load_eval_set
    df = load_eval_set(Path("/work/shared/corpora"))

Key per corpus (see README.md):

* kremlin-zelenskyy-press-releases-2021-2022, rss-world-news-2022-2023: the ``link`` column
* dod-dvids-defense-releases: the file name inside ``corpus/``
* cnn-ukraine-liveblog-headlines, gnews-us-top-headlines-2025-2026: 0-based data-row
  index of the CSV (header excluded), as produced by ``polars.read_csv(...).with_row_index``
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

LABELS_CSV = Path(__file__).with_name("labels.csv")
# Every dev set, by name: the cues are refined on these, never on the test set.
DEV_SETS = {"dev": LABELS_CSV, "dev2": LABELS_CSV.with_name("dev2_labels.csv"),
            "dev3": LABELS_CSV.with_name("dev3_labels.csv")}

TOPICS: tuple[str, ...] = (
    "air_missile_defense",
    "long_range_strike",
    "logistics",
    "ground_forces",
    "defense_spending",
    "defense_industry",
    "ukraine_military_aid",
    "peace_negotiations",
    "nuclear_deterrence",
    "terrorism",
    "drones",
    "sanctions",
    "nato_enlargement",
)

KZ = "kremlin-zelenskyy-press-releases-2021-2022"
RSS = "rss-world-news-2022-2023"
DOD = "dod-dvids-defense-releases"
CNN = "cnn-ukraine-liveblog-headlines"
GNEWS = "gnews-us-top-headlines-2025-2026"

_OUT_SCHEMA = {
    "corpus": pl.Utf8,
    "key": pl.Utf8,
    "text": pl.Utf8,
    "title": pl.Utf8,
    "published_at": pl.Datetime("us", "UTC"),
}


class CorporaMissingError(FileNotFoundError):
    """The shared corpora needed to resolve the evaluation keys are not available."""


def _utc(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", strict=False, time_unit="us")
        .dt.replace_time_zone("UTC")
    )


def _join_text(*cols: str) -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in cols], separator="\n", ignore_nulls=True)


def _kremlin(root: Path) -> pl.DataFrame:
    # `date` is the sites' local clock written with a Z (see SOURCE.md); kept as given.
    df = pl.read_csv(
        root / KZ / "kremlin_putin_press_releases.csv", null_values=["NA"], infer_schema_length=0
    )
    return df.select(
        pl.lit(KZ).alias("corpus"),
        pl.lit("kremlin_putin_press_releases.csv").alias("file"),
        pl.col("link").alias("key"),
        _join_text("headline", "summary", "body").alias("text"),
        pl.col("headline").alias("title"),
        _utc("date").alias("published_at"),
    )


def _zelenskyy(root: Path) -> pl.DataFrame:
    df = pl.read_csv(
        root / KZ / "president_gov_ua_zelenskyy_press_releases.csv", infer_schema_length=0
    )
    return df.select(
        pl.lit(KZ).alias("corpus"),
        pl.lit("president_gov_ua_zelenskyy_press_releases.csv").alias("file"),
        pl.col("link").alias("key"),
        _join_text("headline", "body").alias("text"),
        pl.col("headline").fill_null("").alias("title"),
        _utc("date").alias("published_at"),
    )


def _dod(root: Path, keys: list[str]) -> pl.DataFrame:
    base = root / DOD / "corpus"
    dates: dict[str, str] = {}
    for manifest in ("manifest.csv", "manifest_manual.csv"):
        m = pl.read_csv(base / manifest, infer_schema_length=0)
        dates.update(dict(zip(m["id"].to_list(), m["published_date"].to_list(), strict=True)))
    rows = []
    for key in keys:
        path = base / key
        if not path.is_file():
            raise KeyError(f"{DOD}: file {key!r} not found in {base}")
        text = path.read_text(encoding="utf-8")
        rows.append(
            {
                "corpus": DOD,
                "file": "corpus/" + key,
                "key": key,
                "text": text,
                "title": text.split("\n", 1)[0].strip(),
                "date": dates.get(key.removesuffix(".txt")),
            }
        )
    return pl.DataFrame(rows, schema_overrides={"date": pl.Utf8}).select(
        "corpus",
        "file",
        "key",
        "text",
        "title",
        pl.col("date")
        .str.to_datetime("%Y-%m-%d", strict=False, time_unit="us")
        .dt.replace_time_zone("UTC")
        .alias("published_at"),
    )


def _rss(root: Path) -> pl.DataFrame:
    df = pl.read_csv(root / RSS / "world_news_rss_2022_2023.csv.gz", infer_schema_length=0)
    return df.select(
        pl.lit(RSS).alias("corpus"),
        pl.lit("world_news_rss_2022_2023.csv.gz").alias("file"),
        pl.col("link").alias("key"),
        _join_text("title", "description").alias("text"),
        pl.col("title").fill_null(""),
        _utc("published_utc").alias("published_at"),
    )


def _indexed(root: Path, corpus: str, file: str, text_col: str) -> pl.DataFrame:
    df = pl.read_csv(root / corpus / file, infer_schema_length=0).with_row_index("idx")
    return df.select(
        pl.lit(corpus).alias("corpus"),
        pl.lit(file).alias("file"),
        pl.col("idx").cast(pl.Utf8).alias("key"),
        pl.col(text_col).alias("text"),
        pl.col(text_col).alias("title"),
        _utc("first_seen_utc").alias("published_at"),
    )


def load_eval_set(corpora_dir: Path, labels_csv: Path = LABELS_CSV) -> pl.DataFrame:
    """Return the labelled evaluation set with texts resolved from ``corpora_dir``.

    Columns: corpus, key, text, title, published_at (UTC datetime, null when the source
    has none) and one Boolean column per core topic id, in ``labels.csv`` row order.
    Raises :class:`CorporaMissingError` if a needed corpus folder is absent and
    ``KeyError`` if any labelled key cannot be found.
    """
    corpora_dir = Path(corpora_dir)
    labels = pl.read_csv(labels_csv, infer_schema_length=0).with_row_index("_row")
    needed = set(labels["corpus"].unique().to_list())
    missing = sorted(c for c in needed if not (corpora_dir / c).is_dir())
    if missing:
        raise CorporaMissingError(
            f"evaluation corpora not found under {corpora_dir}: {', '.join(missing)} "
            "(the eval set stores only keys; point corpora_dir at the shared corpora)"
        )

    parts: list[pl.DataFrame] = []
    files = set(zip(labels["corpus"].to_list(), labels["file"].to_list(), strict=True))
    # DoD rows have one file each; read them together once
    files = {(c, "corpus/*.txt" if c == DOD else f) for c, f in files}
    for corpus, file in sorted(files):
        if corpus == KZ and file == "kremlin_putin_press_releases.csv":
            parts.append(_kremlin(corpora_dir))
        elif corpus == KZ and file == "president_gov_ua_zelenskyy_press_releases.csv":
            parts.append(_zelenskyy(corpora_dir))
        elif corpus == RSS:
            parts.append(_rss(corpora_dir))
        elif corpus == DOD:
            keys = labels.filter(pl.col("corpus") == DOD)["key"].to_list()
            parts.append(_dod(corpora_dir, keys))
        elif corpus == CNN:
            parts.append(_indexed(corpora_dir, CNN, file, "headline"))
        elif corpus == GNEWS:
            parts.append(_indexed(corpora_dir, GNEWS, file, "title"))
        else:
            raise ValueError(f"unsupported corpus/file in labels.csv: {corpus}/{file}")
    texts = pl.concat([p.cast({"published_at": _OUT_SCHEMA["published_at"]}) for p in parts])

    joined = labels.join(texts, on=["corpus", "file", "key"], how="left")
    unresolved = joined.filter(pl.col("text").is_null())
    if unresolved.height:
        sample = unresolved.select("corpus", "key").head(5).rows()
        raise KeyError(f"{unresolved.height} labelled rows not found in corpora, e.g. {sample}")
    return joined.sort("_row").select(
        *[pl.col(c).cast(t) for c, t in _OUT_SCHEMA.items()],
        *[(pl.col(t).cast(pl.Int8) == 1).alias(t) for t in TOPICS],
    )


if __name__ == "__main__":  # quick check: python bench/eval/load.py [/path/to/corpora]
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/corpora")
    df = load_eval_set(root)
    print(df.height, "rows")
    print(df.group_by("corpus").len().sort("corpus"))
    print(df.select(list(TOPICS)).sum())
