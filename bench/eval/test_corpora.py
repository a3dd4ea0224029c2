"""Texts of the four corpora the frozen test set is drawn from (none is used by the dev set).

Each reader returns ``corpus, file, key, title, text, published_at`` for every eligible
row; the sampler (``test_sample.py``) and the loader (``load.load_test_set``) share them,
so a key always resolves to the text that was labelled.

| corpus | outlet(s) | years | key |
|---|---|---|---|
| ``bbc-news-2225`` | BBC News website | 2004-05 | ``<class>/NNN.txt`` |
| ``ag-news-test`` | >2,000 outlets via ComeToMyHead | 2004-05 | 0-based row of ``test.csv`` |
| ``html-article-fixtures`` | 126 sites (WSJ, Reuters, RT, ...) | ~2019 | page id |
| ``ukraine-war-news-multilingual-uk-ru-pl`` | resist.in.ua English addresses | 2022 | row ``id`` |
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

BBC = "bbc-news-2225"
AG = "ag-news-test"
PAGES = "html-article-fixtures"
RESIST = "ukraine-war-news-multilingual-uk-ru-pl"
TEST_CORPORA: tuple[str, ...] = (BBC, AG, PAGES, RESIST)

MAX_TEXT_CHARS = 6000  # as for the dev set: long transcripts are not eligible
_SCHEMA = {"corpus": pl.String, "file": pl.String, "key": pl.String, "title": pl.String,
           "text": pl.String, "published_at": pl.Datetime("us", "UTC")}
_ENTITY = re.compile(r"\s?#(\d+);")
_ENGLISH = re.compile(r"\b(?:the|and|of|to|in|is|that)\b")


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_SCHEMA)


def bbc(root: Path) -> pl.DataFrame:
    """BBC News files; the one Latin-1 file is read as Latin-1; exact duplicates dropped."""
    rows, seen = [], set()
    for path in sorted((root / BBC).glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if text in seen or len(text) > MAX_TEXT_CHARS:
            continue
        seen.add(text)
        key = f"{path.parent.name}/{path.name}"
        rows.append({"corpus": BBC, "file": key, "key": key,
                     "title": text.split("\n", 1)[0].strip(), "text": text.strip(),
                     "published_at": None})
    return _frame(rows)


def _ag_clean(s: str) -> str:
    s = _ENTITY.sub(lambda m: chr(int(m.group(1))), s.replace("\\n", " "))
    return s.replace("quot;", '"').replace("amp;", "&").replace("lt;", "<").replace("gt;", ">")


def ag_news(root: Path) -> pl.DataFrame:
    """AG News test rows of every class, entities repaired (see its SOURCE.md)."""
    df = pl.read_csv(root / AG / "test.csv", has_header=False,
                     new_columns=["label", "title", "description"], infer_schema_length=0)
    rows = []
    for i, (title, desc) in enumerate(zip(df["title"], df["description"], strict=True)):
        t, d = _ag_clean(title or ""), _ag_clean(desc or "")
        rows.append({"corpus": AG, "file": "test.csv", "key": str(i), "title": t,
                     "text": f"{t}\n{d}", "published_at": None})
    return _frame(rows)


def article_pages(root: Path) -> pl.DataFrame:
    """Ground-truth article bodies of the extraction benchmark, English ones only."""
    truth = json.loads((root / PAGES / "article-extraction-benchmark" / "ground-truth.json")
                       .read_text(encoding="utf-8"))
    rows = []
    for key in sorted(truth):
        body = (truth[key].get("articleBody") or "").strip()
        words = max(1, len(body.split()))
        if len(body) > MAX_TEXT_CHARS or len(_ENGLISH.findall(body.lower())) / words < 0.08:
            continue
        rows.append({"corpus": PAGES, "file": "article-extraction-benchmark/ground-truth.json",
                     "key": key, "title": truth[key].get("url", ""), "text": body,
                     "published_at": None})
    return _frame(rows)


def resist_addresses(root: Path) -> pl.DataFrame:
    """English official addresses (resist.in.ua) of at least 300 characters."""
    df = pl.read_csv(root / RESIST / "ukraine_war_news_multilingual.csv", infer_schema_length=0)
    df = df.filter((pl.col("collection") == "ua_official_addresses_uk_en_parallel")
                   & (pl.col("language") == "en"))
    rows = []
    for rid, title, text, date in df.select("id", "title", "text", "date").iter_rows():
        body = f"{title or ''}\n{text or ''}".strip()
        if len(text or "") < 300 or len(body) > MAX_TEXT_CHARS:
            continue
        rows.append({"corpus": RESIST, "file": "ukraine_war_news_multilingual.csv", "key": rid,
                     "title": title or "", "text": body, "published_at": None,
                     "_date": date})
    out = pl.DataFrame(rows, schema={**_SCHEMA, "_date": pl.String})
    return out.with_columns(
        published_at=pl.col("_date").str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False,
                                                      time_unit="us")
        .dt.replace_time_zone("UTC")).drop("_date")


READERS = {BBC: bbc, AG: ag_news, PAGES: article_pages, RESIST: resist_addresses}


def read_pool(root: Path, corpus: str) -> pl.DataFrame:
    """Every eligible row of one test corpus."""
    return READERS[corpus](root)


def load_test_set(corpora_dir: Path, labels_csv: Path) -> pl.DataFrame:
    """The frozen test set: ``labels_csv`` (corpus, file, key, topic columns 1/0) joined
    to its texts; same columns as ``load.load_eval_set``. Raises ``FileNotFoundError``
    when a corpus is absent and ``KeyError`` when a key no longer resolves."""
    from bench.eval.load import TOPICS, CorporaMissingError

    labels = pl.read_csv(labels_csv, infer_schema_length=0).with_row_index("_row")
    needed = sorted(set(labels["corpus"].to_list()))
    missing = [c for c in needed if not (Path(corpora_dir) / c).is_dir()]
    if missing:
        raise CorporaMissingError(f"test corpora not found under {corpora_dir}: "
                                  f"{', '.join(missing)}")
    texts = pl.concat([read_pool(Path(corpora_dir), c) for c in needed])
    joined = labels.join(texts.drop("file"), on=["corpus", "key"], how="left")
    unresolved = joined.filter(pl.col("text").is_null())
    if unresolved.height:
        raise KeyError(f"{unresolved.height} test rows not found in the corpora, e.g. "
                       f"{unresolved.select('corpus', 'key').head(3).rows()}")
    return joined.sort("_row").select(
        "corpus", "key", "text", "title", "published_at",
        *[(pl.col(t).cast(pl.Int8) == 1).alias(t) for t in TOPICS])
