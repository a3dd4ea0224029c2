"""The numbers and quotes the report states in words: frames in, small frames out.

What changed since the previous period, each topic's reach, new spending claims, and the
evidence (sentence, source, date, link) behind emerging and leading topics. Pure: the run
date is a parameter, nothing is read or written.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from analytics.contracts import schema

PERIOD_DAYS = {"day": 1, "week": 7}


def articles_of(articles: pl.DataFrame, ids: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``article_id`` and ``columns`` of the first ``articles`` row of each article in
    ``ids`` (an ``article_id`` column). Filtering to those ids before anything else keeps
    this cheap when ``articles`` holds a million rows and ``ids`` a few thousand."""
    wanted = ids.select("article_id").unique()
    return (articles.join(wanted, on="article_id", how="semi")
            .select("article_id", *columns).unique("article_id", keep="first"))


def change_period(topic_trends: pl.DataFrame) -> str | None:
    """The period "change vs previous period" compares: week when the trends have it."""
    available = set(topic_trends.get_column("period").unique().to_list())
    for period in ("week", "month", "day"):
        if period in available:
            return period
    return None


def share_changes(topic_trends: pl.DataFrame, *, period: str | None = None) -> pl.DataFrame:
    """Each topic's share of articles in the latest period against the one before.

    Needs ``topic_trends`` (``period_start, period, topic_id, articles, share``); returns
    ``topic_id, period_start, previous_start, articles, share, previous_share, delta``
    (``delta`` = share - previous_share, a fraction; ×100 for percentage points). Fewer
    than two periods: no rows. Sorted by delta, largest rise first.
    """
    period = period or change_period(topic_trends)
    t = topic_trends.filter(pl.col("period") == period) if period else topic_trends.clear()
    starts = t.get_column("period_start").unique().sort()
    if starts.len() < 2:
        return pl.DataFrame(schema=schema.SHARE_CHANGES)
    latest, previous = starts[-1], starts[-2]
    now = t.filter(pl.col("period_start") == latest).select(
        "topic_id", "period_start", "articles", "share")
    before = t.filter(pl.col("period_start") == previous).select(
        "topic_id", previous_start="period_start", previous_share="share")
    out = now.join(before, on="topic_id", how="full", coalesce=True).with_columns(
        pl.col("period_start").fill_null(latest),
        pl.col("previous_start").fill_null(previous),
        pl.col("articles").fill_null(0),
        pl.col("share", "previous_share").fill_null(0.0),
    ).with_columns(delta=pl.col("share") - pl.col("previous_share"))
    return out.select(list(schema.SHARE_CHANGES)).cast(pl.Schema(schema.SHARE_CHANGES)).sort(
        ["delta", "topic_id"], descending=[True, False])


