"""Figure builders: frames in, matplotlib ``Figure`` out (object API, Agg canvas, no pyplot).

Every builder draws into a new figure, or into ``fig`` (a ``Figure`` or ``SubFigure``, so
the report can place a chart on an A4 page), and returns the root ``Figure``. Empty
frames give a figure that says "no data". Only the report writer saves figures.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, cast

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure, SubFigure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.ticker import MaxNLocator, NullLocator
from matplotlib.transforms import Bbox
from matplotlib.typing import RcKeyType

from analytics.report.formatting import SAFE_TEXT, fmt_number, fmt_pct, plural, truncate

Color = tuple[float, float, float, float]

STYLE: dict[RcKeyType, Any] = {
    # DejaVu Sans (bundled with matplotlib: Latin, Cyrillic, Greek) first, then a CJK font
    # where one is installed (font_families); matplotlib falls back glyph by glyph.
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "text.usetex": False,
    "text.parse_math": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "pdf.fonttype": 42,  # TrueType: text in the PDF stays searchable and extractable
    "svg.hashsalt": "topicwatch",
}
DEFAULT_FIGSIZE = (10.0, 5.6)
NEUTRAL = (0.45, 0.52, 0.60, 1.0)


# CJK fallbacks, best first: the Debian package fonts-noto-cjk installs Noto Sans CJK.
CJK_FAMILIES = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",
                "Noto Sans CJK HK", "Source Han Sans", "WenQuanYi Zen Hei", "Droid Sans Fallback")


@functools.cache
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, then the first installed CJK family: only installed fonts are listed,
    so an absent one is not looked up (and warned about) for every text drawn. A font
    installed after matplotlib cached its font list is found among the system's files.
    The PDF embeds only the glyphs used, and the CJK font only when a CJK glyph is."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not installed.intersection(CJK_FAMILIES):
        for path in sorted(font_manager.findSystemFonts()):
            if "cjk" in path.lower() or "droidsansfallback" in path.lower():
                with contextlib.suppress(OSError, RuntimeError, ValueError):
                    font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in CJK_FAMILIES if name in installed][:1]
    return ("DejaVu Sans", *cjk)


_style_depth = 0


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The rcParams every chart and page is built and saved with. Nested uses enter
    nothing: ``rc_context`` copies every rcParam, and a report page's table enters this
    once per cell line (thousands of times)."""
    global _style_depth
    if _style_depth:
        yield
        return
    with mpl.rc_context({**STYLE, "font.family": list(font_families())}), \
            warnings.catch_warnings():
        # A glyph no installed font has (an emoji in a title) is drawn as a box; matplotlib
        # would warn once per glyph and per draw, thousands of lines for one report.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font",
                                category=UserWarning)
        _style_depth += 1
        try:
            yield
        finally:
            _style_depth -= 1


def _styled(builder: Callable[..., Figure]) -> Callable[..., Figure]:
    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with style():
            return builder(*args, **kwargs)

    return wrapper


