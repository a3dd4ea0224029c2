"""Theme figure builders: the 2-D article map and theme sizes over time.

See analytics.report.charts.

Theme -1 holds the outliers (articles that fit no theme); they are drawn grey.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib.artist import Artist
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox, IdentityTransform

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
SMALL_THEME_COLOR: Color = (0.36, 0.42, 0.50, 1.0)  # themes beyond the distinct colours


def _distinct_palette() -> list[tuple[float, float, float]]:
    # tab20 without its grey pair (grey means "no theme" and "other themes" here): its nine
    # strong shades, then their nine light ones.
    tab20 = [c for i, c in enumerate(_listed_colors("tab20")) if i not in (14, 15)]
    return tab20[0::2] + tab20[1::2]


DISTINCT = 18  # themes that get a colour of their own: tab20's hues without grey


def theme_colors(themes: pl.DataFrame) -> dict[int, Color]:
    """One colour per theme of ``themes`` (``theme_id, size``): the :data:`DISTINCT`
    largest get distinct colours (largest first), smaller ones a shared muted one, the
    outlier theme -1 grey. The map and the trends use it, so they agree."""
    palette = _distinct_palette()
    ranked = themes.filter(pl.col("theme_id") >= 0).sort(["size", "theme_id"],
                                                         descending=[True, False])
    colors: dict[int, Color] = {-1: OUTLIER_COLOR}
    for i, tid in enumerate(ranked["theme_id"].to_list()):
        colors[tid] = (*palette[i][:3], 1.0) if i < len(palette) else SMALL_THEME_COLOR
    return colors


def _legend(fig, handles, ncols: int, title: str, fontsize: float = 7.5) -> None:
    box = fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False,
                     title=title, title_fontsize=8, fontsize=fontsize)
    for text in [*box.get_texts(), box.get_title()]:
        text.set_parse_math(False)
        text.set_usetex(False)


class PlacedLabels(Artist):
    """Text labels next to their anchor points (data coordinates), placed when drawn so
    that no two overlap: largest first, each at its anchor if free, else at the nearest
    free spot on rings around it, with a leader line back to the anchor. A label with no
    free spot inside the axes is drawn as its short form, or not at all. Placing at draw
    time uses the final layout and the renderer's own text sizes (PDF and PNG alike)."""

    def __init__(self, ax: Any, anchors: Sequence[tuple[float, float]],
                 texts: Sequence[tuple[str, str]], colors: Sequence[Color], *,
                 fontsize: float = 7.0):
        super().__init__()
        self.ax = ax
        self.anchors = list(anchors)
        self.forms = list(texts)  # (full, short)
        self.texts = [Text(0, 0, full, fontsize=fontsize, ha="center", va="center",
                           fontweight="bold", transform=IdentityTransform(),
                           bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                 "edgecolor": color, "alpha": 0.85, "linewidth": 1.0},
                           **SAFE_TEXT)
                      for (full, _), color in zip(texts, colors, strict=True)]
        self.leaders = [Line2D([], [], color="0.25", linewidth=0.6,
                               transform=IdentityTransform()) for _ in texts]
        for artist in (*self.texts, *self.leaders):
            artist.set_figure(ax.figure)
        self.set_zorder(5)
        self.set_in_layout(False)  # its texts move at draw time: no part of the layout

    def get_children(self) -> list[Artist]:
        return [*self.texts, *self.leaders]

    def boxes(self, renderer: Any) -> list[Bbox]:
        """The frames of the drawn labels (display coordinates)."""
        return [t.get_bbox_patch().get_window_extent(renderer)  # type: ignore[union-attr]
                for t in self.texts if t.get_visible()]

    def _size(self, text: Text, renderer: Any, pad: float) -> tuple[float, float]:
        text.set_position((0, 0))
        box = text.get_window_extent(renderer)
        return box.width + 2 * pad, box.height + 2 * pad

    def place(self, renderer: Any) -> None:
        scale = renderer.points_to_pixels(1.0)
        pad = 0.2 * text_pt(self.texts) * scale + 1.5 * scale  # the frame's pad and a gap
        frame = self.ax.bbox
        placed = np.zeros((0, 4))
        anchors = self.ax.transData.transform(np.array(self.anchors, dtype=float).reshape(-1, 2))
        rings = _ring_offsets()
        for text, leader, (full, short), (ax_, ay) in zip(self.texts, self.leaders, self.forms,
                                                          anchors, strict=True):
            text.set_visible(True)
            leader.set_visible(False)
            spot = None
            for form in dict.fromkeys((full, short)):
                text.set_text(form)
                w, h = self._size(text, renderer, pad)
                step = h * 1.05
                cx = ax_ + rings[:, 0] * step
                cy = ay + rings[:, 1] * step
                boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
                inside = ((boxes[:, 0] >= frame.x0) & (boxes[:, 2] <= frame.x1)
                          & (boxes[:, 1] >= frame.y0) & (boxes[:, 3] <= frame.y1))
                free = inside.copy()
                if len(placed):
                    hit = ((boxes[:, None, 0] < placed[None, :, 2])
                           & (boxes[:, None, 2] > placed[None, :, 0])
                           & (boxes[:, None, 1] < placed[None, :, 3])
                           & (boxes[:, None, 3] > placed[None, :, 1])).any(axis=1)
                    free &= ~hit
                if free.any():
                    i = int(np.argmax(free))
                    spot = (cx[i], cy[i], boxes[i])
                    break
            if spot is None:
                text.set_visible(False)
                continue
            x, y, box = spot
            placed = np.vstack([placed, box])
            text.set_position((x, y))
            if math.hypot(x - ax_, y - ay) > h:
                # From the anchor to the nearest point of the label's frame.
                ex = min(max(ax_, box[0]), box[2])
                ey = min(max(ay, box[1]), box[3])
                leader.set_data([ax_, ex], [ay, ey])
                leader.set_visible(True)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        self.place(renderer)
        for leader in self.leaders:
            if leader.get_visible():
                leader.draw(renderer)
        for text in self.texts:
            if text.get_visible():
                text.draw(renderer)
        self.stale = False


