"""The morning brief (page 1 of the report, the top of ``summary.md``): what changed.

Which topics moved in the last seven days, each with its count, its usual count and its
top stories; the new spending claims; one line on data quality. A topic counts as moved
when the burst test flagged it in those days (the ``bursts`` table, ``docs/bursts.md``)
or when it reached at least :data:`MIN_ARTICLES` articles and at least
:data:`MIN_RATIO` times both its usual weekly count and its usual share of all articles
(usual: the median count, and the pooled share, of the :data:`USUAL_WEEKS` seven-day
windows before). A move in percentage points on three articles is neither.

Pure: frames in, small frames and strings out; the run date is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from analytics.contracts.run_summary import RunSummary
from analytics.report import claims_table, facts
from analytics.report.formatting import fmt_date, fmt_int, fmt_number, fmt_pct, plural

WINDOW_DAYS = 7
USUAL_WEEKS = 12
MIN_ARTICLES = 5
MIN_RATIO = 2.0
MAX_MOVES = 5
STORIES = 2  # per topic on page 1
CLAIM_LINES = 3
CHART_WEEKS = 26
_LEVEL_RANK = {"burst": 0, "watch": 1, "rise": 2}

RULE = (f"Topics shown here moved in the last {WINDOW_DAYS} days: flagged by the burst test, or "
        f"at least {MIN_ARTICLES} articles and at least {MIN_RATIO:g}x their usual weekly "
        f"count and share (usual: the median of the {USUAL_WEEKS} weeks before).")

MOVES = {"topic_id": pl.String, "articles": pl.Int64, "usual": pl.Float64,
         "share": pl.Float64, "usual_share": pl.Float64, "level": pl.String,
         "onset": pl.Date, "peak": pl.Date}
STORY_ROWS = {"topic_id": pl.String, "rank": pl.Int64, "title": pl.String,
              "detail": pl.String, "url": pl.String}


@dataclass(frozen=True)
class Line:
    """One line of the brief, its detail (outlets, date) and its link."""

    text: str
    detail: str = ""
    url: str = ""


@dataclass(frozen=True)
class Move:
    """A topic that moved (or, on a quiet week, one of the most covered) and its stories."""

    topic_id: str
    sentence: str
    stories: tuple[Line, ...]


@dataclass(frozen=True)
class Brief:
    as_of: date | None  # the newest publication day on or before the run date
    headline: str  # the run and the last seven days in numbers
    stale: str  # "" or why the last seven days are not the days before the run
    moves: tuple[Move, ...]
    quiet: str  # "" or what to say when no topic moved
    top: tuple[Line, ...]  # on a quiet week: the window's top stories
    claims_line: str
    claims: tuple[Line, ...]
    quality: str
    sources: tuple[str, ...]


def as_of(canonical: pl.DataFrame, run_date: date) -> date | None:
    """The newest publication day of ``canonical`` on or before ``run_date``."""
    days = canonical.get_column("published_at").dt.date().drop_nulls()
    days = days.filter(days <= run_date)
    return days.max() if days.len() else None  # type: ignore[return-value]


def window_start(end: date, days: int = WINDOW_DAYS) -> date:
    return end - timedelta(days=days - 1)


def topic_counts(canonical: pl.DataFrame, mentions: pl.DataFrame, end: date, *,
                 days: int = WINDOW_DAYS, weeks: int = USUAL_WEEKS) -> pl.DataFrame:
    """Per topic: ``articles`` in the ``days`` to ``end``; ``usual``, the median count of
    the ``weeks`` windows of ``days`` before (windows without any article left out; null
    with fewer than two); ``share`` and ``usual_share`` of all articles. Needs
    ``canonical.article_id, published_at`` and ``mentions.article_id, topic_id,
    mentions``. Also one row ``topic_id`` null: all articles."""
    day = pl.col("published_at").dt.date()
    pub = (canonical.select("article_id", day=day)
           .filter((pl.col("day") <= end)
                   & (pl.col("day") > end - timedelta(days=days * (weeks + 1))))
           .with_columns(k=((pl.lit(end) - pl.col("day")).dt.total_days() // days))
           .unique("article_id"))
    totals = pub.group_by("k").agg(total=pl.len().cast(pl.Int64))
    hits = (mentions.filter(pl.col("mentions") > 0).select("article_id", "topic_id").unique()
            .join(pub, on="article_id", how="inner")
            .group_by("topic_id", "k").agg(n=pl.len().cast(pl.Int64)))
    everything = totals.select(pl.lit(None, pl.String).alias("topic_id"), "k",
                               n=pl.col("total"))
    hits = pl.concat([hits, everything])
    grid = (hits.select("topic_id").unique()
            .join(totals, how="cross")
            .join(hits, on=["topic_id", "k"], how="left", nulls_equal=True)
            .with_columns(pl.col("n").fill_null(0)))
    history = grid.filter(pl.col("k") >= 1)
    now = grid.filter(pl.col("k") == 0)
    usual = history.group_by("topic_id").agg(
        usual=pl.when(pl.len() >= 2).then(pl.col("n").median()),
        usual_share=pl.when(pl.len() >= 2).then(pl.col("n").sum() / pl.col("total").sum()))
    current = now.select("topic_id", articles="n", share=pl.col("n") / pl.col("total"))
    topics = grid.select("topic_id").unique()
    return (topics.join(current, on="topic_id", how="left", nulls_equal=True)
            .join(usual, on="topic_id", how="left", nulls_equal=True)
            .with_columns(pl.col("articles").fill_null(0), pl.col("share").fill_null(0.0))
            .select("topic_id", "articles", "usual", "share", "usual_share")
            .cast({"articles": pl.Int64, "usual": pl.Float64, "share": pl.Float64,
                   "usual_share": pl.Float64}))


def topic_moves(counts: pl.DataFrame, bursts: pl.DataFrame, end: date, *,
                order: Mapping[str, int] | None = None, days: int = WINDOW_DAYS,
                min_articles: int = MIN_ARTICLES, min_ratio: float = MIN_RATIO,
                limit: int = MAX_MOVES) -> pl.DataFrame:
    """The topics that moved (:data:`MOVES` columns): flagged in ``bursts`` (``level``
    burst or watch) in the ``days`` to ``end``, or passing the count rule (``rise``).
    Bursts first, then days to watch, then rises; more articles first."""
    start = window_start(end, days)
    flagged = (bursts.filter(pl.col("period_start").is_between(start, end)
                             & pl.col("level").is_in(["burst", "watch"]))
               .sort(["articles", "period_start"], descending=True)
               .group_by("topic_id", maintain_order=True)
               .agg(level=pl.when((pl.col("level") == "burst").any()).then(pl.lit("burst"))
                    .otherwise(pl.lit("watch")),
                    onset=pl.col("onset").min(), peak=pl.col("period_start").first()))
    topics = counts.filter(pl.col("topic_id").is_not_null())
    rise = ((pl.col("articles") >= min_articles) & pl.col("usual").is_not_null()
            & (pl.col("articles") >= min_ratio * pl.col("usual"))
            & (pl.col("share") >= min_ratio * pl.col("usual_share")))
    rank = order or {}
    out = (topics.join(flagged, on="topic_id", how="left")
           .with_columns(level=pl.coalesce("level", pl.when(rise).then(pl.lit("rise"))))
           .filter(pl.col("level").is_not_null())
           .with_columns(_l=pl.col("level").replace_strict(_LEVEL_RANK, return_dtype=pl.Int64),
                         _o=pl.col("topic_id").replace_strict(rank, default=len(rank),
                                                              return_dtype=pl.Int64))
           .sort(["_l", "articles", "_o", "topic_id"], descending=[False, True, False, False])
           .head(limit))
    return out.select(list(MOVES)).cast(pl.Schema(MOVES))


def top_topics(counts: pl.DataFrame, *, order: Mapping[str, int] | None = None,
               n: int = 3) -> pl.DataFrame:
    """The ``n`` topics with most articles in the window (:data:`MOVES` columns, level
    null): what to name on a week without moves."""
    rank = order or {}
    return (counts.filter(pl.col("topic_id").is_not_null() & (pl.col("articles") > 0))
            .with_columns(_o=pl.col("topic_id").replace_strict(rank, default=len(rank),
                                                                return_dtype=pl.Int64),
                          level=pl.lit(None, pl.String), onset=pl.lit(None, pl.Date),
                          peak=pl.lit(None, pl.Date))
            .sort(["articles", "_o", "topic_id"], descending=[True, False, False]).head(n)
            .select(list(MOVES)).cast(pl.Schema(MOVES)))


def short_date(day: date) -> str:
    """"3 Jun"; with the year when it is not ``ref``'s."""
    return f"{day.day} {day:%b}"


