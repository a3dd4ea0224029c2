"""Theme figure builders: the 2-D article map and theme sizes over time.

See analytics.report.charts.

Theme -1 holds the outliers (articles that fit no theme); they are drawn grey.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from analytics.report.charts import (
    Color,
    _date_axis,
    _listed_colors,
    _no_data,
    _root,
    _styled,
    _subtitle,
    _target,
    _titles,
)
from analytics.report.formatting import SAFE_TEXT, fmt_date, plural, truncate
from analytics.themes.clustering import main_themes

OUTLIER_COLOR: Color = (0.72, 0.72, 0.72, 1.0)
OTHER_COLOR: Color = (0.55, 0.58, 0.62, 1.0)


def theme_colors(theme_ids: Sequence[int]) -> dict[int, Color]:
    """One colour per theme id (tab20 strong shades, then light ones, then tab20b); the
    outlier theme -1 is grey. Stable for a given id: the map and the trends agree."""
    # tab20 without its grey pair: grey means "no theme" and "other themes" here.
    tab20 = [c for i, c in enumerate(_listed_colors("tab20")) if i not in (14, 15)]
    palette = tab20[0::2] + tab20[1::2] + _listed_colors("tab20b")
    return {t: OUTLIER_COLOR if t < 0 else (*palette[t % len(palette)][:3], 1.0)
            for t in theme_ids}


def _legend(fig, handles, ncols: int, title: str) -> None:
    box = fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False,
                     title=title, title_fontsize=8, fontsize=7.5)
    for text in [*box.get_texts(), box.get_title()]:
        text.set_parse_math(False)
        text.set_usetex(False)


SAMPLE_SEED = 20250605  # which articles a large theme map draws (polars' hash of the id)


@_styled
def theme_map_chart(
    theme_coords: pl.DataFrame,
    article_themes: pl.DataFrame,
    themes: pl.DataFrame,
    *,
    max_legend: int = 20,
    max_points: int = 20_000,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Scatter: one dot per article at its 2-D map position (needs ``theme_coords``
    ``article_id, x, y``), coloured by its main theme (``article_themes``), outliers grey;
    each theme's id marks the middle of its articles; the legend gives ``id: label``
    from ``themes``. Above ``max_points`` articles a sample of that many is drawn (fixed
    by their ids); counts and middles use them all."""
    title = "Theme map"
    if fig is None and figsize is None:
        figsize = (10.0, 9.0)
    fig = _target(fig, figsize)
    points = theme_coords.join(main_themes(article_themes), on="article_id", how="left")
    points = points.with_columns(pl.col("theme_id").fill_null(-1)).filter(
        pl.col("x").is_finite() & pl.col("y").is_finite())
    if points.height == 0:
        return _no_data(fig, title, "no data: no theme map in this run")
    labels = dict(themes.select("theme_id", "label").iter_rows())
    sizes = points.group_by("theme_id").len().sort(["len", "theme_id"],
                                                   descending=[True, False])
    real = [t for t in sizes["theme_id"].to_list() if t >= 0]
    colors = theme_colors([-1, *real])
    outliers = points.filter(pl.col("theme_id") < 0)
    _titles(fig, title)
    ax = fig.subplots()
    subtitle = (f"{plural(points.height, 'article')}, {plural(len(real), 'theme')}; "
                f"{plural(outliers.height, 'outlier')} (grey) fit no theme")
    drawn = points
    if points.height > max_points:
        # 1M dots take minutes to draw and bloat the PDF; a sample shows the same map. The
        # articles with the smallest id hashes: the same every rerun, and an article drawn
        # today is drawn tomorrow unless newer ones take its place (no reshuffled map).
        key = pl.col("article_id").hash(seed=SAMPLE_SEED)
        drawn = points.filter(key <= key.bottom_k(max_points).max())
        subtitle += f"; {drawn.height:,} drawn"
    _subtitle(ax, subtitle)
    marker = 9 if drawn.height > 2000 else 14 if drawn.height > 500 else 24
    grey = drawn.filter(pl.col("theme_id") < 0)
    ax.scatter(grey["x"].to_numpy(), grey["y"].to_numpy(), s=marker * 0.7,
               color=OUTLIER_COLOR, alpha=0.5, linewidths=0, zorder=1)
    # Small themes are drawn last so large ones cannot hide them.
    for tid in reversed(real):
        sel = drawn.filter(pl.col("theme_id") == tid)
        ax.scatter(sel["x"].to_numpy(), sel["y"].to_numpy(), s=marker, color=colors[tid],
                   alpha=0.75, linewidths=0, zorder=2)
    middles = {t: (x, y) for t, x, y in points.group_by("theme_id").agg(
        pl.col("x").median(), pl.col("y").median()).iter_rows()}
    for tid in real:
        x, y = middles[tid]
        ax.text(float(x), float(y), str(tid), ha="center", va="center", fontsize=8,
                fontweight="bold", zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                      "edgecolor": colors[tid], "alpha": 0.85, "linewidth": 1.0})
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("map of articles by theme similarity (axes have no units)")
    count = dict(sizes.iter_rows())
    handles = [Line2D([], [], marker="o", linestyle="", markersize=6, color=colors[t],
                      label=f"{t}: {truncate(labels.get(t, ''), 42)} ({count[t]:,})")
               for t in real[:max_legend]]
    if len(real) > max_legend:
        handles.append(Line2D([], [], linestyle="", label=f"… {len(real) - max_legend} more"))
    handles.append(Line2D([], [], marker="o", linestyle="", markersize=6, color=OUTLIER_COLOR,
                          label=f"no theme ({outliers.height:,})"))
    _legend(fig, handles, 2, "theme: label (articles)")
    return _root(fig)


