"""Topic figure builders beyond counts: share over time, share by source, co-occurrence.

Same rules as :mod:`analytics.report.charts`: frames in, a ``Figure`` out (drawn into ``fig`` when
given), "no data" figures for empty frames, untrusted text drawn literally.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure, SubFigure
from matplotlib.image import AxesImage
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analytics.report.charts import (
    Color,
    _no_data,
    _root,
    _span_days,
    _styled,
    _subtitle,
    _target,
    _titles,
    choose_period,
    topic_colors,
    topic_order,
)
from analytics.report.formatting import SAFE_TEXT, fmt_date, plural, truncate

PCT = FuncFormatter(lambda v, _pos: f"{v * 100:.0f}%")


def share_period(topic_trends: pl.DataFrame) -> str | None:
    """Period for shares: months beyond half a year (weekly shares of a long range are
    mostly noise), else :func:`analytics.report.charts.choose_period`."""
    period = choose_period(topic_trends)
    if period is None:
        return None
    span = _span_days(topic_trends.get_column("period_start"))
    available = set(topic_trends.get_column("period").unique().to_list())
    return "month" if span > 183 and "month" in available else period


@_styled
def topic_share_chart(
    topic_trends: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    period: str | None = None,
    max_topics: int = 12,
    ncols: int = 3,
    colors: Mapping[str, Color] | None = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Small multiples: each topic's share of all articles per period (needs
    ``topic_trends`` columns ``period_start, period, topic_id, articles, share``), one
    panel per topic with a common y axis, the ``max_topics`` busiest topics; the dashed
    line is the topic's share over the whole range."""
    title = "Topic share over time"
    period = period or share_period(topic_trends)
    data = topic_trends.filter(pl.col("period") == period) if period else topic_trends.clear()
    totals = (data.group_by("topic_id").agg(n=pl.col("articles").sum())
              .filter(pl.col("n") > 0))
    n_shown = min(totals.height, max_topics)
    if fig is None and figsize is None:
        panel_rows = max(math.ceil(n_shown / ncols), 1)
        figsize = (10.0, min(1.6 + 1.7 * panel_rows, 14.0))
    fig = _target(fig, figsize)
    if totals.height == 0:
        return _no_data(fig, title, "no data: no topic trends in this run")
    order = topic_order(topic_labels, data["topic_id"].unique().sort())
    colors = colors or topic_colors(order)
    rank = {t: i for i, t in enumerate(order)}
    top = sorted(totals.iter_rows(), key=lambda r: (-r[1], rank[r[0]]))
    chosen = [t for t, _ in top[:max_topics]]
    # Articles per period (any topic or none) from the shares: articles / share.
    per_period = (data.filter(pl.col("share") > 0)
                  .group_by("period_start").agg(total=(pl.col("articles") / pl.col("share"))
                                                .median().round(0)))
    starts = sorted(data["period_start"].unique().to_list())
    subtitle = f"share of articles per {period}, {fmt_date(starts[0])} to {fmt_date(starts[-1])}"
    if len(top) > len(chosen):
        subtitle += f"; the {len(chosen)} busiest of {len(top)} topics"
    _titles(fig, title)
    nrows = math.ceil(len(chosen) / ncols)
    cols = min(ncols, len(chosen))
    axes = fig.subplots(nrows, cols, squeeze=False, sharex=True, sharey=True)
    peak_share = data.filter(pl.col("topic_id").is_in(chosen))["share"].max()
    assert isinstance(peak_share, float | None)
    peak = float(peak_share or 0.0)
    grand = int(per_period["total"].sum() or 0)
    for i, ax in enumerate(axes.flat):
        if i >= len(chosen):
            ax.set_axis_off()
            continue
        topic = chosen[i]
        rows = data.filter(pl.col("topic_id") == topic).sort("period_start")
        x = rows["period_start"].to_list()
        y = rows["share"].to_list()
        ax.fill_between(x, y, color=colors[topic], alpha=0.25, linewidth=0)
        ax.plot(x, y, color=colors[topic], linewidth=1.4,
                marker="o" if len(x) <= 16 else None, markersize=2.5)
        if grand:
            overall = float(rows["articles"].sum()) / grand
            ax.axhline(overall, color="0.35", linewidth=0.8, linestyle="--")
        ax.set_title(truncate(topic_labels.get(topic, topic), 30), loc="left", fontsize=8.5,
                     color="0.1", **SAFE_TEXT)
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(PCT)
        ax.yaxis.set_major_locator(MaxNLocator(4))
    axes.flat[0].set_ylim(0, max(peak * 1.1, 0.01))
    # Panels are narrow: a few concise date ticks, not one per period.
    locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
    axes.flat[0].xaxis.set_major_locator(locator)
    axes.flat[0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    pad = {"day": 0.6, "week": 3.5, "month": 15.0}.get(period or "day", 1.0)
    axes.flat[0].set_xlim(mdates.date2num(starts[0]) - pad, mdates.date2num(starts[-1]) + pad)
    for ax in axes.flat:
        ax.tick_params(axis="x", labelsize=7)
    # Panels in the last row that are empty leave the row above without x labels.
    for i in range(len(chosen), nrows * cols):
        above = axes.flat[i - cols]
        above.xaxis.set_tick_params(labelbottom=True, labelsize=7)
    fig.supxlabel(subtitle + "; dashed: the topic's share over the whole range", fontsize=8,
                  color="0.35", x=0.02, ha="left")
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


@_styled
def source_shares_chart(
    source_shares: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    latest_only: bool = False,
    max_sources: int = 16,
    max_topics: int = 24,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Heatmap, topic × source: the share of each source's articles that mention the topic
    (needs ``source_shares`` columns ``period_start, source, topic_id, articles,
    source_articles``), over the whole range or the latest period only. Sources with most
    articles first; each column label carries its article count."""
    title = "Share by source"
    data = source_shares
    if latest_only and data.height:
        data = data.filter(pl.col("period_start") == data["period_start"].max())
    if fig is None and figsize is None:
        figsize = (10.0, 8.0)
    fig = _target(fig, figsize)
    if data.height == 0 or int(data["articles"].sum() or 0) == 0:
        return _no_data(fig, title, "no data: no topic mentions by source in this run")
    sources = (data.unique(["period_start", "source"]).group_by("source")
               .agg(n=pl.col("source_articles").sum().cast(pl.Int64))
               .sort(["n", "source"], descending=[True, False]))
    shown_sources = sources.head(max_sources)
    counts = data.group_by("source", "topic_id").agg(a=pl.col("articles").sum().cast(pl.Int64))
    cells = counts.join(shown_sources, on="source").with_columns(share=pl.col("a") / pl.col("n"))
    order = topic_order(topic_labels, cells["topic_id"].unique().sort())
    busy = cells.group_by("topic_id").agg(pl.col("a").sum())
    present = {t for t, a in busy.iter_rows() if a > 0}
    # Busiest topics on top, as in the topic table.
    ranked = sorted(busy.iter_rows(), key=lambda r: (-r[1], order.index(r[0])))
    topics = [t for t, _ in ranked if t in present][:max_topics]
    src = shown_sources["source"].to_list()
    values = np.full((len(topics), len(src)), np.nan)
    lookup = {(t, s): v for s, t, _a, _n, v in cells.iter_rows()}
    for r, t in enumerate(topics):
        for c, s in enumerate(src):
            values[r, c] = lookup.get((t, s), 0.0)
    texts = [[f"{v * 100:.0f}" if v >= 0.005 else "" for v in row] for row in values]
    first, last = data["period_start"].min(), data["period_start"].max()
    assert isinstance(first, date) and isinstance(last, date)
    span = (f"{fmt_date(first)[:7]}" if latest_only or first == last
            else f"{fmt_date(first)[:7]} to {fmt_date(last)[:7]}")
    subtitle = (f"% of each source's articles that mention the topic, {span}; "
                f"{plural(len(src), 'source')}")
    if sources.height > len(src):
        subtitle += f", the {len(src)} largest of {sources.height}"
    _titles(fig, title)
    ax = fig.subplots()
    _subtitle(ax, subtitle)
    size = 7 if len(src) <= 14 else 6
    image = _heatmap_cells(ax, values, texts, mpl.colormaps["Blues"],
                           mpl.colors.Normalize(0, max(float(np.nanmax(values)), 0.01)), size)
    ax.set_yticks(range(len(topics)), [truncate(topic_labels.get(t, t), 34) for t in topics],
                  **SAFE_TEXT)
    ax.set_xticks(range(len(src)), [f"{truncate(s, 22)} ({n:,})" for s, n in
                                    shown_sources.iter_rows()],
                  rotation=40, ha="right", rotation_mode="anchor", **SAFE_TEXT)
    bar = fig.colorbar(image, ax=ax, shrink=0.5, pad=0.01, aspect=30)
    bar.ax.yaxis.set_major_formatter(PCT)
    bar.set_label("share of the source's articles")
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
