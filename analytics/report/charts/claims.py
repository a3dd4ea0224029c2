"""Spending-claim figure builders over time (frames in, ``Figure`` out; see report.charts)."""

from __future__ import annotations

from datetime import date

import matplotlib.dates as mdates
import polars as pl
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from analytics.report.charts import (
    NEUTRAL,
    _date_axis,
    _listed_colors,
    _no_data,
    _root,
    _styled,
    _target,
    _titles,
    claim_kind,
    unit_label,
)
from analytics.report.facts import articles_of
from analytics.report.formatting import SAFE_TEXT, fmt_date, fmt_number, plural, truncate

NO_ACTOR = "no actor named"
OTHER_ACTORS = "other actors"


def _size(n: int) -> float:
    return 24.0 + 22.0 * (n - 1) ** 0.85 if n > 1 else 24.0


@_styled
def spending_claims_over_time_chart(
    claims: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    max_actors: int = 7,
    max_panels: int = 2,
    fig: Figure | SubFigure | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Dots: which spending levels are mentioned when. x = the month the article was
    published, y = the claimed value, dot area = claims of that value that month; colour =
    who the level applies to (``actor``), the ``max_actors`` commonest named, the rest
    grouped. One panel per (claim type, unit), commonest first. Needs ``claims`` columns
    ``article_id, claim_type, value, unit`` (``actor`` optional) and ``articles`` columns
    ``article_id, published_at``."""
    title = "Spending targets over time"
    fig = _target(fig, figsize)
    actor = pl.col("actor") if "actor" in claims.columns else pl.lit(None, pl.String)
    dated = (
        claims.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
        .with_columns(actor=actor.str.strip_chars())
        .join(articles_of(articles, claims, "published_at"), on="article_id", how="inner")
        .drop_nulls("published_at")
        .with_columns(month=pl.col("published_at").dt.date().dt.truncate("1mo"))
    )
    if dated.height == 0:
        return _no_data(fig, title, "no data: no dated spending claims in this run")
    named = (dated.filter(pl.col("actor").is_not_null() & (pl.col("actor") != ""))
             .group_by("actor").agg(n=pl.len())
             .sort(["n", "actor"], descending=[True, False]))
    top = named["actor"].head(max_actors).to_list()
    dated = dated.with_columns(
        group=pl.when(pl.col("actor").is_null() | (pl.col("actor") == "")).then(pl.lit(NO_ACTOR))
        .when(pl.col("actor").is_in(top)).then(pl.col("actor"))
        .otherwise(pl.lit(OTHER_ACTORS)))
    groups = [g for g in [*top, OTHER_ACTORS, NO_ACTOR] if g in set(dated["group"])]

    tab10 = _listed_colors("tab10")
    palette = tab10[:7]  # olive and grey stay for the rest
    colors = {g: (*palette[i % 7], 0.85) for i, g in enumerate(top)}
    colors[OTHER_ACTORS] = (*tab10[8], 0.75)
    colors[NO_ACTOR] = (*NEUTRAL[:3], 0.6)
    # Groups sit side by side within their month (a few days apart), not on top of each other.
    slot = {g: i - (len(groups) - 1) / 2 for i, g in enumerate(groups)}
    step = min(3.0, 24.0 / max(len(groups), 1))
    panels = (dated.group_by("claim_type", "unit").agg(n=pl.len())
              .sort(["n", "claim_type", "unit"], descending=[True, False, False], nulls_last=True))
    shown = panels.head(max_panels)
    first, last = dated["month"].min(), dated["month"].max()
    assert isinstance(first, date) and isinstance(last, date)
    subtitle = f"{fmt_date(first)[:7]} to {fmt_date(last)[:7]}"
    if panels.height > shown.height:
        subtitle += f"; {panels.height - shown.height} rarer claim types or units not shown"
    _titles(fig, title)
    axes = fig.subplots(shown.height, 1, squeeze=False, sharex=True)[:, 0]
    for ax, (ctype, unit, _n) in zip(axes, shown.iter_rows(), strict=True):
        sel = dated.filter(pl.col("claim_type").eq_missing(ctype) & pl.col("unit").eq_missing(unit))
        dots = sel.group_by("month", "value", "group").agg(n=pl.len())
        # Draw the biggest dots first so small ones stay visible on top of them.
        dots = dots.sort(["n", "month", "value", "group"], descending=[True, False, False, False])
        x = [mdates.date2num(m) + slot[g] * step
             for m, g in zip(dots["month"].to_list(), dots["group"].to_list(), strict=True)]
        ax.scatter(x, dots["value"].to_list(),
                   s=[_size(n) for n in dots["n"].to_list()],
                   color=[colors[g] for g in dots["group"].to_list()],
                   edgecolors="white", linewidths=0.5, zorder=3)
        unit_text, kind = unit_label(unit), claim_kind(ctype)
        ax.set_title(truncate(f"{kind} ({unit_text}): {plural(sel.height, 'claim')} in "
                              f"{plural(sel['article_id'].n_unique(), 'article')} published "
                              f"{subtitle}", 110),
                     loc="left", fontsize=8.5, **SAFE_TEXT)
        ax.set_ylabel(f"level mentioned ({unit_text})", **SAFE_TEXT)
        low_value, high_value = sel["value"].min(), sel["value"].max()
        assert isinstance(low_value, float) and isinstance(high_value, float)
        low, high = float(low_value), float(high_value)
        pad = (high - low) * 0.1 or max(abs(high) * 0.15, 0.5)
        ax.set_ylim(min(0.0, low - pad), high + pad)
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v))
        ax.grid(alpha=0.3)
    months = pl.date_range(first, last, "1mo", eager=True).to_list()
    _date_axis(axes[-1], months, "month")
    axes[-1].set_xlabel("month the article was published")
    handles = [Line2D([], [], marker="o", linestyle="", markersize=6, color=colors[g],
                      label=truncate(g, 28)) for g in groups]
    most = dated.group_by("month", "value").len()["len"].max()
    assert isinstance(most, int | None)
    sizes = [n for n in (1, 5, 20) if n <= max(int(most or 1), 1)]
    handles += [Line2D([], [], marker="o", linestyle="", color="0.6",
                       markersize=_size(n) ** 0.5, label=plural(n, "claim")) for n in sizes]
    box = fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
                     frameon=False, title="who the level applies to · dot size: claims",
                     title_fontsize=8)
    for text in [*box.get_texts(), box.get_title()]:
        text.set_parse_math(False)
        text.set_usetex(False)
    return _root(fig)