def usual_text(usual: float | None, days: int = WINDOW_DAYS) -> str:
    if usual is None:
        return "too little history for a usual count"
    per = "a week" if days == 7 else f"per {days} days"
    if usual == 0:
        return f"usually none {per}"
    if usual < 1:
        return f"usually under 1 {per}"
    return f"usually {round(usual):,} {per}"


def move_sentence(label: str, row: Mapping, days: int = WINDOW_DAYS) -> str:
    """"Air and missile defence: 41 articles in the last 7 days, usually 12 a week (3.1%
    of all articles, usually 0.9%); burst since 3 Jun"."""
    text = (f"{label}: {plural(row['articles'], 'article')} in the last {days} days, "
            f"{usual_text(row['usual'], days)}")
    share, usual_share = fmt_pct(row["share"]), fmt_pct(row["usual_share"])
    if row["usual_share"] is not None and share != usual_share:
        text += f" ({share} of all articles, usually {usual_share})"
    level, onset, peak = row["level"], row["onset"], row["peak"]
    if level == "burst":
        text += f"; burst since {short_date(onset or peak)}"
    elif level == "watch":
        text += f"; a day to watch: {short_date(peak)}"
    elif level == "rise":
        text += f"; over {MIN_RATIO:g}x its usual count and share"
    return text + "."