def new_figure(figsize: tuple[float, float] | None = None) -> Figure:
    """A constrained-layout ``Figure`` on an Agg canvas (never a pyplot-managed window)."""
    fig = Figure(figsize=figsize or DEFAULT_FIGSIZE, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def freeze_layout(fig: Figure, digits: int = 6) -> Figure:
    """Run the figure's layout once (without drawing), round every position it chose, and
    switch it off.

    Constrained layout solves with kiwisolver, whose results vary in the last bits from
    one process to the next (memory-address order); the PDF backend prints coordinates
    with ten decimals, so those bits would reach the file. Rounded, frozen positions make
    saved files byte-identical across runs.
    """
    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        return fig
    with style():
        # The layout alone, as a draw runs it first (its text extents come from the
        # canvas's renderer at the figure's dpi), without drawing the artists.
        engine.execute(fig)

    def rounded(bbox: Any) -> Bbox:
        return Bbox(np.round(bbox.get_points(), digits))

    def freeze(container: Figure | SubFigure) -> None:
        for sub in container.subfigs:
            bbox = rounded(sub.bbox_relative)
            # Private, so not in the stubs: the only way to move a laid-out subfigure.
            sub._redo_transform_rel_fig(bbox=bbox)  # type: ignore[attr-defined]
            freeze(sub)
        for ax in container.axes:
            ax.set_position(rounded(ax.get_position(original=False)), which="both")
        # Private, so not in the stubs: the public getters return strings, not the Texts.
        labels = (container._suptitle,  # type: ignore[union-attr]
                  container._supxlabel,  # type: ignore[union-attr]
                  container._supylabel)  # type: ignore[union-attr]
        for label in labels:
            if label is not None:
                label.set_position(tuple(round(float(v), digits) for v in label.get_position()))

    freeze(fig)
    fig.set_layout_engine("none")
    return fig


def _target(fig: Figure | SubFigure | None, figsize: tuple[float, float] | None):
    return fig if fig is not None else new_figure(figsize)


def _root(fig: Figure | SubFigure) -> Figure:
    return fig.figure if isinstance(fig, SubFigure) else fig


def _titles(fig: Figure | SubFigure, title: str) -> None:
    fig.suptitle(title, fontsize=12, fontweight="bold", x=0.02, ha="left", **SAFE_TEXT)


def _subtitle(ax: Any, text: str) -> None:
    # An axes title rather than free figure text, so constrained layout makes room for it.
    ax.set_title(text, loc="left", fontsize=8, color="0.35", **SAFE_TEXT)


def _no_data(fig: Figure | SubFigure, title: str, message: str) -> Figure:
    _titles(fig, title)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, truncate(message, 120), ha="center", va="center", fontsize=12,
            color="0.4", transform=ax.transAxes, **SAFE_TEXT)
    return _root(fig)


# --- topics: order, colours, totals -------------------------------------------------


# The first 13 topics of the default taxonomy are its core topics (seeds/taxonomy.toml):
# the lead charts give each of them a panel, in taxonomy order.
CORE_TOPICS = 13


def core_topics(topic_labels: Mapping[str, str]) -> list[str]:
    """The core topics: the first :data:`CORE_TOPICS` of the taxonomy (its order is the
    order of ``topic_labels``)."""
    return list(topic_labels)[:CORE_TOPICS]


def topic_order(topic_labels: Mapping[str, str], *topic_ids: Iterable[str | None]) -> list[str]:
    """Taxonomy order first, then topic ids only found in the data, sorted."""
    order = list(topic_labels)
    known = set(order)
    extra = sorted({t for ids in topic_ids for t in ids if t is not None and t not in known})
    return order + extra


def _listed_colors(name: str) -> list[tuple[float, float, float]]:
    """The colours of a qualitative colormap (tab10, tab20...), in order."""
    cmap = mpl.colormaps[name]
    assert isinstance(cmap, ListedColormap), name
    # The stubs type .colors as any array-like; the qualitative maps hold RGB tuples.
    return list(cast("Sequence[tuple[float, float, float]]", cmap.colors))


def topic_colors(order: Sequence[str]) -> dict[str, Color]:
    """One colour per topic, stable for a given order: tab20's strong shades, then its light
    ones, then tab20b/tab20c, so neighbouring topics never get two shades of one hue."""
    tab20 = _listed_colors("tab20")
    palette = tab20[0::2] + tab20[1::2]
    palette += _listed_colors("tab20b") + _listed_colors("tab20c")
    return {t: (*palette[i % len(palette)][:3], 1.0) for i, t in enumerate(order)}


def topic_totals_table(
    topic_mentions: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    articles_total: int | None = None,
) -> pl.DataFrame:
    """One row per topic: ``topic_id, label, articles, mentions, share, evidence``.

    Needs ``topic_mentions`` columns ``article_id, topic_id, mentions, evidence``. Every
    taxonomy topic appears (zero when never mentioned); ``share`` is articles over
    ``articles_total`` (null without it); ``evidence`` is the sentence of the article that
    mentions the topic most. Sorted by articles, then taxonomy order.
    """
    hits = topic_mentions.filter(pl.col("mentions") > 0)
    order = topic_order(topic_labels, hits.get_column("topic_id").unique().sort().to_list())
    stats = hits.group_by("topic_id").agg(
        pl.col("article_id").n_unique().cast(pl.Int64).alias("articles"),
        pl.col("mentions").sum().cast(pl.Int64).alias("mentions"),
    )
    evidence = (
        hits.filter(pl.col("evidence").is_not_null() & (pl.col("evidence").str.strip_chars() != ""))
        .sort(["topic_id", "mentions", "article_id"], descending=[False, True, False])
        .group_by("topic_id", maintain_order=True)
        .first()
        .select("topic_id", "evidence")
    )
    base = pl.DataFrame(
        {
            "topic_id": order,
            "label": [topic_labels.get(t, t) for t in order],
            "rank": list(range(len(order))),
        },
        schema={"topic_id": pl.String, "label": pl.String, "rank": pl.Int64},
    )
    share = (
        pl.col("articles") / articles_total if articles_total else pl.lit(None, pl.Float64)
    )
    return (
        base.join(stats, on="topic_id", how="left")
        .join(evidence, on="topic_id", how="left")
        .with_columns(pl.col("articles", "mentions").fill_null(0))
        .with_columns(share.cast(pl.Float64).alias("share"))
        .sort(["articles", "rank"], descending=[True, False])
        .select("topic_id", "label", "articles", "mentions", "share", "evidence")
    )


