"""Clean parsed rows into ``articles``: normalised text, stable ids, exact duplicates found.

``article_id`` is a hash of the normalised URL when there is one, else of the normalised
text; ``content_hash`` is a hash of the normalised text, so the same story under two
URLs is still one article.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl

from analytics import schema

_TRACKING = re.compile(r"^(utm_|at_|fbclid$|gclid$|mc_|ocid$|cmpid$|ref$|src$)", re.IGNORECASE)
_ID_LEN = 16


def normalize_url(url: str | None) -> str | None:
    """Lowercase scheme and host, drop fragments, tracking parameters and trailing slashes."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKING.match(k)))
    host = parts.netloc.lower().removeprefix("www.")
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, host, parts.path.rstrip("/") or "/", query, ""))


def _digest(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:_ID_LEN]


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Expression: markup and control characters out, Unicode NFC, blank runs folded."""
    return (
        expr.str.normalize("NFC")
        .str.replace_all(r"(?is)<script\b.*?</script\s*>", " ")
        .str.replace_all(r"(?is)<style\b.*?</style\s*>", " ")
        .str.replace_all(r"(?is)<iframe\b.*?</iframe\s*>", " ")
        .str.replace_all(r"(?s)<[a-zA-Z/!][^>]*>", " ")
        .str.replace_all(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e]", "")
        .str.replace_all(r"[ \t\u00a0]+", " ")
        .str.replace_all(r" ?\r?\n ?", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )


def text_key(expr: pl.Expr) -> pl.Expr:
    """Expression: text reduced to lowercase words, for content hashing."""
    return expr.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def to_articles(parsed: pl.DataFrame, *, run_date: date | None = None) -> pl.DataFrame:
    """``PARSED`` rows (+ ``date_imputed``) to ``ARTICLES`` rows with ids; no rows dropped.

    ``ingested_on`` is ``run_date`` (the rows are about to be stored by that run)."""
    if "date_imputed" not in parsed.columns:
        parsed = parsed.with_columns(date_imputed=pl.lit(False))
    df = parsed.with_columns(
        text=clean_text(pl.col("text")),
        title=clean_text(pl.col("title")).str.replace_all(r"\s+", " "),
        _url=pl.col("url").map_elements(normalize_url, return_dtype=pl.String),
    )
    df = df.with_columns(
        content_hash=text_key(pl.col("text")).map_elements(_digest, return_dtype=pl.String),
    ).with_columns(
        article_id=pl.when(pl.col("_url").is_not_null())
        .then(pl.col("_url").map_elements(lambda u: _digest("url:" + u), return_dtype=pl.String))
        .otherwise(pl.col("content_hash")),
        url=pl.coalesce(pl.col("url"), pl.lit(None, pl.String)),
        duplicate_of=pl.lit(None, pl.String),
        language=pl.col("language").fill_null("en"),
        ingested_on=pl.lit(run_date, dtype=pl.Date),
    )
    return schema.conform(df, "articles")


def split_exact_duplicates(
    new: pl.DataFrame, known: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``articles`` rows into (first occurrences, exact duplicates).

    A row is a duplicate when an earlier row of ``new`` or a ``known`` row (columns
    ``article_id``, ``content_hash``: the store) has its ``article_id`` or its
    ``content_hash``. Order inside ``new``: earliest ``published_at``, then location.
    Duplicates come back with ``duplicate_of`` set to the article they repeat.
    """
    known = known if known is not None else pl.DataFrame(
        schema={"article_id": pl.String, "content_hash": pl.String}
    )
    df = new.sort("published_at", "location", "article_id", nulls_last=True).with_row_index("_i")
    first_by_id = df.group_by("article_id").agg(pl.col("_i").min().alias("_first_id"))
    first_by_hash = df.group_by("content_hash").agg(
        pl.col("_i").min().alias("_first_hash"),
        pl.col("article_id").sort_by("_i").first().alias("_hash_owner"),
    )
    known_ids = known.select("article_id", _known_id=pl.lit(True)).unique("article_id")
    known_hash = known.group_by("content_hash").agg(
        pl.col("article_id").min().alias("_known_owner")
    )
    df = (
        df.join(first_by_id, on="article_id", how="left")
        .join(first_by_hash, on="content_hash", how="left")
        .join(known_ids, on="article_id", how="left")
        .join(known_hash, on="content_hash", how="left")
        .with_columns(
            _dup_of=pl.when(pl.col("_known_id").is_not_null())
            .then(pl.col("article_id"))
            .when(pl.col("_known_owner").is_not_null())
            .then(pl.col("_known_owner"))
            .when(pl.col("_i") > pl.col("_first_id"))
            .then(pl.col("article_id"))
            .when(pl.col("_i") > pl.col("_first_hash"))
            .then(pl.col("_hash_owner"))
        )
    )
    dups = df.filter(pl.col("_dup_of").is_not_null()).with_columns(duplicate_of=pl.col("_dup_of"))
    firsts = df.filter(pl.col("_dup_of").is_null())
    cols = list(schema.ARTICLES)
    return firsts.sort("_i").select(cols), dups.sort("_i").select(cols)