def move_stories(moves: pl.DataFrame, burst_stories: pl.DataFrame, canonical: pl.DataFrame,
                 mentions: pl.DataFrame, end: date, *, days: int = WINDOW_DAYS,
                 per_topic: int = STORIES) -> pl.DataFrame:
    """Up to ``per_topic`` stories per topic of ``moves`` (:data:`STORY_ROWS`): a flagged
    topic's stories of its latest peak in the window (``burst_stories``), else the
    window's articles of the topic that mention it most, newest first on ties."""
    start = window_start(end, days)
    peaks = (burst_stories.filter(pl.col("period_start").is_between(start, end)
                                  & pl.col("topic_id").is_in(moves["topic_id"].implode()))
             .filter(pl.col("period_start") == pl.col("period_start").max().over("topic_id"))
             .filter(pl.col("rank") <= per_topic))
    from_bursts = peaks.select(
        "topic_id", rank=pl.col("rank").cast(pl.Int64), title="label",
        detail=pl.format("{} articles on {}: {}", pl.col("articles"),
                         pl.col("period_start").dt.strftime("%-d %b"),
                         pl.col("outlets").list.head(3).list.join(", ")),
        url=pl.col("urls").list.first())
    rest = moves.filter(~pl.col("topic_id").is_in(peaks["topic_id"].implode()))
    day = pl.col("published_at").dt.date()
    window = canonical.filter(day.is_between(start, end)).select(
        "article_id", "title", "source", "url", "published_at")
    picked = (mentions.filter((pl.col("mentions") > 0)
                              & pl.col("topic_id").is_in(rest["topic_id"].implode()))
              .select("topic_id", "article_id", "mentions")
              .join(window, on="article_id", how="inner")
              .sort(["mentions", "published_at", "article_id"], descending=[True, True, False])
              .unique(["topic_id", "title"], keep="first", maintain_order=True)
              .with_columns(rank=pl.int_range(1, pl.len() + 1).over("topic_id"))
              .filter(pl.col("rank") <= per_topic)
              .select("topic_id", "rank", "title",
                      detail=pl.format("{}, {}", pl.col("source"),
                                       pl.col("published_at").dt.strftime("%-d %b")),
                      url="url"))
    return pl.concat([from_bursts.cast(pl.Schema(STORY_ROWS)),
                      picked.cast(pl.Schema(STORY_ROWS))]).sort("topic_id", "rank")


