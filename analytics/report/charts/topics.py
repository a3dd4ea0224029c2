"""Topic figure builders beyond counts: share over time, share by source, co-occurrence.

Same rules as :mod:`analytics.report.charts`: frames in, a ``Figure`` out (drawn into ``fig`` when
given), "no data" figures for empty frames, untrusted text drawn literally.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure, SubFigure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from analytics.contracts.schema import BURSTS as BURSTS_SCHEMA
from analytics.report.charts import (
    NEUTRAL,
    Color,
    _no_data,
    _root,
    _span_days,
    _styled,
    _subtitle,
    _target,
    _titles,
    choose_period,
    core_topics,
    date_axis,
    period_end,
    topic_colors,
    topic_order,
)
from analytics.report.formatting import SAFE_TEXT, fmt_date, plural, truncate, wrap

PCT = FuncFormatter(lambda v, _pos: f"{v * 100:.0f}%")
MARK_Y = 0.95  # burst marks: near the top of a panel, above its line (axes fraction)
HEADROOM = 0.74  # a panel's peak reaches this fraction of its height: marks go above


def share_period(topic_trends: pl.DataFrame) -> str | None:
    """Period for shares: months beyond half a year (weekly shares of a long range are
    mostly noise), else :func:`analytics.report.charts.choose_period`."""
    period = choose_period(topic_trends)
    if period is None:
        return None
    span = _span_days(topic_trends.get_column("period_start"))
    available = set(topic_trends.get_column("period").unique().to_list())
    return "month" if span > 183 and "month" in available else period


@dataclass(frozen=True)
class _Panel:
    label: str
    values: list[float]  # one per period
    color: Color
    topic: str | None = None  # burst marks are drawn for a topic panel
    overall: float | None = None  # dashed: the share over the whole range


def _periods(data: pl.DataFrame) -> tuple[list[date], dict[date, float]]:
    """The period starts of ``data`` and the articles of each period (any topic or
    none), from the shares: articles / share."""
    starts = sorted(data["period_start"].unique().to_list())
    totals = (data.filter(pl.col("share") > 0).group_by("period_start")
              .agg(total=(pl.col("articles") / pl.col("share")).median().round(0)))
    return starts, dict(totals.iter_rows())


def _panel_topics(data: pl.DataFrame, topic_labels: Mapping[str, str],
                  max_topics: int) -> tuple[list[str], str]:
    """The core topics with articles in taxonomy order, then the busiest other topics, up
    to ``max_topics``; and the words that say so."""
    totals = dict(data.group_by("topic_id").agg(n=pl.col("articles").sum())
                  .filter(pl.col("n") > 0).iter_rows())
    core = core_topics(topic_labels)
    rank = {t: i for i, t in enumerate(topic_order(topic_labels, totals))}
    shown_core = [t for t in core if t in totals]
    others = sorted((t for t in totals if t not in set(core)),
                    key=lambda t: (-totals[t], rank[t]))
    chosen = (shown_core + others)[:max_topics]
    n_others = len(chosen) - len(shown_core)
    words = (f"the {len(shown_core)} core topics" if len(topic_labels) > len(core)
             else plural(len(shown_core), "topic"))
    if n_others:
        words += f", then the {n_others} busiest of {plural(len(others), 'other topic')}"
    quiet = [topic_labels.get(t, t) for t in core if t not in totals]
    if quiet:
        words += f"; no articles: {truncate(', '.join(quiet), 70)}"
    return chosen, words


def _pct(v: float, _pos: object = None) -> str:
    # As many decimals as the tick needs: 0.15%, 2.5%, 4%.
    return f"{v * 100:.2f}".rstrip("0").rstrip(".") + "%"


PCT_TICKS = FuncFormatter(_pct)


def _burst_marks(ax: Any, bursts: pl.DataFrame, topic: str, first: date, end: date,
                 color: Color) -> None:
    """Marks at the top of the panel where the topic's runs of flagged days start (filled:
    a burst, open: days to watch; runs closer than a mark's width share one), and the
    date of the run with the most articles under its mark."""
    sel = bursts.filter((pl.col("topic_id") == topic) & (pl.col("period_start") >= first)
                        & (pl.col("period_start") < end))
    if sel.is_empty():
        return
    runs = (sel.group_by("onset").agg(day=pl.col("period_start").min(),
                                      burst=(pl.col("level") == "burst").any(),
                                      articles=pl.col("articles").sum())
            .sort("day"))
    merge = max((end - first).days / 40, 1.0)
    marks: list[list[Any]] = []  # [day, burst, articles, day of its largest run, its articles]
    for day, burst, n in runs.select("day", "burst", "articles").iter_rows():
        if marks and (day - marks[-1][0]).days <= merge:
            mark = marks[-1]
            mark[1] = mark[1] or burst
            mark[2] += n
            if n > mark[4]:
                mark[3], mark[4] = day, n
        else:
            marks.append([day, burst, n, day, n])
    at = blended_transform_factory(ax.transData, ax.transAxes)
    for day, burst, *_ in marks:
        ax.plot([mdates.date2num(day) + 0.5], [MARK_Y], transform=at, marker="v",
                markersize=4.5, linestyle="", markeredgewidth=0.9, clip_on=False,
                markerfacecolor=color if burst else "white", markeredgecolor=color, zorder=4)
    top = max(marks, key=lambda m: (m[1], m[2]))
    x = mdates.date2num(top[0]) + 0.5
    low, high = ax.get_xlim()
    where = (x - low) / max(high - low, 1.0)
    ha = "left" if where < 0.25 else "right" if where > 0.75 else "center"
    largest = top[3]
    year = f" {largest.year}" if (end - first).days > 300 else ""
    ax.annotate(f"{largest.day} {largest:%b}{year}", (x, MARK_Y - 0.05), xycoords=at, ha=ha,
                va="top", fontsize=6.5, color="0.15", annotation_clip=False, zorder=5,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.8,
                      "linewidth": 0})


DateRange = tuple[date | None, date | None] | None


def _span(starts: list[date], period: str, date_range: DateRange) -> tuple[date, date]:
    """The first day and the day after the last that the periods hold data for: the
    periods' own bounds, cut to ``date_range`` (first and last day of the data)."""
    first, end = starts[0], period_end(starts[-1], period)
    low, high = date_range or (None, None)
    if low is not None and first < low < period_end(starts[0], period):
        first = low
    if high is not None and starts[-1] <= high < end:
        end = high + timedelta(days=1)
    return first, end