def risers_and_fallers(changes: pl.DataFrame, n: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``n`` topics whose share rose most and the ``n`` that fell most (no zero moves)."""
    rising = changes.filter(pl.col("delta") > 0).sort(["delta", "topic_id"],
                                                      descending=[True, False]).head(n)
    falling = changes.filter(pl.col("delta") < 0).sort(["delta", "topic_id"]).head(n)
    return rising, falling


def topic_reach(topic_mentions: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """``topic_id, canonical, reach``: articles mentioning the topic, counting canonical
    articles only, and counting near duplicates too (the same story re-posted). Needs
    ``articles.article_id, duplicate_of``; mentions of articles not in ``articles`` are
    left out."""
    mentioned = topic_mentions.filter(pl.col("mentions") > 0).select(
        "article_id", "topic_id").unique()
    flagged = articles_of(articles, mentioned, "duplicate_of").select(
        "article_id", _canon=pl.col("duplicate_of").is_null())
    return (
        mentioned.join(flagged, on="article_id", how="inner")
        .group_by("topic_id")
        .agg(canonical=pl.col("_canon").sum().cast(pl.Int64), reach=pl.len().cast(pl.Int64))
        .sort("topic_id")
    )


def new_claims(claims: pl.DataFrame, articles: pl.DataFrame, run_date: date) -> pl.DataFrame:
    """Claims whose article was first stored on ``run_date`` (``articles.ingested_on``),
    with the article's ``title, source, url, published_at``; newest article first."""
    fresh = articles_of(articles, claims, "title", "source", "url", "published_at",
                        "ingested_on")
    fresh = fresh.filter(pl.col("ingested_on") == run_date).drop("ingested_on")
    return claims.join(fresh, on="article_id", how="inner").sort(
        ["published_at", "article_id", "value"], descending=[True, False, True], nulls_last=True,
        maintain_order=True)


def quotes(topic_mentions: pl.DataFrame, articles: pl.DataFrame, topic_ids: list[str], *,
           per_topic: int = 3, start: date | None = None, end: date | None = None,
           min_words: int = 6) -> pl.DataFrame:
    """Up to ``per_topic`` evidence sentences for each of ``topic_ids``, newest first.

    Canonical articles only, no sentence twice within a topic, sentences of fewer than
    ``min_words`` words only when there are not enough longer ones;
    ``start``/``end`` (end exclusive) keep articles published in that window. Needs
    ``articles.article_id, title, source, url, published_at, duplicate_of`` (``location``
    stands in for a missing url when present). Returns ``schema.QUOTES`` columns, topics in the
    order given.
    """
    if not topic_ids:
        return pl.DataFrame(schema=schema.QUOTES)
    location = pl.col("location") if "location" in articles.columns else pl.lit(None, pl.String)
    evidence = topic_mentions.filter(pl.col("topic_id").is_in(topic_ids)
                                     & pl.col("evidence").is_not_null()
                                     & (pl.col("evidence").str.strip_chars() != ""))
    canon = articles.join(evidence.select("article_id").unique(), on="article_id",
                          how="semi").filter(pl.col("duplicate_of").is_null()).select(
        "article_id", "title", "source", "published_at",
        link=pl.coalesce(pl.when(pl.col("url").str.strip_chars() != "").then(pl.col("url")),
                         location),
    ).unique("article_id", keep="first")
    if start is not None:
        canon = canon.filter(pl.col("published_at").dt.date() >= start)
    if end is not None:
        canon = canon.filter(pl.col("published_at").dt.date() < end)
    rank = {t: i for i, t in enumerate(topic_ids)}
    picked = (
        evidence.select("topic_id", "article_id", "evidence")
        .join(canon, on="article_id", how="inner")
        .with_columns(_rank=pl.col("topic_id").replace_strict(rank, return_dtype=pl.Int64),
                      _short=pl.col("evidence").str.count_matches(r"\S+") < min_words)
        .sort(["_rank", "published_at", "article_id"], descending=[False, True, False],
              nulls_last=True)
        .unique(["topic_id", "evidence"], keep="first", maintain_order=True)
        # Newest full sentences first; a fragment ("As for sanctions.") only when needed.
        .sort(["_rank", "_short"], maintain_order=True)
        .with_columns(_n=pl.int_range(pl.len()).over("topic_id"))
        .filter(pl.col("_n") < per_topic)
        .sort(["_rank", "published_at", "article_id"], descending=[False, True, False],
              nulls_last=True)
    )
    return picked.select(list(schema.QUOTES)).cast(pl.Schema(schema.QUOTES))


def emerging_quotes(emerging: pl.DataFrame, topic_mentions: pl.DataFrame,
                    articles: pl.DataFrame, *, per_topic: int = 3,
                    period: str = "week") -> pl.DataFrame:
    """:func:`quotes` for the topics flagged in ``emerging`` (``topic_id, period_start,
    emerging``), from articles published in the flagged period."""
    flagged = emerging.filter(pl.col("emerging"))
    if flagged.height == 0:
        return pl.DataFrame(schema=schema.QUOTES)
    start = flagged["period_start"].min()
    assert isinstance(start, date)
    end = period_end(start, period)
    return quotes(topic_mentions, articles, flagged["topic_id"].to_list(),
                  per_topic=per_topic, start=start, end=end)


def period_end(start: date, period: str) -> date:
    """The day after the ``period`` (day, week, month) that starts on ``start``."""
    if period == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=PERIOD_DAYS.get(period, 7))


def distinct_evidence(topic_mentions: pl.DataFrame, topic_ids: list[str], *,
                      candidates: int = 20, min_words: int = 6) -> pl.DataFrame:
    """``topic_id, evidence``: one sentence per topic of ``topic_ids``, taken in that order,
    each a sentence no earlier topic got when the topic has another one (a sentence naming
    four topics is the evidence of one of them).

    A topic's candidates are its sentences from the articles that mention it most (up to
    ``candidates``), sentences of ``min_words`` words or more first. Needs
    ``topic_mentions.article_id, topic_id, mentions, evidence``.
    """
    ranked = (
        topic_mentions.filter(pl.col("topic_id").is_in(topic_ids) & (pl.col("mentions") > 0)
                              & (pl.col("evidence").str.strip_chars() != ""))
        .with_columns(_short=pl.col("evidence").str.count_matches(r"\S+") < min_words)
        .sort(["topic_id", "_short", "mentions", "article_id"],
              descending=[False, False, True, False])
        .unique(["topic_id", "evidence"], keep="first", maintain_order=True)
        .group_by("topic_id", maintain_order=True).head(candidates)
    )
    options: dict[str, list[str]] = {}
    for topic, sentence in ranked.select("topic_id", "evidence").iter_rows():
        options.setdefault(topic, []).append(sentence)
    used: set[str] = set()
    chosen = []
    for topic in topic_ids:
        sentences = options.get(topic)
        if not sentences:
            continue
        pick = next((s for s in sentences if s not in used), sentences[0])
        used.add(pick)
        chosen.append((topic, pick))
    return pl.DataFrame(chosen, schema={"topic_id": pl.String, "evidence": pl.String},
                        orient="row")