def top_stories(canonical: pl.DataFrame, mentions: pl.DataFrame, end: date, *,
                days: int = WINDOW_DAYS, n: int = 3) -> tuple[Line, ...]:
    """The ``n`` articles of the window that name the most topics (then most mentions,
    newest): a quiet week's stories."""
    day = pl.col("published_at").dt.date()
    window = canonical.filter(day.is_between(window_start(end, days), end)).select(
        "article_id", "title", "source", "url", "published_at")
    ranked = (mentions.filter(pl.col("mentions") > 0)
              .join(window.select("article_id"), on="article_id", how="semi")
              .group_by("article_id").agg(topics=pl.len(), mentions=pl.col("mentions").sum())
              .join(window, on="article_id")
              .sort(["topics", "mentions", "published_at", "article_id"],
                    descending=[True, True, True, False])
              .unique("title", keep="first", maintain_order=True).head(n))
    return tuple(Line(r["title"] or "", f"{r['source']}, {short_date(r['published_at'])}",
                      r["url"] or "") for r in ranked.iter_rows(named=True))


def fmt_claim(value: float | None, unit: str | None) -> str:
    """"2% of GDP" for shares of GDP, "5 bn EUR" otherwise."""
    unit = (unit or "").strip()
    if unit == "percent_gdp":
        return f"{fmt_number(value)}% of GDP"
    if unit.startswith("%"):
        return f"{fmt_number(value)}{unit}"
    return f"{fmt_number(value)} {unit}".rstrip()


def claim_lines(fresh: pl.DataFrame, n: int = CLAIM_LINES) -> tuple[str, tuple[Line, ...]]:
    """A count line and up to ``n`` lines "actor: level by year (kind)" with the article's
    outlet, date, title and link, for the claims of :func:`facts.new_claims` (same claim
    of one actor shown once, newest)."""
    if fresh.height == 0:
        return "No new spending claims in the articles stored this run.", ()
    count = (f"{plural(fresh.height, 'claim')} in "
             f"{plural(fresh['article_id'].n_unique(), 'article')} stored this run"
             + (f"; the newest {n}:" if fresh.height > n else ":"))
    lines = []
    seen = set()
    for r in fresh.iter_rows(named=True):
        key = (r.get("actor"), r["value"], r["unit"], r["target_year"])
        if key in seen:
            continue
        seen.add(key)
        text = (f"{r.get('actor') or 'No actor named'}: {fmt_claim(r['value'], r['unit'])}"
                + (f" by {r['target_year']}" if r["target_year"] else "")
                + (f" ({r['kind']})" if r.get("kind") else ""))
        detail = f"{r['source']}, {fmt_date(r['published_at'])}: {r['title'] or ''}"
        lines.append(Line(text, detail, r.get("url") or ""))
        if len(lines) == n:
            break
    return count, tuple(lines)


def quality_line(summary: RunSummary, quarantine: pl.DataFrame, top: int = 2) -> str:
    """Rows read / stored / duplicates / quarantined (its top reasons) / sources failed."""
    s = summary
    reasons = dict(s.quarantine_reasons) or dict(quarantine.group_by("reason").len().iter_rows())
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], str(kv[0])))
    why = "; ".join(f"{reason}: {fmt_int(n)}" for reason, n in ranked[:top])
    if len(ranked) > top:
        why += f"; {len(ranked) - top} more reasons"
    failed = [o for o in s.sources if o.status == "failed"]
    sources = (f"{plural(len(s.sources), 'source')}, "
               + (f"{len(failed)} failed ({', '.join(f'{o.source}: {o.message}' for o in failed)})"
                  if failed else "none failed"))
    if len(ranked) == 1:  # the one reason's count is the total
        why = str(ranked[0][0])
    store = ("" if s.stored_articles == s.new_articles
             else f" (the store holds {fmt_int(s.stored_articles)})")
    return (f"Read {plural(s.rows_read, 'row')}: {plural(s.new_articles, 'new article')} "
            f"stored{store}, {plural(s.duplicates, 'exact duplicate')}, "
            f"{fmt_int(s.quarantined)} quarantined"
            + (f" ({why})" if why else "")
            + f"; {sources}.")


def source_lines(summary: RunSummary) -> tuple[str, ...]:
    return tuple(f"{o.source} ({o.kind}): {o.status}, {plural(o.rows_read, 'row')} read"
                 + (f"; {o.message}" if o.message else "") for o in summary.sources)


