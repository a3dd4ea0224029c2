"""Report sections added to the original set: what changed (for the title page), emerging
topics, evidence quotes, and the chart pages for shares, sources, co-occurrence, spending
targets over time and the theme map and trends. Pure: ``Figure`` pages out, nothing saved.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from matplotlib.figure import Figure

from analytics.report import facts
from analytics.report.data import ReportData
from analytics.report.formatting import fmt_date, fmt_int, fmt_number, fmt_pct, plural, truncate
from analytics.report.layout import Column, Flow
from analytics.trends.emerging import EmergingConfig

EVIDENCE_TOP_TOPICS = 5
QUOTES_PER_TOPIC = 3
EMERGING_QUOTES = 3
COVER_CLAIMS = 3


def fmt_pp(delta: float | None) -> str:
    """A share difference (fractions) in percentage points: "+3.2 pp", "−1.0 pp", "0 pp"."""
    if delta is None:
        return "–"
    points = delta * 100
    if abs(points) < 0.05:
        return "0 pp"
    return f"{'+' if points > 0 else '−'}{abs(points):.1f} pp"


def fmt_claim(value: float | None, unit: str | None) -> str:
    """"2% of GDP" for shares of GDP ("percent_gdp" or "% of GDP"), "5 bn EUR" otherwise."""
    unit = (unit or "").strip()
    if unit == "percent_gdp":
        return f"{fmt_number(value)}% of GDP"
    if unit.startswith("%"):
        return f"{fmt_number(value)}{unit}"
    return f"{fmt_number(value)} {unit}".rstrip()


def _label(data: ReportData, topic: str) -> str:
    return data.topic_labels.get(topic, topic)


def _period_articles(data: ReportData, start: date, period: str) -> int:
    end = facts.period_end(start, period)
    published = data.canonical.get_column("published_at").dt.date()
    return int(((published >= start) & (published < end)).sum())


def what_changed(data: ReportData) -> list[tuple[str, str]]:
    """``(key, value)`` lines for the title page: new articles, topics rising and falling
    against the previous period, emerging topics and the spending claims new this run."""
    s = data.summary
    new = fmt_int(s.new_articles)
    if s.near_duplicates:
        new += f" ({plural(s.near_duplicates, 'near duplicate')} among them)"
    rows = [("New articles this run", new)]
    period = facts.change_period(data.topic_trends)
    changes = facts.share_changes(data.topic_trends, period=period)
    if changes.height == 0:
        rows.append(("Topics rising / falling", "no data: fewer than two periods of articles"))
    else:
        assert period is not None  # share changes have rows only for a period
        latest, previous = changes["period_start"][0], changes["previous_start"][0]
        n_latest = plural(_period_articles(data, latest, period), "article")
        n_previous = plural(_period_articles(data, previous, period), "article")
        rows.append((f"Compared {period}s",
                     f"{fmt_date(latest)} ({n_latest}) vs {fmt_date(previous)} ({n_previous}); "
                     "share of articles mentioning each topic"))
        rising, falling = facts.risers_and_fallers(changes, 3)
        for key, frame in (("Rising topics", rising), ("Falling topics", falling)):
            text = "; ".join(
                f"{truncate(_label(data, t), 40)} {fmt_pp(d)} ({fmt_pct(p, 0)} → {fmt_pct(v, 0)})"
                for t, d, p, v in frame.select("topic_id", "delta", "previous_share",
                                               "share").iter_rows())
            rows.append((key, text or "none"))
    flagged = data.emerging_topics.filter(pl.col("emerging"))
    if data.emerging_topics.height == 0:
        rows.append(("Emerging topics", "no data: too little history to compare"))
    else:
        rows.append(("Emerging topics", "; ".join(
            f"{truncate(_label(data, t), 40)} ({fmt_pct(sh)} vs {fmt_pct(b)} usually, "
            f"z {z:.1f})" for t, sh, b, z in flagged.select(
                "topic_id", "share", "baseline_share", "z").iter_rows())
            or "none this period"))
    fresh = facts.new_claims(data.claims, data.articles, s.run_date)
    if fresh.height == 0:
        rows.append(("New spending claims", "none in articles stored this run"))
    else:
        shown = [
            fmt_claim(r['value'], r['unit'])
            + (f" by {r['target_year']}" if r["target_year"] else "")
            + f" ({truncate(r['actor'], 24) + ', ' if r.get('actor') else ''}"
              f"{truncate(r['source'], 20)} {fmt_date(r['published_at'])})"
            for r in fresh.head(COVER_CLAIMS).iter_rows(named=True)]
        more = fresh.height - len(shown)
        rows.append((
            "New spending claims",
            f"{plural(fresh.height, 'claim')} in "
            f"{plural(fresh['article_id'].n_unique(), 'article')}: " + "; ".join(shown)
            + (f"; … {more} more" if more else "")))
    return rows


def topic_table_extras(data: ReportData) -> pl.DataFrame:
    """``topic_id, reach, delta``: articles with near duplicates, and the share change of
    the latest period against the one before (null without two periods)."""
    reach = facts.topic_reach(data.topic_mentions, data.articles).select(
        "topic_id", "reach")
    delta = facts.share_changes(data.topic_trends).select("topic_id", "delta")
    return reach.join(delta, on="topic_id", how="full", coalesce=True)


def emerging_pages(data: ReportData) -> list[Figure]:
    cfg = EmergingConfig()
    flow = Flow("Emerging topics")
    em = data.emerging_topics
    if em.height == 0:
        flow.paragraph("no data: emerging topics need at least two periods of articles.",
                       size=10, color="0.4")
        return flow.pages
    start = em["period_start"].min()
    assert isinstance(start, date)
    flow.paragraph(
        f"Each topic's share of articles in the {cfg.period} of {fmt_date(start)} "
        f"({plural(_period_articles(data, start, cfg.period), 'article')}) is compared with "
        f"its own share over up to {cfg.window} {cfg.period}s before: z = (share now − "
        "baseline) / spread of the baseline. A topic is flagged emerging at z ≥ "
        f"{cfg.z_threshold:g} with at least {cfg.min_articles} articles this {cfg.period}.")
    flagged = em.filter(pl.col("emerging"))
    columns = [Column("Topic", 2.6, max_lines=2), Column("Articles", 0.8, "right"),
               Column("Share now", 0.9, "right"), Column("Baseline", 0.9, "right"),
               Column("z", 0.7, "right"), Column("Flag", 0.97)]

    def rows(frame: pl.DataFrame) -> list[list[str]]:
        return [[_label(data, t), fmt_int(a), fmt_pct(sh), fmt_pct(b),
                 "–" if z is None else f"{z:.1f}", "emerging" if e else ""]
                for t, a, sh, b, z, e in frame.select("topic_id", "articles", "share",
                                                      "baseline_share", "z", "emerging")
                .iter_rows()]

    if flagged.height == 0:
        flow.paragraph("No emerging topics this period.", size=11, color="0.2")
        flow.heading("Highest z this period", size=10)
        flow.table(columns, rows(em.sort(["z", "topic_id"], descending=[True, False],
                                         nulls_last=True).head(5)))
        return flow.pages
    flow.table(columns, rows(flagged))
    quotes = facts.emerging_quotes(em, data.topic_mentions, data.articles,
                                          per_topic=EMERGING_QUOTES, period=cfg.period)
    flow.heading(f"Evidence from the {cfg.period} of {fmt_date(start)}", size=11)
    for topic in flagged["topic_id"].to_list():
        flow.heading(truncate(_label(data, topic), 80), size=9.5)
        _quote_table(flow, quotes.filter(pl.col("topic_id") == topic),
                     empty="no evidence sentence in this period's articles")
    rest = em.filter(~pl.col("emerging")).sort(["z", "topic_id"], descending=[True, False],
                                               nulls_last=True).head(5)
    if rest.height:
        flow.heading("Not flagged, closest to the threshold", size=10)
        flow.table(columns, rows(rest))
    return flow.pages


def _quote_table(flow: Flow, quotes: pl.DataFrame, *, empty: str) -> None:
    columns = [Column("Published", 0.75), Column("Source", 0.95, max_lines=2),
               Column("Evidence sentence", 3.0, max_lines=5),
               Column("Article and link", 2.17, max_lines=6)]
    # A short title leaves the link room to print in full.
    flow.table(columns, [
        [fmt_date(r["published_at"]), r["source"] or "", f"“{r['evidence']}”",
         f"{truncate(r['title'], 48)} · {r['link'] or ''}"]
        for r in quotes.iter_rows(named=True)], size=7.5, empty=empty)


def evidence_pages(data: ReportData, totals: pl.DataFrame) -> list[Figure]:
    """Quotes for the top topics of ``totals`` (``topic_id, articles`` sorted)."""
    top = totals.filter(pl.col("articles") > 0).head(EVIDENCE_TOP_TOPICS)
    flow = Flow("Evidence")
    flow.paragraph(
        f"For the {EVIDENCE_TOP_TOPICS} topics with most articles, up to {QUOTES_PER_TOPIC} "
        "sentences that name the topic, newest article first (one per article, near "
        "duplicates left out).")
    if top.height == 0:
        flow.paragraph("no data: no topic mentions in this run", size=10, color="0.4")
        return flow.pages
    quotes = facts.quotes(data.topic_mentions, data.articles,
                                 top["topic_id"].to_list(), per_topic=QUOTES_PER_TOPIC)
    for topic, n in top.select("topic_id", "articles").iter_rows():
        flow.heading(f"{truncate(_label(data, topic), 70)} ({plural(n, 'article')})", size=10)
        _quote_table(flow, quotes.filter(pl.col("topic_id") == topic),
                     empty="no evidence sentence recorded")
    return flow.pages
