"""Every chart of the report, declared once: its name, section, builder, height and note.

A chart is one ``ChartSpec``. From it follow its page in the PDF (``chart_page``, with
the note under the chart), its PNG ``charts/<name>.png`` (cut from that page, or drawn on
its own when its section shows no data) and its place in the Prefect artifacts (the
order of ``CHARTS``). Sections place their charts with ``section_pages``, in the order
declared here. Adding a chart to an existing section: a builder (``report/charts/*``)
and a spec here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from matplotlib.figure import Figure, SubFigure

from analytics.report import brief, charts
from analytics.report.charts import brief as brief_charts
from analytics.report.charts import bursts as burst_charts
from analytics.report.charts import claims as claim_charts
from analytics.report.charts import themes as theme_charts
from analytics.report.charts import topics as topic_charts
from analytics.report.data import ReportData
from analytics.report.layout import chart_page

Draw = Callable[[ReportData, SubFigure | None], Figure]


@dataclass(frozen=True)
class ChartSpec:
    """One chart: ``draw(data, fig)`` builds it into ``fig`` (a page's subfigure) or, with
    None, into a figure of its own; ``height(data)`` is its height on the page in inches;
    ``note(data)`` says how to read it."""

    name: str
    section: str
    draw: Draw
    height: Callable[[ReportData], float]
    note: Callable[[ReportData], str]


def _shown_topics(data: ReportData) -> int:
    return data.canonical_mentions.filter(pl.col("mentions") > 0)["topic_id"].n_unique()


def _panels_height(panels: int) -> float:
    """Small multiples in three columns: a row of panels is 1.45 inches."""
    return 1.9 + 1.45 * max(-(-min(panels, 15) // 3), 1)


def _outlets_height(data: ReportData) -> float:
    shown = topic_charts.outlet_volumes(data.source_shares).filter(
        pl.col("periods") >= topic_charts.OUTLET_MIN_PERIODS).height
    return 2.2 + 1.6 * max(-(-min(shown, 12) // 3), 1) if shown else 4.5


def _real_themes(data: ReportData) -> int:
    return data.themes.filter(pl.col("theme_id") >= 0).height


def _fixed(inches: float) -> Callable[[ReportData], float]:
    return lambda _data: inches


def _text(note: str) -> Callable[[ReportData], str]:
    return lambda _data: note


TOPIC_CHARTS = "Topic charts"
SOURCES = "Share by source"
COOCCURRENCE = "Topic co-occurrence"
BURSTS = "Bursts"
CLAIMS = "Spending claims"
THEMES = "Themes"

# The PNGs in charts/ are listed in this order (report files, Prefect artifacts).
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(  # drawn on page 1 by pages.brief_pages (its section has no chart pages)
        "brief_share", "Brief",
        lambda d, fig: brief_charts.brief_share_chart(
            brief.core_share(d.topic_trends, charts.core_topics(d.topic_labels)),
            d.topic_labels, charts.core_topics(d.topic_labels), colors=d.colors,
            fig=fig),
        _fixed(brief_charts.HEIGHT),
        _text("Each panel is a core topic's share of all articles per week, on its own "
              "scale; the red dot is the latest week, the dashed line its usual share."),
    ),
    ChartSpec(
        "topic_share", TOPIC_CHARTS,
        lambda d, fig: topic_charts.topic_share_chart(
            d.topic_trends, d.topic_labels, period=topic_charts.share_period(d.topic_trends),
            colors=d.colors, bursts=d.bursts, date_range=d.date_range(), fig=fig),
        lambda d: _panels_height(_shown_topics(d)),
        lambda d: (f"Each panel is one topic's share of all articles per "
                   f"{topic_charts.share_period(d.topic_trends) or 'period'} (articles "
                   "mentioning it / all articles), so the growth of the stream itself does not "
                   "show; the core topics come first, in taxonomy order. Each panel has its "
                   "own scale: compare shapes, and read the tick labels for sizes. The dashed "
                   "line is the topic's share over the whole range. Marks at the top are the "
                   "first days of its bursts (filled) and days to watch (open); the date is "
                   "its largest burst. Topic colours are the same in every chart."),
    ),
    ChartSpec(
        "topic_trends", TOPIC_CHARTS,
        lambda d, fig: topic_charts.topic_trends_chart(
            d.topic_trends, d.topic_labels, period=charts.choose_period(d.topic_trends),
            colors=d.colors, bursts=d.bursts, date_range=d.date_range(), fig=fig),
        lambda d: _panels_height(_shown_topics(d) + 1),
        lambda d: (f"The same topics in counts: articles per "
                   f"{charts.choose_period(d.topic_trends) or 'period'} that mention the "
                   "topic, each panel on its own scale. The first panel is all articles: "
                   "where it grows, every topic's count grows with it, which the shares "
                   "above leave out. The period follows the date range: days under three "
                   "weeks, weeks up to two years, months beyond."),
    ),
    ChartSpec(
        "topic_totals", TOPIC_CHARTS,
        lambda d, fig: charts.topic_totals_chart(
            d.canonical_mentions, d.topic_labels, articles_total=d.articles_total,
            colors=d.colors, fig=fig),
        lambda d: 1.8 + 0.32 * _shown_topics(d),
        _text("Each bar counts the articles that mention the topic at least once (near "
              "duplicates counted once); the percentage is the share of all articles in the "
              "report."),
    ),
    ChartSpec(
        "source_shares", SOURCES,
        lambda d, fig: topic_charts.source_shares_chart(
            d.source_shares, d.topic_labels, colors=d.colors, date_range=d.date_range(),
            fig=fig),
        lambda d: _outlets_height(d),
        lambda d: (
            "Each panel is one outlet (its article count in brackets): the share of its "
            "articles per month that mention each of the busiest topics, on one scale for "
            "all outlets. Shares within an outlet keep a prolific outlet from looking like a "
            f"trend. A month counts from {topic_charts.OUTLET_MIN_ARTICLES} articles of the "
            "outlet (fewer leave a gap), and an outlet gets a panel with "
            f"{topic_charts.OUTLET_MIN_PERIODS} such months."
            if topic_charts.enough_per_outlet(d.source_shares) else
            "Too few articles per outlet for a share over time: an outlet needs "
            f"{topic_charts.OUTLET_MIN_ARTICLES} articles in each of "
            f"{topic_charts.OUTLET_MIN_PERIODS} months. The topic table gives the shares "
            "over the whole range."),
    ),
    ChartSpec(
        "cooccurrence", COOCCURRENCE,
        lambda d, fig: topic_charts.cooccurrence_chart(d.cooccurrence, d.topic_labels, fig=fig),
        _fixed(8.6),
        _text("Each cell counts the articles that mention both topics (near duplicates counted "
              "once). The colour is the lift: red pairs meet more often than their sizes alone "
              "would make them, blue pairs less often; white cells have too few articles to "
              "judge."),
    ),
    ChartSpec(
        "bursts_timeline", BURSTS,
        lambda d, fig: burst_charts.bursts_timeline_chart(d.bursts, d.topic_labels,
                                                          colors=d.colors, fig=fig),
        lambda d: 2.2 + 0.34 * max(1, d.bursts["topic_id"].n_unique()),
        _text("Each mark is a day on which a topic drew far more articles than its own "
              "baseline (the 28 days before, unusual days left out) would lead one to expect "
              "from that day's volume: filled marks are bursts (at least twice the baseline "
              "share, p < 0.001, five articles, two outlets, confirmed by the week), open "
              "marks are days to watch. Bigger marks, larger ratios. What drove the latest "
              "bursts follows."),
    ),
    ChartSpec(
        "spending_claims", CLAIMS,
        lambda d, fig: charts.spending_claims_chart(d.claims, fig=fig),
        _fixed(5.5),
        _text("Each dot is a numeric spending claim found in an article (for example "
              "'3.5% of GDP by 2035'), placed at the year the claim targets; larger dots and "
              "×n marks stand for several identical claims. The claims themselves, with their "
              "sentences, follow."),
    ),
    ChartSpec(
        "spending_claims_over_time", CLAIMS,
        lambda d, fig: claim_charts.spending_claims_over_time_chart(d.claims, d.articles,
                                                                     fig=fig),
        _fixed(7.0),
        _text("Each dot is a spending level (e.g. 2% of GDP) mentioned in the articles of one "
              "month; bigger dots stand for more claims of that level that month, and the "
              "colour says whom the level applies to when the sentence names it (NATO, a "
              "country). A level can be a target, a pledge or current spending: read the "
              "sentences in the table that follows."),
    ),
    ChartSpec(
        "themes", THEMES,
        lambda d, fig: charts.themes_chart(d.themes, status=d.theme_status, fig=fig),
        lambda d: 1.6 + 0.55 * min(_real_themes(d), 15),
        _text("Themes group articles by shared vocabulary; each bar counts a theme's articles "
              "and lists the terms that characterise it. Articles that fit no theme are "
              "counted as outliers."),
    ),
    ChartSpec(
        "theme_map", THEMES,
        lambda d, fig: theme_charts.theme_map_chart(d.theme_coords, d.article_themes, d.themes,
                                                    fig=fig),
        _fixed(8.6),
        _text("Each dot is an article, placed so that articles with similar theme profiles sit "
              "close together, and coloured by its main theme (the largest themes have colours "
              "of their own, smaller ones share a slate blue); each theme's number and name "
              "are boxed at the middle of its articles, or moved aside with a line to it where "
              "labels would overlap. Grey dots fit no theme. Distances are only comparative."),
    ),
    ChartSpec(
        "theme_trends", THEMES,
        lambda d, fig: theme_charts.theme_trends_chart(d.theme_trends, d.themes,
                                                       date_range=d.date_range(), fig=fig),
        _fixed(6.8),
        _text("Articles per period by main theme, stacked: the height of a band is the number "
              "of articles in that theme, the top of the stack all articles that fit a theme. "
              "Colours match the theme map."),
    ),
)


def page(spec: ChartSpec, data: ReportData) -> Figure:
    """The A4 page of one chart, marked so that its PNG is cut from it."""
    return chart_page(lambda sf: spec.draw(data, sf), name=spec.name,
                      chart_height=spec.height(data), note=spec.note(data))


def section_pages(section: str, data: ReportData) -> list[Figure]:
    """The pages of every chart of ``section``, in declared order."""
    return [page(spec, data) for spec in CHARTS if spec.section == section]


def standalone(spec: ChartSpec, data: ReportData) -> Figure:
    """The chart in a figure of its own (for a section that shows no data)."""
    return spec.draw(data, None)