def core_share(topic_trends: pl.DataFrame, topic_ids: list[str], *,
               weeks: int = CHART_WEEKS) -> pl.DataFrame:
    """``period_start, topic_id, share`` of the ``topic_ids`` over the last ``weeks``
    weeks of ``topic_trends`` (zero-filled)."""
    t = topic_trends.filter((pl.col("period") == "week") & pl.col("topic_id").is_in(topic_ids))
    starts = t.get_column("period_start").unique().sort().tail(weeks)
    grid = pl.DataFrame({"period_start": starts}).join(
        pl.DataFrame({"topic_id": topic_ids}, schema={"topic_id": pl.String}), how="cross")
    return (grid.join(t.select("period_start", "topic_id", "share"),
                      on=["period_start", "topic_id"], how="left")
            .with_columns(pl.col("share").fill_null(0.0)).sort("topic_id", "period_start"))


def chart_gap(topic_trends: pl.DataFrame) -> str:
    """Why the share chart says nothing ("" when it has at least two weeks)."""
    weeks = topic_trends.filter(pl.col("period") == "week")["period_start"].n_unique()
    if weeks >= 2:
        return ""
    return (f"Core topics' weekly share: not drawn, {plural(weeks, 'week')} of articles "
            "(it needs two).")


def build(canonical: pl.DataFrame, mentions: pl.DataFrame, bursts: pl.DataFrame,
          burst_stories: pl.DataFrame, claims: pl.DataFrame, articles: pl.DataFrame,
          quarantine: pl.DataFrame, summary: RunSummary, topic_labels: Mapping[str, str],
          ) -> Brief:
    """The brief of the run of ``summary.run_date``: ``canonical`` articles (``article_id,
    source, url, title, published_at``) and their topic ``mentions``, ``bursts`` and
    ``burst_stories``, ``claims`` with all ``articles`` (for what was stored this run),
    ``quarantine``; labels in taxonomy order."""
    run_date = summary.run_date
    order = {t: i for i, t in enumerate(topic_labels)}
    fresh = claims_table.distinct(facts.new_claims(claims, articles, run_date), articles)
    claims_line, claim_rows = claim_lines(fresh)
    quality = quality_line(summary, quarantine)
    new = plural(summary.new_articles, "new article") + " this run"
    if summary.near_duplicates:
        new += f" ({plural(summary.near_duplicates, 'near duplicate')} among them)"
    end = as_of(canonical, run_date)
    if end is None:
        return Brief(None, f"{new}; no articles published on or before the run date.", "",
                     (), "No topic to report: no articles.", (), claims_line, claim_rows, quality,
                     source_lines(summary))
    start = window_start(end)
    counts = topic_counts(canonical, mentions, end)
    total = counts.filter(pl.col("topic_id").is_null()).row(0, named=True)
    headline = (f"{new}. {plural(total['articles'], 'article')} published in the last "
                f"{WINDOW_DAYS} days ({short_date(start)} to {short_date(end)} {end.year}), "
                f"{usual_text(total['usual'])}.")
    stale = ""
    if (run_date - end).days > 1:
        stale = (f"The newest article is from {fmt_date(end)}, "
                 f"{plural((run_date - end).days, 'day')} before the run date: the last "
                 f"{WINDOW_DAYS} days are the {WINDOW_DAYS} days to it.")
    moves = topic_moves(counts, bursts, end, order=order)
    quiet, top = "", tuple[Line, ...]()
    if moves.height == 0:
        covered = top_topics(counts, order=order)
        quiet = ("No topic moved: no burst or day to watch in the last "
                 f"{WINDOW_DAYS} days, and none reached {MIN_ARTICLES} articles at "
                 f"{MIN_RATIO:g}x its usual count and share.")
        if covered.height:
            quiet += " Most covered: " + "; ".join(
                f"{topic_labels.get(r['topic_id'], r['topic_id'])} "
                f"({plural(r['articles'], 'article')}, {usual_text(r['usual'])})"
                for r in covered.iter_rows(named=True)) + "."
        top = top_stories(canonical, mentions, end)
    stories = move_stories(moves, burst_stories, canonical, mentions, end)
    items = tuple(
        Move(r["topic_id"], move_sentence(topic_labels.get(r["topic_id"], r["topic_id"]), r),
             tuple(Line(s["title"] or "", s["detail"] or "", s["url"] or "")
                   for s in stories.filter(pl.col("topic_id") == r["topic_id"])
                   .iter_rows(named=True)))
        for r in moves.iter_rows(named=True))
    return Brief(end, headline, stale, items, quiet, top, claims_line, claim_rows, quality,
                 source_lines(summary))