def _range_words(first: date, end: date) -> str:
    return f"{fmt_date(first)} to {fmt_date(end - timedelta(days=1))}"


def _draw_panels(fig: Figure | SubFigure, panels: list[_Panel], starts: list[date],
                 span: tuple[date, date], *, kind: str, ncols: int,
                 bursts: pl.DataFrame) -> None:
    """Small multiples, one per panel, each with its own y scale; steps span their period
    (the first and last cut to the data's ``span``)."""
    nrows = math.ceil(len(panels) / ncols)
    cols = min(ncols, len(panels))
    axes = fig.subplots(nrows, cols, squeeze=False, sharex=True)
    first, end = span
    edges = [mdates.date2num(d) for d in [first, *starts[1:], end]]
    axes.flat[0].set_xlim(edges[0], edges[-1])  # before the marks: they place their dates
    for i, ax in enumerate(axes.flat):
        if i >= len(panels):
            ax.set_axis_off()
            # The row above has no x labels of its own (shared axis): give it some.
            axes.flat[i - cols].xaxis.set_tick_params(labelbottom=True)
            continue
        panel = panels[i]
        ax.stairs(panel.values, edges, fill=True, color=panel.color, alpha=0.25, linewidth=0)
        ax.stairs(panel.values, edges, color=panel.color, linewidth=1.4, baseline=None)
        peak = max(max(panel.values), panel.overall or 0.0)
        if panel.overall is not None:
            ax.axhline(panel.overall, color="0.35", linewidth=0.8, linestyle="--")
        # Own scale; the top quarter stays free for the burst marks and their date.
        top = peak / HEADROOM if peak > 0 else (0.01 if kind == "share" else 1.0)
        ax.set_ylim(0, top)
        if kind == "share":
            ax.yaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_formatter(PCT_TICKS)
        else:
            ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_title(truncate(panel.label, 34), loc="left", fontsize=8.5, color="0.1",
                     **SAFE_TEXT)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if panel.topic is not None:
            _burst_marks(ax, bursts, panel.topic, first, end, panel.color)
    date_axis(axes.flat[0], first, end - timedelta(days=1), max_ticks=4 if cols >= 3 else 6,
              end=end)