@_styled
def theme_trends_chart(
    theme_trends: pl.DataFrame,
    themes: pl.DataFrame,
    *,
    max_themes: int = 10,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Stacked areas: articles per theme per week (needs ``theme_trends`` columns
    ``period_start, theme_id, articles``), the ``max_themes`` largest themes coloured, the
    other themes in one grey band, outliers left out; weeks become months beyond 60 weeks."""
    title = "Theme sizes over time"
    fig = _target(fig, figsize)
    data = theme_trends.filter(pl.col("theme_id") >= 0)
    if data.height == 0 or int(data["articles"].sum() or 0) == 0:
        return _no_data(fig, title, "no data: no theme trends in this run")
    period = "week"
    if data["period_start"].n_unique() > 60:
        period = "month"
        data = (data.with_columns(pl.col("period_start").dt.truncate("1mo"))
                .group_by("period_start", "theme_id").agg(pl.col("articles").sum()))
    totals = (data.group_by("theme_id").agg(n=pl.col("articles").sum())
              .filter(pl.col("n") > 0).sort(["n", "theme_id"], descending=[True, False]))
    chosen = totals["theme_id"].head(max_themes).to_list()
    labels = dict(themes.select("theme_id", "label").iter_rows())
    starts = sorted(data["period_start"].unique().to_list())
    grid = pl.DataFrame({"period_start": starts})
    series = []
    for tid in chosen:
        col = (grid.join(data.filter(pl.col("theme_id") == tid), on="period_start", how="left")
               ["articles"].fill_null(0).cast(pl.Int64).to_list())
        series.append(col)
    rest = (grid.join(data.filter(~pl.col("theme_id").is_in(chosen))
                      .group_by("period_start").agg(pl.col("articles").sum()),
                      on="period_start", how="left")["articles"].fill_null(0)
            .cast(pl.Int64).to_list())
    colors = theme_colors(chosen)
    _titles(fig, title)
    ax = fig.subplots()
    others = totals.height - len(chosen)
    subtitle = (f"articles per {period} by main theme, {fmt_date(starts[0])} to "
                f"{fmt_date(starts[-1])}; the {len(chosen)} largest of "
                f"{plural(totals.height, 'theme')}")
    if others:
        subtitle += f", {others} others in grey"
    _subtitle(ax, subtitle)
    stacks = [*series, rest] if others else series
    fills = [colors[t] for t in chosen] + ([OTHER_COLOR] if others else [])
    names = [f"{t}: {truncate(labels.get(t, ''), 40)}" for t in chosen]
    names += [f"{others} other themes"] if others else []
    x = [mdates.date2num(d) for d in starts]
    if len(starts) == 1:
        ax.bar(x, [s[0] for s in stacks], bottom=np.cumsum([0] + [s[0] for s in stacks])[:-1],
               color=fills, width=4)
    else:
        ax.stackplot(x, np.array(stacks, dtype=float), colors=fills, alpha=0.9,
                     linewidth=0.3, edgecolor="white")
    _date_axis(ax, starts, period)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"{period} starting (date, UTC)")
    ax.set_ylabel(f"articles per {period} (count)")
    ax.grid(alpha=0.3)
    handles = [Line2D([], [], linewidth=6, color=c, label=n)
               for c, n in zip(fills, names, strict=True)]
    _legend(fig, handles, 2, "theme: label")
    for text in ax.texts:
        text.update(SAFE_TEXT)
    return _root(fig)
