"""The bursts timeline (frames in, ``Figure`` out; see report.charts)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import polars as pl
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from analytics.report.charts import (
    NEUTRAL,
    Color,
    _no_data,
    _root,
    _styled,
    _target,
    _titles,
    date_axis,
    topic_order,
)
from analytics.report.formatting import SAFE_TEXT, fmt_date, truncate


def _size(ratio: float) -> float:
    return 14.0 + 26.0 * min(max(ratio, 1.0), 12.0) ** 0.8


@_styled
def bursts_timeline_chart(
    bursts: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    colors: Mapping[str, Color] | None = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """One row per topic with a flag, one mark per flagged period: filled for 'burst',
    open for 'watch'; the mark's area grows with the ratio to the baseline. Needs
    ``bursts`` columns ``topic_id, period_start, level, ratio``."""
    title = "Bursts over time"
    fig = _target(fig, figsize)
    if bursts.is_empty():
        return _no_data(fig, title, "no data: no topic burst in this date range")
    order = [t for t in topic_order(topic_labels, bursts["topic_id"])
             if t in set(bursts["topic_id"])]
    colors = colors or {}
    _titles(fig, title)
    ax = fig.subplots()
    rows = {t: i for i, t in enumerate(reversed(order))}
    for level, filled in (("watch", False), ("burst", True)):
        part = bursts.filter(pl.col("level") == level)
        for topic in order:
            p = part.filter(pl.col("topic_id") == topic)
            if p.is_empty():
                continue
            color = colors.get(topic, NEUTRAL)
            ax.scatter([mdates.date2num(d) + 0.5 for d in p["period_start"].to_list()],
                       [rows[topic]] * p.height,
                       s=[_size(r) for r in p["ratio"].fill_null(1.0).to_list()],
                       facecolors=color if filled else "none", edgecolors=color,
                       linewidths=1.0, alpha=0.85 if filled else 0.7, zorder=3 if filled else 2)
    ax.set_yticks(range(len(order)),
                  [truncate(topic_labels.get(t, t), 34) for t in reversed(order)], fontsize=8)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    starts = bursts["period_start"].sort().to_list()
    first, last = starts[0], starts[-1]
    date_axis(ax, first, last, max_ticks=9)
    ax.set_xlim(mdates.date2num(first) - 3, mdates.date2num(last) + 4)  # room for the marks
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(f"flagged periods {fmt_date(first)} to {fmt_date(last)}", loc="left",
                 fontsize=8, color="0.35", **SAFE_TEXT)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor="0.3",
                      markeredgecolor="0.3", label="burst"),
               Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor="none",
                      markeredgecolor="0.3", label="watch")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.08), ncols=2,
              fontsize=8, frameon=False)
    return _root(fig)