def _mark_handles(*, overall: bool, marks: bool) -> list[Line2D]:
    handles = []
    if overall:
        handles.append(Line2D([], [], color="0.35", linewidth=0.8, linestyle="--",
                              label="share over the whole range"))
    if marks:
        handles += [Line2D([], [], marker="v", linestyle="", color="0.3", markersize=5,
                           label="burst starts (date: the largest)"),
                    Line2D([], [], marker="v", linestyle="", markerfacecolor="white",
                           markeredgecolor="0.3", markersize=5, label="days to watch")]
    return handles


def _footnote(fig: Figure | SubFigure, text: str, handles: Sequence[Line2D] = (),
              ncols: int | None = None) -> None:
    """What the panels show and the legend of their marks, under them; the text in lines
    that fit a portrait page. One legend (text as its title): a legend and a supxlabel
    would be laid out on top of each other."""
    box = fig.legend(handles=list(handles), loc="outside lower left",
                     ncols=ncols or max(len(handles), 1),
                     frameon=False, fontsize=7.5, title="\n".join(wrap(text, 125, 3)),
                     title_fontsize=8, alignment="left", borderaxespad=0.2)
    box.get_title().set_color("0.35")
    for item in [*box.get_texts(), box.get_title()]:
        item.update(SAFE_TEXT)


def _grid_height(n_panels: int, ncols: int) -> float:
    return min(1.8 + 1.45 * max(math.ceil(n_panels / ncols), 1), 9.0)


def _topic_data(topic_trends: pl.DataFrame, period: str | None) -> pl.DataFrame:
    if period is None:
        return topic_trends.clear()
    return topic_trends.filter(pl.col("period") == period)


@_styled
def topic_share_chart(
    topic_trends: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    period: str | None = None,
    max_topics: int = 15,
    ncols: int = 3,
    colors: Mapping[str, Color] | None = None,
    bursts: pl.DataFrame | None = None,
    date_range: DateRange = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Small multiples: each topic's share of all articles per period (needs
    ``topic_trends`` columns ``period_start, period, topic_id, articles, share``), one panel
    per topic with its own y scale: the core topics in taxonomy order, then the busiest
    others, ``max_topics`` in all. The dashed line is the topic's share over the whole
    range; marks at the top are the runs of ``bursts`` (table ``bursts``) of the topic."""
    title = "Share of all articles, per topic"
    period = period or share_period(topic_trends)
    data = _topic_data(topic_trends, period)
    chosen, words = _panel_topics(data, topic_labels, max_topics)
    if fig is None and figsize is None:
        figsize = (10.0, _grid_height(len(chosen), ncols))
    fig = _target(fig, figsize)
    if not chosen or period is None:
        return _no_data(fig, title, "no data: no topic trends in this run")
    colors = colors or topic_colors(topic_order(topic_labels, data["topic_id"]))
    bursts = bursts if bursts is not None else pl.DataFrame(schema=BURSTS_SCHEMA)
    starts, totals = _periods(data)
    grand = sum(totals.values())
    panels = []
    for topic in chosen:
        counts = _values(data, topic, starts, "articles")
        shares = [n / totals[s] if totals.get(s) else 0.0
                  for s, n in zip(starts, counts, strict=True)]
        panels.append(_Panel(topic_labels.get(topic, topic), shares, colors[topic], topic,
                             sum(counts) / grand if grand else None))
    _titles(fig, title)
    span = _span(starts, period, date_range)
    _footnote(fig, f"articles mentioning the topic / all articles, per {period}, "
                   f"{_range_words(*span)}; {words}; each panel has its own scale",
              _mark_handles(overall=grand > 0, marks=not bursts.is_empty()))
    _draw_panels(fig, panels, starts, span, kind="share", ncols=ncols, bursts=bursts)
    return _root(fig)


def _values(data: pl.DataFrame, topic: str, starts: list[date], column: str) -> list[float]:
    got = dict(data.filter(pl.col("topic_id") == topic).select("period_start", column)
               .iter_rows())
    return [float(got.get(s) or 0) for s in starts]


@_styled
def topic_trends_chart(
    topic_trends: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    period: str | None = None,
    max_topics: int = 14,
    ncols: int = 3,
    colors: Mapping[str, Color] | None = None,
    bursts: pl.DataFrame | None = None,
    date_range: DateRange = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Small multiples of counts: the first panel is all articles per period (the stream's
    volume), then articles per topic per period (needs ``topic_trends`` columns
    ``period_start, period, topic_id, articles, share``) for the topics of
    :func:`topic_share_chart`, each panel with its own scale, burst marks on top;
    ``period`` defaults to :func:`analytics.report.charts.choose_period`."""
    title = "Articles per topic over time (counts)"
    period = period or choose_period(topic_trends)
    data = _topic_data(topic_trends, period)
    chosen, words = _panel_topics(data, topic_labels, max_topics)
    if fig is None and figsize is None:
        figsize = (10.0, _grid_height(len(chosen) + 1, ncols))
    fig = _target(fig, figsize)
    if not chosen or period is None:
        return _no_data(fig, title, "no data: no topic trends in this run")
    colors = colors or topic_colors(topic_order(topic_labels, data["topic_id"]))
    bursts = bursts if bursts is not None else pl.DataFrame(schema=BURSTS_SCHEMA)
    starts, totals = _periods(data)
    panels = [_Panel("All articles (the stream's volume)",
                     [float(totals.get(s, 0.0)) for s in starts], NEUTRAL)]
    panels += [_Panel(topic_labels.get(t, t), _values(data, t, starts, "articles"), colors[t], t)
               for t in chosen]
    _titles(fig, title)
    span = _span(starts, period, date_range)
    _footnote(fig, f"articles per {period}, {_range_words(*span)}; {words}; each panel has "
                   "its own scale", _mark_handles(overall=False, marks=not bursts.is_empty()))
    _draw_panels(fig, panels, starts, span, kind="count", ncols=ncols, bursts=bursts)
    return _root(fig)