@_styled
def topic_totals_chart(
    topic_mentions: pl.DataFrame,
    topic_labels: Mapping[str, str],
    *,
    articles_total: int | None = None,
    colors: Mapping[str, Color] | None = None,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Horizontal bars: articles mentioning each topic (needs ``topic_mentions`` columns
    ``article_id, topic_id, mentions``), largest on top, labelled with count and share."""
    title = "Articles per topic"
    table = topic_totals_table(topic_mentions, topic_labels, articles_total=articles_total)
    shown = table.filter(pl.col("articles") > 0)
    if fig is None and figsize is None:
        figsize = (DEFAULT_FIGSIZE[0], min(max(3.0, 1.2 + 0.32 * shown.height), 14.0))
    fig = _target(fig, figsize)
    if shown.height == 0:
        return _no_data(fig, title, "no data: no topic mentions in this run")
    colors = colors or topic_colors(topic_order(topic_labels, table["topic_id"]))
    quiet = table.height - shown.height
    subtitle = f"{shown.height} of {table.height} topics mentioned"
    if articles_total:
        subtitle += f" in {plural(articles_total, 'article')}"
    if quiet:
        subtitle += f"; {plural(quiet, 'topic')} with no articles not shown"
    _titles(fig, title)
    ax = fig.subplots()
    _subtitle(ax, subtitle)
    rows = shown.reverse()  # barh draws bottom-up; largest goes on top
    pos = list(range(rows.height))
    counts = rows["articles"].to_list()
    ax.barh(pos, counts, color=[colors[t] for t in rows["topic_id"]], height=0.7)
    ax.set_yticks(pos, [truncate(x, 40) for x in rows["label"]], **SAFE_TEXT)
    for y, n, s in zip(pos, counts, rows["share"].to_list(), strict=True):
        text = f" {n:,}" + (f" ({fmt_pct(s)})" if s is not None else "")
        ax.text(n, y, text, va="center", ha="left", fontsize=8, **SAFE_TEXT)
    ax.set_xlim(0, max(counts) * 1.22)
    ax.set_ylim(-0.6, len(pos) - 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("articles mentioning the topic (count)")
    ax.grid(axis="x", alpha=0.3)
    return _root(fig)


# --- trends ---------------------------------------------------------------------------


def _span_days(starts: pl.Series) -> int:
    """Days from the earliest to the latest of non-empty ``starts`` (dates)."""
    low, high = starts.min(), starts.max()
    assert isinstance(low, date) and isinstance(high, date)
    return (high - low).days


def choose_period(topic_trends: pl.DataFrame) -> str | None:
    """The period that suits the date range: day under 3 weeks, week up to 2 years, else
    month; falls back to whichever period the frame holds. Needs ``period_start, period``."""
    if topic_trends.height == 0:
        return None
    available = set(topic_trends.get_column("period").unique().to_list())
    span = _span_days(topic_trends.get_column("period_start"))
    wanted = "day" if span < 21 else "week" if span <= 730 else "month"
    for period in (wanted, "week", "day", "month"):
        if period in available:
            return period
    return sorted(available)[0]


PERIOD_DAYS = {"day": 1, "week": 7, "month": 31}


def period_end(start: date, period: str) -> date:
    """The first day after the period that starts on ``start``."""
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=PERIOD_DAYS.get(period, 1))


def _month_ticks(first: date, last: date, step: int) -> list[date]:
    ticks, year, month = [], first.year, first.month
    while (day := date(year, month, 1)) <= last:
        if day >= first and ((month - 1) % step == 0 if step < 12
                             else month == 1 and year % (step // 12) == 0):
            ticks.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks


def date_ticks(first: date, last: date, max_ticks: int = 8) -> tuple[list[date], list[str]]:
    """Whole-day ticks from ``first`` to ``last`` and their labels: every 1, 2, 7 or 14
    days, or every 1, 2, 3, 6 or 12 months, the finest with at most ``max_ticks``; the
    year is written on the first tick and where it changes. Never hours (the axes show
    daily data), never matplotlib's AutoDateLocator (which warns on some ranges)."""
    span = (last - first).days
    ticks: list[date] = [first]
    monthly = False
    for days in (1, 2, 7, 14):
        if span // days + 1 <= max_ticks:
            ticks = [first + timedelta(days=d) for d in range(0, span + 1, days)]
            break
    else:
        monthly = True
        for months in (1, 2, 3, 6, 12, 24, 60):
            ticks = _month_ticks(first, last, months)
            if len(ticks) <= max_ticks:
                break
    labels = []
    for i, day in enumerate(ticks):
        new_year = i == 0 or day.year != ticks[i - 1].year
        if monthly and all(t.month == 1 for t in ticks):
            labels.append(str(day.year))
        elif monthly:
            labels.append(day.strftime("%b") + (f"\n{day.year}" if new_year else ""))
        else:
            labels.append(f"{day.day} {day:%b}" + (f"\n{day.year}" if new_year else ""))
    return ticks, labels


def date_axis(ax: Any, first: date, last: date, *, max_ticks: int = 8,
              end: date | None = None) -> None:
    """Ticks of :func:`date_ticks` on ``ax``'s x axis (dates as matplotlib day numbers),
    its limits from ``first`` to ``end`` (default: the day after ``last``)."""
    ticks, labels = date_ticks(first, last, max_ticks)
    ax.set_xticks([mdates.date2num(d) for d in ticks], labels)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(mdates.date2num(first), mdates.date2num(end or last + timedelta(days=1)))


def _date_axis(ax: Any, starts: list[date], period: str) -> None:
    """Dates of ``period`` starts drawn at their starts: ticks from the first to the last,
    the axis padded by half a period on either side."""
    date_axis(ax, starts[0], starts[-1], max_ticks=9)
    pad = {"day": 0.6, "week": 3.5, "month": 15.0}.get(period, 1.0)
    ax.set_xlim(mdates.date2num(starts[0]) - pad, mdates.date2num(starts[-1]) + pad)


# --- themes ---------------------------------------------------------------------------


@_styled
def themes_chart(
    themes: pl.DataFrame,
    *,
    status: str = "",
    max_themes: int = 15,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Horizontal bars: articles per theme, each labelled with its top terms (needs
    ``themes`` columns ``theme_id, label, top_terms, size``; theme -1 is the outliers).
    Without themes the figure shows ``status`` (why themes were not computed)."""
    title = "Themes and their top terms"
    real = themes.filter(pl.col("theme_id") >= 0)
    real = real.sort(["size", "theme_id"], descending=[True, False])
    shown = real.head(max_themes)
    if fig is None and figsize is None:
        figsize = (DEFAULT_FIGSIZE[0], min(max(3.0, 1.4 + 0.5 * shown.height), 14.0))
    fig = _target(fig, figsize)
    if shown.height == 0:
        return _no_data(fig, title, status or "no data: no themes in this run")
    outliers = int(themes.filter(pl.col("theme_id") < 0)["size"].sum() or 0)
    subtitle = plural(real.height, "theme")
    if real.height > shown.height:
        subtitle += f", the {shown.height} largest shown"
    if outliers:
        subtitle += f"; {plural(outliers, 'article')} fit no theme"
    _titles(fig, title)
    ax = fig.subplots()
    _subtitle(ax, subtitle)
    sizes = shown["size"].to_list()
    top = max(max(sizes), 1)
    # Each theme is a bar with its label and terms written above it, clipped to the axes:
    # tick labels of untrusted width would squeeze the plot to nothing.
    for i, (tid, label, terms, size) in enumerate(shown.iter_rows()):
        y = shown.height - 1 - i
        ax.barh(y - 0.2, size, color=NEUTRAL, height=0.4)
        ax.text(size, y - 0.2, f" {size:,}", va="center", ha="left", fontsize=8)
        words = " · ".join(truncate(t, 24) for t in (terms or [])[:6])
        for offset, text, weight, color in ((0.0, truncate(words, 110), "normal", "0.3"),
                                            (1.3, f"{tid}: {truncate(label, 60)}", "bold", "0")):
            item = ax.annotate(text, (0, y + 0.06), xytext=(0, offset), fontweight=weight,
                               textcoords="offset fontsize", va="bottom", fontsize=8,
                               color=color, annotation_clip=False, clip_on=True, **SAFE_TEXT)
            item.set_clip_box(ax.bbox)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0, top * 1.12)
    ax.set_ylim(-0.6, shown.height - 0.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("articles in the theme (count)")
    ax.grid(axis="x", alpha=0.3)
    return _root(fig)


# --- spending claims ------------------------------------------------------------------


def unit_label(unit: str | None) -> str:
    """"% of GDP" for the extractor's ``percent_gdp``, else the unit as given."""
    return "% of GDP" if unit == "percent_gdp" else truncate(unit, 20) or "no unit"


def claim_kind(claim_type: str | None) -> str:
    """A claim type in words ("defence spending" for ``defense_spending_gdp``)."""
    return (claim_type or "claim").replace("_", " ").replace("defense spending gdp",
                                                             "defence spending")


@_styled
def spending_claims_chart(
    claims: pl.DataFrame,
    *,
    max_panels: int = 2,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Dots: claimed value by target year, one panel per (claim type, unit), the commonest
    first; dot area grows with the number of identical claims. Needs ``claims`` columns
    ``claim_type, value, unit, target_year``."""
    title = "Spending claims by target year"
    fig = _target(fig, figsize)
    claims = claims.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    if claims.height == 0:
        return _no_data(fig, title, "no data: no spending claims in this run")
    groups = (
        claims.group_by("claim_type", "unit")
        .agg(pl.len().alias("n"))
        .sort(["n", "claim_type", "unit"], descending=[True, False, False], nulls_last=True)
    )
    shown = groups.head(max_panels)
    subtitle = plural(claims.height, "claim")
    if groups.height > shown.height:
        subtitle += f"; {groups.height - shown.height} rarer claim types or units not shown"
    _titles(fig, title)
    fig.supxlabel(subtitle, fontsize=8, color="0.35", x=0.02, ha="left")
    axes = fig.subplots(1, shown.height, squeeze=False)[0]
    for ax, (ctype, unit, _) in zip(axes, shown.iter_rows(), strict=True):
        sel = claims.filter(
            pl.col("claim_type").eq_missing(ctype) & pl.col("unit").eq_missing(unit)
        )
        years = sorted({y for y in sel["target_year"].to_list() if y is not None})
        slots: list[int | None] = [*years, None] if sel["target_year"].null_count() else years
        xpos = {y: i for i, y in enumerate(slots)}
        dots = sel.group_by("target_year", "value").agg(pl.len().alias("n")).sort(
            ["target_year", "value"], nulls_last=True
        )
        ax.scatter(
            [xpos[y] for y in dots["target_year"].to_list()],
            dots["value"].to_list(),
            s=[30 + 25 * (n - 1) for n in dots["n"].to_list()],
            color=(0.12, 0.47, 0.71, 0.75),
            edgecolors="white",
            linewidths=0.6,
            zorder=3,
        )
        ax.set_xticks(range(len(slots)), [str(y) if y is not None else "no year" for y in slots])
        ax.set_xlim(-0.7, len(slots) - 0.3)
        ax.set_title(truncate(f"{claim_kind(ctype)} ({unit_label(unit)})", 48), fontsize=9,
                     **SAFE_TEXT)
        ax.set_xlabel("target year")
        ax.set_ylabel(f"claimed value ({unit_label(unit)})", **SAFE_TEXT)
        low, high = min(sel["value"]), max(sel["value"])
        pad = (high - low) * 0.15 or max(abs(high) * 0.15, 0.5)
        ax.set_ylim(min(0, low - pad), high + pad)
        ax.grid(alpha=0.3)
        for y, v, n in dots.iter_rows():
            if n > 1:
                ax.annotate(f"×{n}", (xpos[y], v), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=7, color="0.3")
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v))
    return _root(fig)
