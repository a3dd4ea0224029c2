"""The latest stated spending level and target of each actor: the claims in one table.

One row per actor (NATO, a country) that some claim names: its latest *current* level (the
value, the year it is for when stated, the article and its date) and its latest *target or
pledge* (the value, the year it is for, which of the two, the date). "Latest" is by the
article's publication date. Historical levels and claims without an actor are left out.
Pure: frames in, a frame (or rows drawn into a page ``Flow``) out.
"""

from __future__ import annotations

import polars as pl

from analytics.contracts import schema
from analytics.report import facts
from analytics.report.formatting import fmt_date, fmt_number
from analytics.report.layout import Column, Flow

_GOALS = ("target", "pledge")
_KEY = ("actor", "value", "unit", "target_year")
TAIL_WORDS = 8  # a re-posted sentence keeps its end; its opening words often change


def distinct(claims: pl.DataFrame, articles: pl.DataFrame | None = None) -> pl.DataFrame:
    """``claims`` with each claim once, in their order (the first of a set stays): one row
    per actor, value, unit and year within an article (a sentence that states "from 2.1%
    to 2.5%" and a later one restating 2.5% are one claim); across articles, one row per
    claim whose sentence ends in the same ``TAIL_WORDS`` words (a wire story re-posted
    under another title); none from an article that ``articles`` marks a near duplicate
    (``duplicate_of``), as the topic counts do. The extracted table itself keeps every
    row (tables/claims.csv)."""
    if claims.is_empty():
        return claims
    out = claims
    if articles is not None and "duplicate_of" in articles.columns:
        out = out.join(articles.filter(pl.col("duplicate_of").is_not_null())
                       .select("article_id"), on="article_id", how="anti")
    key = [c for c in _KEY if c in out.columns]
    out = out.unique(["article_id", *key], keep="first", maintain_order=True)
    if "snippet" not in out.columns:
        return out
    tail = (pl.col("snippet").str.to_lowercase().str.extract_all(r"[\p{L}\p{N}]+")
            .list.tail(TAIL_WORDS).list.join(" "))
    kind = ["kind"] if "kind" in out.columns else []
    return (out.with_columns(_tail=pl.coalesce(tail.replace("", None), "article_id"))
            .unique([*key, *kind, "_tail"], keep="first", maintain_order=True)
            .drop("_tail"))


def _latest(claims: pl.DataFrame, kinds: tuple[str, ...], prefix: str,
            columns: dict[str, pl.Expr]) -> pl.DataFrame:
    """Per actor, the claim of ``kinds`` from the newest article (ties: the furthest year,
    then the highest value, then the first stated), as ``prefix``-named ``columns``."""
    return (
        claims.filter(pl.col("kind").is_in(kinds))
        .sort(["published_at", "target_year", "value", "_row"],
              descending=[True, True, True, False], nulls_last=True)
        .group_by("actor", maintain_order=True).first()
        .select("actor", **{f"{prefix}_{name}": expr for name, expr in columns.items()})
    )


def latest_levels(claims: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """``claim_levels`` rows: per actor, the latest current level and the latest target
    or pledge. Needs ``claims.article_id, value, target_year, actor, kind`` (without
    ``kind``, an older table, nothing can be told apart: no rows) and ``articles.article_id,
    title, published_at``. Actors sorted by name."""
    if "kind" not in claims.columns or claims.is_empty():
        return schema.empty("claim_levels")
    known = (claims.filter(pl.col("actor").is_not_null()).with_row_index("_row")
             .join(facts.articles_of(articles, claims, "title", "published_at"),
                   on="article_id", how="left"))
    current = _latest(known, ("current",), "current", {
        "value": pl.col("value"), "year": pl.col("target_year"),
        "published": pl.col("published_at"), "title": pl.col("title"),
        "article_id": pl.col("article_id")})
    goal = _latest(known, _GOALS, "target", {
        "value": pl.col("value"), "year": pl.col("target_year"), "kind": pl.col("kind"),
        "published": pl.col("published_at"), "article_id": pl.col("article_id")})
    table = current.join(goal, on="actor", how="full", coalesce=True).sort("actor")
    return schema.validate(schema.conform(table, "claim_levels"), "claim_levels")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{fmt_number(value)}%"


def levels_rows(table: pl.DataFrame) -> list[list[str]]:
    """The cells of the table as the PDF shows them."""
    return [[r["actor"], _pct(r["current_value"]), fmt_date(r["current_published"]),
             r["current_title"] or r["current_article_id"] or "",
             _pct(r["target_value"]), str(r["target_year"] or "–"), r["target_kind"] or "",
             fmt_date(r["target_published"])]
            for r in table.iter_rows(named=True)]


LEVEL_COLUMNS = [Column("Actor", 1.1, max_lines=2), Column("Level", 0.55, "right"),
                 Column("Stated", 0.8), Column("Article", 1.87, max_lines=2),
                 Column("Target", 0.6, "right"), Column("Year", 0.45, "right"),
                 Column("Kind", 0.6), Column("Target stated", 0.8)]


def add_levels(flow: Flow, claims: pl.DataFrame, articles: pl.DataFrame) -> None:
    """The per-actor table, under its heading and a line on how to read it, in ``flow``."""
    table = latest_levels(claims, articles)
    flow.heading("Latest stated level and target by actor")
    flow.paragraph(
        "For each country or group the claims name: the newest level it spends now (as "
        "stated, with the article) and the newest target or pledge (the year it is for, and "
        "whether it is a goal or a commitment), by the article's publication date. Levels "
        "of the past and claims naming no one are left out.")
    flow.table(LEVEL_COLUMNS, levels_rows(table),
               empty="no data: no claim names whose level or target it is")
    flow.space(0.1)