def _heatmap_cells(ax, values: np.ndarray, texts: Sequence[Sequence[str]], cmap, norm,
                   size: float) -> AxesImage:
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto",
                      interpolation="nearest")
    rgba = image.to_rgba(np.ma.masked_invalid(values))
    for (r, c), text in np.ndenumerate(np.array(texts, dtype=object)):
        if not text:
            continue
        dark = not math.isnan(values[r, c]) and float(np.dot(rgba[r, c, :3],
                                                             [0.299, 0.587, 0.114])) < 0.5
        ax.text(c, r, text, ha="center", va="center", fontsize=size,
                color="white" if dark else "0.15")
    ax.spines[:].set_visible(False)
    ax.tick_params(length=0)
    return image


# An outlet's share in a period is drawn from this many of its articles (1 article = 5
# points at most), and an outlet gets a panel with this many such periods.
OUTLET_MIN_ARTICLES = 20
OUTLET_MIN_PERIODS = 3


def outlet_volumes(source_shares: pl.DataFrame, *,
                   min_articles: int = OUTLET_MIN_ARTICLES) -> pl.DataFrame:
    """Per source (``source_shares`` columns ``period_start, source, source_articles``):
    ``articles`` in all, ``periods`` with at least ``min_articles``; most articles first."""
    per = source_shares.unique(["period_start", "source"]).select(
        "period_start", "source", n=pl.col("source_articles").cast(pl.Int64))
    return (per.group_by("source")
            .agg(articles=pl.col("n").sum(), periods=(pl.col("n") >= min_articles).sum(),
                 most=pl.col("n").max())
            .sort(["articles", "source"], descending=[True, False]))


def enough_per_outlet(source_shares: pl.DataFrame, *,
                      min_articles: int = OUTLET_MIN_ARTICLES,
                      min_periods: int = OUTLET_MIN_PERIODS) -> bool:
    """True when at least one outlet has ``min_articles`` articles in ``min_periods``
    periods: the rule of :func:`source_shares_chart`."""
    volumes = outlet_volumes(source_shares, min_articles=min_articles)
    return volumes.filter(pl.col("periods") >= min_periods).height > 0


