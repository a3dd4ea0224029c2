"""Clean parsed rows into ``articles``: normalised text, stable ids, exact duplicates found.

``article_id`` is a hash of the normalised URL when there is one, else of the normalised
text; ``content_hash`` is a hash of the normalised text, so the same story under two
URLs is still one article.
"""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl

from analytics.contracts import schema

_TRACKING = r"(?:utm_\w*|at_\w*|fbclid|gclid|mc_\w*|ocid|cmpid|ref|src)"
_ID_LEN = 16


def normalize_url(expr: pl.Expr) -> pl.Expr:
    """Expression: URLs with scheme and host lowercased (http as https, no ``www.``),
    without fragment, tracking parameters (utm_*, at_*, fbclid, ...) or trailing slash;
    blank becomes null. A value that is not an absolute http(s) URL is only trimmed."""
    url = expr.str.strip_chars()
    parts = url.str.extract_groups(r"^(?i)(https?)://(?:www\.)?([^/?#]+)([^?#]*)(\?[^#]*)?")
    query = (
        parts.struct.field("4").fill_null("")
        .str.replace_all(rf"(?i)([?&]){_TRACKING}(?:=[^&]*)?", "${1}")
        .str.replace_all(r"&{2,}", "&")
        .str.replace(r"^\?&", "?")
        .str.replace(r"[?&]$", "")
    )
    path = parts.struct.field("3").str.replace(r"/+$", "")
    normal = pl.concat_str(
        pl.lit("https://"), parts.struct.field("2").str.to_lowercase(),
        pl.when(path == "").then(pl.lit("/")).otherwise(path), query,
    )
    return (
        pl.when(url.fill_null("") == "").then(pl.lit(None, pl.String))
        .when(parts.struct.field("2").is_null()).then(url)
        .otherwise(normal)
    )


def _digests(values: pl.Series, prefix: str = "") -> pl.Series:
    """Short SHA-1 digests (stable across library versions, unlike polars' own hash)."""
    return pl.Series(
        [None if v is None else hashlib.sha1((prefix + v).encode("utf-8")).hexdigest()[:_ID_LEN]
         for v in values.to_list()],
        dtype=pl.String,
    )


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
        _url=normalize_url(pl.col("url")),
    )
    df = df.with_columns(
        content_hash=_digests(df.select(text_key(pl.col("text"))).to_series()),
        _url_id=_digests(df["_url"], "url:"),
    ).with_columns(
        article_id=pl.coalesce("_url_id", "content_hash"),
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