def text_pt(texts: Sequence[Text]) -> float:
    return float(texts[0].get_fontsize()) if texts else 0.0


@functools.cache
def _ring_offsets() -> np.ndarray:
    """Candidate label centres around an anchor, in label heights, nearest first: the
    anchor, then 24 directions on rings 1 to 24 heights out (wider than high: labels are)."""
    spots = [(0.0, 0.0)]
    for r in range(1, 25):
        for k in range(24):
            angle = 2 * math.pi * k / 24
            spots.append((r * 2.2 * math.cos(angle), r * math.sin(angle)))
    return np.array(spots)


WEEK = timedelta(days=7)
SAMPLE_SEED = 20250605  # which articles a large theme map draws (polars' hash of the id)


def _short(label: str, width: int = 22) -> str:
    """A theme's first two label phrases ("world cup / england" of "world cup / england /
    final")."""
    return truncate(" / ".join((label or "").split(" / ")[:2]), width)


@_styled
def theme_map_chart(
    theme_coords: pl.DataFrame,
    article_themes: pl.DataFrame,
    themes: pl.DataFrame,
    *,
    max_legend: int = 50,
    max_points: int = 20_000,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Scatter: one dot per article at its 2-D map position (needs ``theme_coords``
    ``article_id, x, y``), coloured by its main theme (``article_themes``; the largest
    themes distinct colours, see :func:`theme_colors`), outliers grey; each theme is
    labelled ``id name`` at the middle of its articles, labels moved apart so none overlap
    (:class:`PlacedLabels`); the legend gives ``id: label (articles)`` from ``themes``.
    Above ``max_points`` articles a sample of that many is drawn (fixed by their ids);
    counts and middles use them all."""
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
    count = dict(sizes.iter_rows())
    colors = theme_colors(themes)
    colors.update({t: SMALL_THEME_COLOR for t in real if t not in colors})
    outliers = points.filter(pl.col("theme_id") < 0)
    _titles(fig, title)
    ax = fig.subplots()
    subtitle = (f"{plural(points.height, 'article')}, {plural(len(real), 'theme')}; "
                f"{plural(outliers.height, 'outlier')} (grey) fit no theme")
    if len(real) > DISTINCT:
        subtitle += f"; the {DISTINCT} largest in colour"
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
                   alpha=0.75 if colors[tid] != SMALL_THEME_COLOR else 0.45, linewidths=0,
                   zorder=2)
    middles = {t: (float(x), float(y)) for t, x, y in points.group_by("theme_id").agg(
        pl.col("x").median(), pl.col("y").median()).iter_rows()}
    names = [(f"{t} {_short(labels.get(t, ''))}".strip(), str(t)) for t in real]
    ax.add_artist(PlacedLabels(ax, [middles[t] for t in real], names,
                               [colors[t] for t in real],
                               fontsize=7.0 if len(real) <= 20 else 6.0))
    ax.set_xticks([])
    ax.set_yticks([])
    # Room at the edges for the labels of themes at the rim of the map.
    ax.margins(0.08)
    ax.set_xlabel("map of articles by theme similarity (axes have no units)")
    wide = len(real) > 20
    handles = [Line2D([], [], marker="o", linestyle="", markersize=5 if wide else 6,
                      color=colors[t],
                      label=f"{t}: {truncate(labels.get(t, ''), 30 if wide else 42)} "
                            f"({count[t]:,})")
               for t in real[:max_legend]]
    if len(real) > max_legend:
        handles.append(Line2D([], [], linestyle="", label=f"… {len(real) - max_legend} more"))
    handles.append(Line2D([], [], marker="o", linestyle="", markersize=6, color=OUTLIER_COLOR,
                          label=f"no theme ({outliers.height:,})"))
    _legend(fig, handles, 3 if wide else 2, "theme: label (articles)",
            fontsize=6.5 if wide else 7.5)
    return _root(fig)


@_styled
def theme_trends_chart(
    theme_trends: pl.DataFrame,
    themes: pl.DataFrame,
    *,
    max_themes: int = 10,
    date_range: tuple[date | None, date | None] | None = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Stacked areas: articles per theme per week (needs ``theme_trends`` columns
    ``period_start, theme_id, articles``), the ``max_themes`` largest themes coloured as on
    the map, the other themes in one grey band, outliers left out; weeks become months
    beyond 60 weeks. ``date_range`` (first and last day of the data) cuts the weeks at its
    ends: a week that starts before the data counts for the month its data is in, and
    the subtitle gives the data's days."""
    title = "Theme sizes over time"
    fig = _target(fig, figsize)
    data = theme_trends.filter(pl.col("theme_id") >= 0)
    if data.height == 0 or int(data["articles"].sum() or 0) == 0:
        return _no_data(fig, title, "no data: no theme trends in this run")
    low, high = date_range or (None, None)
    first_week, last_week = data["period_start"].min(), data["period_start"].max()
    assert isinstance(first_week, date) and isinstance(last_week, date)
    first = max(first_week, low) if low is not None and low < first_week + WEEK else first_week
    last = last_week + WEEK - timedelta(days=1)
    last = min(last, high) if high is not None and high >= last_week else last
    period = "week"
    if data["period_start"].n_unique() > 60:
        period = "month"
        start = pl.max_horizontal(pl.col("period_start"), pl.lit(first))
        data = (data.with_columns(start.dt.truncate("1mo").alias("period_start"))
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
    palette = theme_colors(themes)
    colors = {t: palette.get(t, SMALL_THEME_COLOR) for t in chosen}
    _titles(fig, title)
    ax = fig.subplots()
    others = totals.height - len(chosen)
    subtitle = (f"articles per {period} by main theme, {fmt_date(first)} to "
                f"{fmt_date(last)}; the {len(chosen)} largest of "
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
