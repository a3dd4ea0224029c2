"""Report sections added to the original set: emerging topics and evidence quotes, written
into a page :class:`Flow`, and the rule that replaces a chart with too little data to say
anything by a line (:func:`chart_gap`). Pure: nothing saved.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.report import charts, facts
from analytics.report.bursts_pages import URL_EM
from analytics.report.charts import topics as topic_charts
from analytics.report.data import ReportData
from analytics.report.formatting import fmt_date, fmt_int, fmt_pct, plural, truncate
from analytics.report.layout import Column, Flow
from analytics.trends.emerging import EmergingConfig

EVIDENCE_TOP_TOPICS = 5
QUOTES_PER_TOPIC = 3
EMERGING_QUOTES = 3


def fmt_pp(delta: float | None) -> str:
    """A share difference (fractions) in percentage points: "+3.2 pp", "−1.0 pp", "0 pp"."""
    if delta is None:
        return "–"
    points = delta * 100
    if abs(points) < 0.05:
        return "0 pp"
    return f"{'+' if points > 0 else '−'}{abs(points):.1f} pp"


_OPEN, _CLOSE = "\"“„«", "\"”»"  # double quotes only: ’ and ' are mostly apostrophes


def quoted(sentence: str) -> str:
    """``sentence`` in curly quotes, without quote marks of its own that would double them:
    those around a whole quotation, and one whose other half is in the sentence before or
    after (a quoted speech of several sentences)."""
    text = sentence.strip()
    if len(text) > 1 and text[0] in _OPEN and text[-1] in _CLOSE:
        text = text[1:-1]
    elif text[:1] in tuple(_OPEN) and not any(c in _CLOSE for c in text[1:]):
        text = text[1:]
    elif text[-1:] in tuple(_CLOSE) and not any(c in _OPEN for c in text[:-1]):
        text = text[:-1]
    return f"“{text.strip()}”"


def _label(data: ReportData, topic: str) -> str:
    return data.topic_labels.get(topic, topic)


def _period_articles(data: ReportData, start: date, period: str) -> int:
    end = facts.period_end(start, period)
    published = data.canonical.get_column("published_at").dt.date()
    return int(((published >= start) & (published < end)).sum())


def topic_table_extras(data: ReportData) -> pl.DataFrame:
    """``topic_id, reach, delta``: articles with near duplicates, and the share change of
    the latest period against the one before (null without two periods)."""
    reach = facts.topic_reach(data.topic_mentions, data.articles).select(
        "topic_id", "reach")
    delta = facts.share_changes(data.topic_trends).select("topic_id", "delta")
    return reach.join(delta, on="topic_id", how="full", coalesce=True)


def emerging_gap(data: ReportData) -> str:
    """Why the section has nothing to show ("" when it has)."""
    if data.emerging_topics.height == 0:
        return "needs at least two weeks of articles"
    return ""


def write_emerging(flow: Flow, data: ReportData) -> None:
    cfg = EmergingConfig()
    em = data.emerging_topics
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
        return
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


def _quote_table(flow: Flow, quotes: pl.DataFrame, *, empty: str) -> None:
    columns = [Column("Published", 0.75), Column("Source", 1.1, max_lines=2),
               Column("Evidence sentence", 2.85, max_lines=5),
               Column("Article and link", 2.17, max_lines=6)]
    # A short title leaves the link room to print in full.
    flow.table(columns, [
        [fmt_date(r["published_at"]), r["source"] or "", quoted(r["evidence"]),
         f"{truncate(r['title'], 48)} · {r['link'] or ''}"]
        for r in quotes.iter_rows(named=True)], size=7.5, empty=empty, char_em=URL_EM)


def write_evidence(flow: Flow, data: ReportData, totals: pl.DataFrame) -> None:
    """Quotes for the top topics of ``totals`` (``topic_id, articles`` sorted)."""
    top = totals.filter(pl.col("articles") > 0).head(EVIDENCE_TOP_TOPICS)
    flow.paragraph(
        f"For the {EVIDENCE_TOP_TOPICS} topics with most articles, up to {QUOTES_PER_TOPIC} "
        "sentences that name the topic, newest article first (one per article, near "
        "duplicates left out).")
    quotes = facts.quotes(data.topic_mentions, data.articles,
                                 top["topic_id"].to_list(), per_topic=QUOTES_PER_TOPIC)
    shown: dict[str, str] = {}  # sentence -> the topic it was quoted under
    for topic, n in top.select("topic_id", "articles").iter_rows():
        label = _label(data, topic)
        flow.heading(f"{truncate(label, 70)} ({plural(n, 'article')})", size=10)
        mine = quotes.filter(pl.col("topic_id") == topic)
        fresh = mine.filter(~pl.col("evidence").is_in(list(shown)))
        if mine.height and fresh.is_empty():
            flow.paragraph("Same sentence as quoted under " + ", ".join(
                sorted({shown[e] for e in mine["evidence"]})) + ".", size=8.5, color="0.35")
            continue
        _quote_table(flow, fresh, empty="no evidence sentence recorded")
        shown.update(dict.fromkeys(fresh["evidence"].to_list(), truncate(label, 70)))


def _periods(data: ReportData, period: str | None) -> int:
    t = data.topic_trends
    return t.filter(pl.col("period") == period)["period_start"].n_unique() if period else 0


def chart_gap(name: str, data: ReportData) -> str:
    """Why chart ``name`` would say nothing with this data, as the line that replaces it
    ("" to draw it; charts not named here are always drawn)."""
    n = data.articles_total or 0
    if name == "topic_totals" and data.canonical_mentions.is_empty():
        return "no topic mentions"
    if name == "topic_totals" and n < 2:
        return f"{plural(n, 'article')}: its topics are in the topic table"
    if name in ("topic_trends", "topic_share"):
        period = (charts.choose_period(data.topic_trends) if name == "topic_trends"
                  else topic_charts.share_period(data.topic_trends))
        k = _periods(data, period)
        if k < 2:
            return f"{plural(k, period or 'period')} of articles, nothing to compare"
    if name == "source_shares":
        sources = data.source_shares["source"].n_unique()
        if sources < 2:
            return f"{plural(sources, 'source')}: its shares are the topic table's"
        if not topic_charts.enough_per_outlet(data.source_shares):
            return (f"too few articles per outlet: one needs {topic_charts.OUTLET_MIN_ARTICLES} "
                    f"articles in each of {topic_charts.OUTLET_MIN_PERIODS} months")
    if name == "cooccurrence" and data.cooccurrence.filter(pl.col("articles") >= 3).is_empty():
        return "no two topics share three or more articles"
    if name == "spending_claims":
        points = data.claims.select("value", "target_year").unique().height
        if points < 2:
            return f"{plural(points, 'distinct claim')}: see the claims table"
    if name == "spending_claims_over_time":
        months = facts.articles_of(data.articles, data.claims, "published_at").select(
            pl.col("published_at").dt.truncate("1mo")).n_unique()
        if months < 2:
            return f"claims from {plural(months, 'month')} only"
    return ""
