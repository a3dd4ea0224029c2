"""The brief's chart: each core topic's weekly share of all articles, the latest week marked.

Small multiples, each on its own scale (a topic at 2% is as readable as one at 40%); the
dashed line is the topic's median share of the weeks before, the dot the latest week.
Laid out by hand (no layout engine), so the chart sits inside a text page at a fixed place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.transforms import ScaledTranslation

from analytics.report.charts import NEUTRAL, Color, _root, _styled
from analytics.report.formatting import SAFE_TEXT, fmt_date, wrap

WIDTH = 7.07  # inches: the report's text width and its margin
HEIGHT = 3.3  # inches, on page 1
LATEST = (0.80, 0.15, 0.10, 1.0)
TITLE_BAND = 19.0  # points above a panel: two 7-point bold lines and a gap


def _pct(v: float) -> str:
    points = v * 100
    return f"{points:.0f}%" if points >= 10 or points < 0.05 else f"{points:.1f}%"


@_styled
def brief_share_chart(share: pl.DataFrame, topic_labels: Mapping[str, str],
                      topic_ids: list[str], *, colors: Mapping[str, Color] | None = None,
                      ncols: int = 5, fig: Figure | SubFigure | None = None,
                      height: float = HEIGHT) -> Figure:
    """``share`` (``period_start, topic_id, share``, zero-filled weeks) as one small panel
    per topic of ``topic_ids``; fewer than two weeks: a figure that says so."""
    if fig is None:
        fig = Figure(figsize=(WIDTH, height))
        FigureCanvasAgg(fig)
    starts: list[date] = share.get_column("period_start").unique().sort().to_list()
    if len(starts) < 2 or not topic_ids:
        fig.text(0.5, 0.5, "Core topics' weekly share: too few weeks of articles to draw",
                 ha="center", va="center", fontsize=10, color="0.4", **SAFE_TEXT)
        return _root(fig)
    fig.text(0.01, 0.985, f"Core topics: weekly share of all articles, week of "
             f"{fmt_date(starts[0])} to week of {fmt_date(starts[-1])}", fontsize=9,
             fontweight="bold", va="top", **SAFE_TEXT)
    fig.text(0.01, 0.92, "Red dot: the latest week. Dashed: the usual share (median of the "
             "weeks before). Each panel has its own scale.", fontsize=7, color="0.35",
             va="top", **SAFE_TEXT)
    nrows = -(-len(topic_ids) // ncols)
    grid = fig.add_gridspec(nrows, ncols, left=0.045, right=0.99, top=0.78, bottom=0.06,
                            hspace=1.05, wspace=0.36)
    x = np.arange(len(starts))
    title_band = ScaledTranslation(0, TITLE_BAND / 72, fig.dpi_scale_trans)
    for i, topic in enumerate(topic_ids):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        y = share.filter(pl.col("topic_id") == topic).sort("period_start")["share"].to_numpy()
        color = (colors or {}).get(topic, NEUTRAL)
        ax.fill_between(x, y, color=color, alpha=0.18, linewidth=0)
        ax.plot(x, y, color=color, linewidth=1.1, clip_on=False)
        usual = float(np.median(y[:-1]))
        ax.axhline(usual, color="0.35", linewidth=0.7, linestyle=(0, (3, 2)))
        ax.plot([x[-1]], [y[-1]], "o", color=LATEST, markersize=3.5, zorder=3,
                clip_on=False)  # a latest week at 0 sits on the axis, whole
        top = max(float(y.max()), usual, 1e-3)
        ax.set_ylim(0, top * 1.25)
        ax.set_xlim(0, x[-1] + 0.5)
        ax.set_xticks([])
        ax.set_yticks([0, top])
        ax.set_yticklabels(["", _pct(top)], fontsize=6, color="0.4")
        ax.tick_params(length=0, pad=1)
        # Top-aligned in a two-line band: a one-line title starts level with its row's
        # two-line ones instead of sitting lower (set_title aligns the last line).
        ax.text(0, 1, "\n".join(wrap(topic_labels.get(topic, topic), 19, 2)),
                transform=ax.transAxes + title_band, fontsize=7, fontweight="bold",
                ha="left", va="top", **SAFE_TEXT)
        ax.set_xlabel(f"latest {_pct(float(y[-1]))}, usual {_pct(usual)}", fontsize=6.5,
                      labelpad=1, color="0.25", loc="left", **SAFE_TEXT)
        for side in ("left", "bottom"):
            ax.spines[side].set_color("0.75")
    return _root(fig)