@_styled
def source_shares_chart(
    source_shares: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    colors: Mapping[str, Color] | None = None,
    period: str = "month",
    max_sources: int = 12,
    max_topics: int = 4,
    min_articles: int = OUTLET_MIN_ARTICLES,
    min_periods: int = OUTLET_MIN_PERIODS,
    ncols: int = 3,
    date_range: DateRange = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Small multiples, one per outlet: the share of the outlet's articles per ``period``
    that mention each of the ``max_topics`` busiest topics (needs ``source_shares`` columns
    ``period_start, source, topic_id, articles, source_articles``), one y scale for all so
    outlets compare. Periods in which an outlet has fewer than ``min_articles`` articles
    are left out (gaps); outlets with fewer than ``min_periods`` periods get no panel, and
    without any such outlet the figure says so."""
    title = "Share by outlet over time"
    if fig is None and figsize is None:
        figsize = (10.0, 8.0)
    fig = _target(fig, figsize)
    if source_shares.height == 0 or int(source_shares["articles"].sum() or 0) == 0:
        return _no_data(fig, title, "no data: no topic mentions by source in this run")
    volumes = outlet_volumes(source_shares, min_articles=min_articles)
    able = volumes.filter(pl.col("periods") >= min_periods)
    if able.height == 0:
        return _no_data(fig, title, (
            f"too few articles per outlet: {min_articles} a {period} in "
            f"{min_periods} {period}s needed"))
    shown = able.head(max_sources)
    src = shown["source"].to_list()
    data = source_shares.filter(pl.col("source").is_in(src)
                                & (pl.col("source_articles") >= min_articles))
    order = topic_order(topic_labels, data["topic_id"].unique().sort())
    colors = colors or topic_colors(order)
    busy = data.group_by("topic_id").agg(n=pl.col("articles").sum())
    ranked = sorted(busy.iter_rows(), key=lambda r: (-r[1], order.index(r[0])))
    topics = [t for t, n in ranked if n > 0][:max_topics]
    starts = sorted(source_shares["period_start"].unique().to_list())
    first, end = _span(starts, period, date_range)
    mids = {s: mdates.date2num(s) + (mdates.date2num(period_end(s, period))
                                     - mdates.date2num(s)) / 2 for s in starts}
    _titles(fig, title)
    footnote = (
        f"% of each outlet's articles per {period} that mention the topic, "
        f"{_range_words(first, end)}; the {plural(len(topics), 'busiest topic')}; "
        f"{len(src)} of {plural(volumes.height, 'outlet')} (those with {min_articles}+ "
        f"articles in {min_periods}+ {period}s); {period}s with fewer are left out")
    nrows = math.ceil(len(src) / ncols)
    cols = min(ncols, len(src))
    axes = fig.subplots(nrows, cols, squeeze=False, sharex=True, sharey=True)
    peak = 0.0
    for i, ax in enumerate(axes.flat):
        if i >= len(src):
            ax.set_axis_off()
            axes.flat[i - cols].xaxis.set_tick_params(labelbottom=True)
            continue
        rows = data.filter(pl.col("source") == src[i])
        months = dict(rows.unique("period_start").select("period_start", "source_articles")
                      .iter_rows())
        for topic in topics:
            got = dict(rows.filter(pl.col("topic_id") == topic)
                       .select("period_start", "articles").iter_rows())
            y = [got.get(s, 0) / months[s] if s in months else math.nan for s in starts]
            peak = max([peak, *(v for v in y if not math.isnan(v))])
            ax.plot([mids[s] for s in starts], y, color=colors[topic], linewidth=1.3,
                    marker="o", markersize=2.2)
        ax.set_title(f"{truncate(src[i], 28)} ({shown['articles'][i]:,})", loc="left",
                     fontsize=8.5, color="0.1", **SAFE_TEXT)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    top = max(peak * 1.1, 0.01)
    axes.flat[0].set_ylim(0, top)
    axes.flat[0].yaxis.set_major_locator(MaxNLocator(4))
    axes.flat[0].yaxis.set_major_formatter(PCT_TICKS)
    date_axis(axes.flat[0], first, end - timedelta(days=1), max_ticks=4 if cols >= 3 else 6,
              end=end)
    handles = [Line2D([], [], color=colors[t], linewidth=2,
                      label=truncate(topic_labels.get(t, t), 34)) for t in topics]
    _footnote(fig, footnote, handles, ncols=2)
    return _root(fig)


@_styled
def cooccurrence_chart(
    cooccurrence: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    value: str = "lift",
    max_topics: int = 20,
    min_articles: int = 3,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Upper-triangle heatmap of topic pairs (needs ``cooccurrence`` columns ``topic_a,
    topic_b, articles, lift``): each cell prints the articles that mention both topics and
    is coloured by ``value`` ("lift": how much more often than chance, on a log scale
    centred on 1; "articles": the count). Pairs with fewer than ``min_articles`` articles
    are left white (too few to judge). The ``max_topics`` topics in most pairs are shown."""
    title = "Topic co-occurrence"
    if fig is None and figsize is None:
        figsize = (10.0, 9.0)
    fig = _target(fig, figsize)
    pairs = cooccurrence.filter(pl.col("articles") > 0)
    if pairs.height == 0:
        return _no_data(fig, title, "no data: no two topics in the same article")
    weight = pl.concat([
        pairs.select(topic_id="topic_a", n="articles"), pairs.select(topic_id="topic_b",
                                                                    n="articles"),
    ]).group_by("topic_id").agg(pl.col("n").sum().cast(pl.Int64))
    order = topic_order(topic_labels, weight["topic_id"].sort())
    ranked = sorted(weight.iter_rows(), key=lambda r: (-r[1], order.index(r[0])))
    # Topics in most pairs first: the busy corner of the triangle is its top left.
    topics = [t for t, _ in ranked[:max_topics]]
    index = {t: i for i, t in enumerate(topics)}
    n = len(topics)
    counts = np.zeros((n, n), dtype=np.int64)
    lift = np.full((n, n), np.nan)
    for a, b, arts, lf in pairs.select("topic_a", "topic_b", "articles", "lift").iter_rows():
        if a in index and b in index:
            i, j = sorted((index[a], index[b]))
            counts[i, j] = arts
            lift[i, j] = lf if lf is not None else np.nan
    # Drop the first column and last row: the triangle then fills its square.
    rows, cols = topics[:-1], topics[1:]
    grid = np.full((max(n - 1, 1), max(n - 1, 1)), np.nan)
    texts = [["" for _ in cols] for _ in rows] or [[""]]
    for i in range(n - 1):
        for j in range(i + 1, n):
            k = counts[i, j]
            texts[i][j - 1] = f"{k:,}" if k else "·"
            if k >= min_articles:
                grid[i, j - 1] = (np.log2(max(lift[i, j], 1e-3)) if value == "lift"
                                  else float(k))
    _titles(fig, title)
    ax = fig.subplots()
    what = ("colour: lift (red: together more often than chance,\nblue: less often)"
            if value == "lift" else "colour: the same count")
    # Short lines: the subtitle starts where the plot does, right of the topic labels.
    _subtitle(ax, f"number: articles with both topics; {what};\n"
                  f"white: pairs with under {min_articles} articles")
    size = 7 if n <= 16 else 6
    norm: mpl.colors.Normalize
    if value == "lift":
        # The scale follows the data (2x to 16x) so that strong pairs still differ.
        spread = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
        limit = float(min(max(math.ceil(spread), 2), 4))
        cmap, norm = mpl.colormaps["RdBu_r"], TwoSlopeNorm(0.0, -limit, limit)
        grid = np.clip(grid, -limit, limit)
    else:
        cmap = mpl.colormaps["Blues"]
        norm = mpl.colors.Normalize(0, max(float(np.nanmax(grid)) if np.isfinite(grid).any()
                                           else 1.0, 1.0))
    image = _heatmap_cells(ax, grid, texts, cmap, norm, size)
    ax.set_yticks(range(len(rows)), [truncate(topic_labels.get(t, t), 30) for t in rows],
                  **SAFE_TEXT)
    # Vertical column labels: slanted ones would push the square into a narrow strip.
    ax.set_xticks(range(len(cols)), [truncate(topic_labels.get(t, t), 30) for t in cols],
                  rotation=90, ha="center", va="bottom", **SAFE_TEXT)
    ax.xaxis.tick_top()
    ax.set_xlim(-0.5, len(cols) - 0.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02, aspect=30, location="bottom")
    if value == "lift":
        ticks = list(range(-int(limit), int(limit) + 1, 1 if limit <= 2 else 2))
        bar.set_ticks(ticks, labels=[f"{2 ** k:g}×" if k >= 0 else f"1/{2 ** -k:g}×"
                                     for k in ticks])
        bar.set_label("lift: articles with both / expected if independent (1× = chance)")
    else:
        bar.set_label("articles mentioning both topics")
    return _root(fig)
