"""Topic bursts: every (topic, period) of history tested against its own earlier periods.

A count model, not a z of shares (docs/bursts.md has the formulas, the defaults and why).
For topic k and period t (a day by default):

    x = the topic's canonical articles in t,  n = all canonical articles in t
    b = (X + a) / (N + a)   baseline share: X topic articles out of N articles in the
                            ``window`` periods before t, the periods the screening passes
                            flagged left out; ``a`` pseudo-articles are its floor
    p = P(Bin(n, b) >= x)   ratio = (x / n) / b   z = the normal deviate of p

* 'watch': p < watch_p, ratio >= watch_ratio, x >= watch_min_articles.
* 'burst': the same at the burst thresholds (ratio >= 2, >= 5 articles), spread over
  outlets (below), and confirmed by the trailing week (below).
* Robust baseline: a first pass screens each period against the median share of the
  window before it; the periods it flags are left out of the next pass's pooled baseline,
  so an earlier spike in the window neither raises the baseline nor hides the next
  burst. With fewer than ``min_history`` clean periods left (the topic stayed high) the
  whole window is used: a new level becomes the baseline.
* Per-source normalisation: a 'burst' needs ``burst_min_sources`` outlets on the topic,
  and its largest outlet may account for at most ``max_top_excess`` of the excess over
  expected, that outlet's own expected count being b times its own articles: one
  outlet's flood (a live blog, a feed repeating itself) is at most 'watch'. A stream of
  one outlet (nothing to compare with) is exempt.
* Weekly confirmation: the trailing ``confirm_window`` periods (a week of days) are
  tested against the baseline before them: a day's burst needs the week's
  ``p < confirm_p``; a week that passes the burst test itself flags a day that is still
  above its expected count (a rise too gradual for any one day to show).
* Causal: period t uses periods <= t only, so one call over the whole history gives the
  flags the daily runs would have given; appending later data changes no earlier row.

All of it is polars expressions over a (topic x period) grid, plus vectorised scipy calls
for the binomial tails; nothing loops over articles or periods.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl
from scipy.stats import binom, norm

from analytics.contracts import schema
from analytics.trends.counts import period_start

_STEP = {"day": "1d", "week": "1w"}
_STEP_DAYS = {"day": 1, "week": 7}
_Z_MAX = 38.0  # norm.isf of the smallest p a float64 holds (~1e-300) is about 37


@dataclass(frozen=True)
class BurstConfig:
    """Knobs of ``topic_bursts``; the defaults are for daily periods (docs/bursts.md).

    ``BurstConfig.for_period("week")`` gives the weekly defaults.
    """

    period: str = "day"  # "day" or "week"
    window: int = 28  # baseline periods before each period
    min_history: int = 14  # periods of baseline (clean ones preferred) needed to test at all
    pseudo_articles: float = 1.0  # the baseline's floor: a articles added to X and N
    passes: int = 2  # screening passes that pick the periods left out of the baseline
    watch_p: float = 1e-3
    watch_ratio: float = 1.5
    watch_min_articles: int = 3
    burst_p: float = 1e-3
    burst_ratio: float = 2.0
    burst_min_articles: int = 5
    burst_min_sources: int = 2
    confirm_window: int = 7  # trailing periods of the confirmation test; 1 = none
    confirm_p: float = 1e-2
    max_top_excess: float = 0.8  # a 'burst' owes at most this part of its excess to one outlet

    @classmethod
    def for_period(cls, period: str) -> BurstConfig:
        """The defaults for ``period``: weekly periods use an 8-week window (4 needed)
        and no confirmation window (a week is its own confirmation)."""
        if period == "week":
            return cls(period="week", window=8, min_history=4, confirm_window=1)
        return replace(cls(), period=period)


def _check(config: BurstConfig) -> None:
    if config.period not in _STEP:
        raise ValueError(f"period must be one of {', '.join(_STEP)}, got {config.period!r}")
    if config.window < 1 or not 1 <= config.min_history <= config.window:
        raise ValueError("need window >= 1 and 1 <= min_history <= window")
    if config.confirm_window < 1 or config.passes < 1 or config.pseudo_articles <= 0:
        raise ValueError("need confirm_window >= 1, passes >= 1 and pseudo_articles > 0")


def _upper_tail(x: pl.Series, n: pl.Series, p: pl.Series) -> pl.Series:
    """P(Bin(n, p) >= x) elementwise; null where an input is null or n is 0."""
    xs = x.cast(pl.Float64).to_numpy()
    ns = n.cast(pl.Float64).to_numpy()
    ps = p.cast(pl.Float64).fill_null(np.nan).to_numpy()
    ok = ~(np.isnan(xs) | np.isnan(ns) | np.isnan(ps)) & (ns > 0)
    out = np.full(xs.shape, np.nan)
    out[ok] = binom.sf(xs[ok] - 1, ns[ok], np.clip(ps[ok], 0.0, 1.0))
    return pl.Series(out).fill_nan(None)


def _z_of(p: pl.Series) -> pl.Series:
    """The normal deviate with upper tail ``p`` (capped at +-_Z_MAX)."""
    ps = p.fill_null(np.nan).to_numpy()
    z = np.clip(norm.isf(ps), -_Z_MAX, _Z_MAX)
    return pl.Series(z).fill_nan(None)


def _per_source(canon: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str]) -> pl.DataFrame:
    """(topic_id, source, period_start, c): the topic's canonical articles per outlet."""
    m = (
        mentions.select("article_id", "topic_id")
        .filter(pl.col("topic_id").is_in(topic_ids))
        .unique()
    )
    return (
        m.join(canon, on="article_id", how="inner")
        .group_by("topic_id", "source", "period_start")
        .agg(c=pl.len())
    )


def _trailing(frame: pl.DataFrame, keys: list[str], periods: int, step_days: int,
              last: date) -> pl.DataFrame:
    """``frame`` (``keys``, ``period_start``, ``c``) summed over the trailing ``periods``
    periods: each count falls in the windows ending in it and the next periods-1 ones."""
    if periods == 1:
        return frame
    return (
        frame.with_columns(_off=pl.int_ranges(0, periods))
        .explode("_off")
        .with_columns(period_start=pl.col("period_start")
                      + pl.duration(days=pl.col("_off") * step_days))
        .filter(pl.col("period_start") <= last)
        .group_by(*keys, "period_start")
        .agg(c=pl.col("c").sum())
    )


def _window_stats(per_source: pl.DataFrame, source_totals: pl.DataFrame, periods: int,
                  step_days: int, last: date, prefix: str) -> pl.DataFrame:
    """Per (topic, period t), over periods t-periods+1..t: the topic's articles (``x``),
    its outlets (``sources``), the largest outlet (``top_source``), its articles on the
    topic (``top``) and in all (``top_n``)."""
    ps = _trailing(per_source, ["topic_id", "source"], periods, step_days, last)
    totals = _trailing(source_totals, ["source"], periods, step_days, last)
    stats = ps.group_by("topic_id", "period_start").agg(
        x=pl.col("c").sum(),
        sources=pl.len(),
        top=pl.col("c").max(),
        top_source=pl.col("source").sort_by(["c", "source"], descending=[True, False]).first(),
    )
    stats = stats.join(
        totals.rename({"source": "top_source", "c": "top_n"}),
        on=["top_source", "period_start"], how="left",
    )
    return stats.rename({c: prefix + c for c in ("x", "sources", "top", "top_source", "top_n")})


def _baseline(grid: pl.DataFrame, excluded: pl.Expr | None, config: BurstConfig) -> pl.Series:
    """The baseline share of each row from the ``window`` rows before it (same topic).

    ``excluded`` None: the median share of those periods, floored at a / (N + a) (the
    screening pass). Else the pooled share (X + a) / (N + a) of the periods not excluded;
    the whole window when fewer than ``min_history`` of them are clean.
    """
    w, a = config.window, config.pseudo_articles

    def before(e: pl.Expr) -> pl.Expr:  # sum over the `window` rows before this one
        return e.rolling_sum(w, min_samples=1).shift(1).over("topic_id")

    has = pl.col("n") > 0
    n_all, x_all = before(pl.col("n")), before(pl.col("x"))
    k_all = before(has.cast(pl.Int64))
    enough = k_all >= config.min_history
    if excluded is None:
        share = pl.when(has).then(pl.col("x") / pl.col("n"))
        med = share.rolling_median(w, min_samples=config.min_history).shift(1).over("topic_id")
        b = pl.max_horizontal(med, a / (n_all + a))
    else:
        clean = has & ~excluded
        k = before(clean.cast(pl.Int64))
        x_c = before(pl.when(clean).then(pl.col("x")).otherwise(0))
        n_c = before(pl.when(clean).then(pl.col("n")).otherwise(0))
        use_clean = k >= config.min_history
        x_b = pl.when(use_clean).then(x_c).otherwise(x_all)
        n_b = pl.when(use_clean).then(n_c).otherwise(n_all)
        b = (x_b + a) / (n_b + a)
    return grid.select(pl.when(enough).then(b).alias("b"))["b"]


def _watch_test(x: str, n: str, b: str, p: str, config: BurstConfig) -> pl.Expr:
    ratio = (pl.col(x) / pl.col(n)) / pl.col(b)
    return ((pl.col(p) < config.watch_p) & (ratio >= config.watch_ratio)
            & (pl.col(x) >= config.watch_min_articles)).fill_null(False)


def _burst_test(prefix: str, n: str, b: str, p: str, config: BurstConfig) -> pl.Expr:
    """The watch test's terms at the burst thresholds and, where the stream has two
    outlets or more that period, ``burst_min_sources`` outlets on the topic and at most
    ``max_top_excess`` of the excess over expected from the largest one (its own expected
    count being the baseline share of its own articles). ``prefix``: the count columns
    (``x, sources, top, top_n, outlets``) of the period ("") or of the window ("w_")."""
    x, base = pl.col(prefix + "x"), pl.col(b)
    ratio = (x / pl.col(n)) / base
    excess = x - pl.col(n) * base
    top_excess = pl.col(prefix + "top") - pl.col(prefix + "top_n") * base
    spread = ((pl.col(prefix + "sources") >= config.burst_min_sources)
              & (top_excess <= config.max_top_excess * excess))
    one_outlet = pl.col(prefix + "outlets") < 2  # a single-outlet stream: nothing to compare
    return ((pl.col(p) < config.burst_p) & (ratio >= config.burst_ratio)
            & (x >= config.burst_min_articles) & (spread | one_outlet)).fill_null(False)


def _grid(canon: pl.DataFrame, per_source: pl.DataFrame, topic_ids: list[str],
          config: BurstConfig) -> pl.DataFrame:
    """One row per (topic, period) from the first to the last article, zero-filled:
    ``n`` (all articles), ``outlets`` (outlets publishing), ``x, sources, top, top_source,
    top_n`` (``_window_stats``) and the same over the trailing ``confirm_window`` periods:
    ``n_w``, ``w_outlets``, ``w_x, w_sources``..."""
    first, last = canon["period_start"].min(), canon["period_start"].max()
    assert isinstance(first, date) and isinstance(last, date)  # canon is not empty
    step_days, k = _STEP_DAYS[config.period], config.confirm_window
    source_totals = canon.group_by("source", "period_start").agg(c=pl.len())
    outlets = [  # outlets publishing anything in the period, and in the trailing window
        _trailing(source_totals, ["source"], periods, step_days, last)
        .group_by("period_start").agg(pl.len().alias(name))
        for periods, name in ((1, "outlets"), (k, "w_outlets"))
    ]
    totals = (
        pl.DataFrame({"period_start": pl.date_range(first, last, _STEP[config.period],
                                                    eager=True)})
        .join(canon.group_by("period_start").agg(n=pl.len()), on="period_start", how="left")
        .with_columns(pl.col("n").fill_null(0).cast(pl.Int64))
        .sort("period_start")
        .with_columns(n_w=pl.col("n").rolling_sum(k, min_samples=1))
        .join(outlets[0], on="period_start", how="left")
        .join(outlets[1], on="period_start", how="left")
        .with_columns(pl.col("outlets", "w_outlets").fill_null(0))
    )
    counts = ["x", "sources", "top", "top_n"]
    order = pl.DataFrame({"topic_id": topic_ids, "_o": range(len(topic_ids))})
    return (
        order.join(totals, how="cross")
        .join(_window_stats(per_source, source_totals, 1, step_days, last, ""),
              on=["topic_id", "period_start"], how="left")
        .join(_window_stats(per_source, source_totals, k, step_days, last, "w_"),
              on=["topic_id", "period_start"], how="left")
        .with_columns(pl.col(counts + [f"w_{c}" for c in counts]).fill_null(0).cast(pl.Int64))
        .sort("_o", "period_start")
    )


def topic_bursts(
    articles: pl.DataFrame,
    mentions: pl.DataFrame,
    topic_ids: list[str],
    config: BurstConfig = BurstConfig(),
) -> pl.DataFrame:
    """``bursts`` rows for every (topic, period) in history with a flag (level 'watch' or
    'burst'), sorted by period then topic (in ``topic_ids`` order).

    Needs ``articles.article_id, source, published_at, duplicate_of`` (canonical articles
    only count: ``duplicate_of`` null) and ``mentions.article_id, topic_id``. Periods run
    from the first to the last canonical article; a period is tested once its topic has
    ``min_history`` periods of baseline.
    """
    _check(config)
    canon = articles.filter(
        pl.col("duplicate_of").is_null() & pl.col("published_at").is_not_null()
    ).select(
        "article_id",
        pl.col("source").fill_null(""),
        period_start=period_start(pl.col("published_at"), config.period),
    )
    topic_ids = list(dict.fromkeys(topic_ids))
    if canon.is_empty() or not topic_ids:
        return schema.empty("bursts")
    per_source = _per_source(canon, mentions, topic_ids)
    grid = _grid(canon, per_source, topic_ids, config)

    # Screening passes: which periods stand out against the baseline; they are left out
    # of the next pass's baseline (a median first, then the pooled clean share).
    excluded: pl.Expr | None = None
    for _ in range(config.passes):
        grid = grid.with_columns(b=_baseline(grid, excluded, config))
        grid = grid.with_columns(p=_upper_tail(grid["x"], grid["n"], grid["b"]))
        grid = grid.with_columns(_excl=_watch_test("x", "n", "b", "p", config))
        excluded = pl.col("_excl")
    grid = grid.with_columns(b=_baseline(grid, excluded, config))

    # The period's own tests, then the trailing window's against the baseline before it.
    k = config.confirm_window
    # the window's baseline is the one before its first period; where that one is missing
    # (coverage gaps early in a stream) today's, which overlaps the window: conservative
    grid = grid.with_columns(
        b_w=pl.coalesce(pl.col("b").shift(k - 1).over("topic_id"), pl.col("b")))
    grid = grid.with_columns(
        p=_upper_tail(grid["x"], grid["n"], grid["b"]),
        p_w=_upper_tail(grid["w_x"], grid["n_w"], grid["b_w"]),
    )
    own_watch = _watch_test("x", "n", "b", "p", config)
    own_burst = _burst_test("", "n", "b", "p", config)
    if k > 1:
        # The week confirms a day's burst; a week that passes the tests itself flags a
        # day still above its expected count (a rise too gradual for any one day to show).
        above = (pl.col("x") > pl.col("n") * pl.col("b")).fill_null(False)
        confirmed = (pl.col("p_w") < config.confirm_p).fill_null(False)
        week_watch = _watch_test("w_x", "n_w", "b_w", "p_w", config)
        week_burst = _burst_test("w_", "n_w", "b_w", "p_w", config)
        burst = (own_burst & confirmed) | (week_burst & above)
        watch = own_watch | (week_watch & above)
    else:
        burst, watch = own_burst, own_watch
    grid = grid.with_columns(
        level=pl.when(burst).then(pl.lit("burst")).when(watch).then(pl.lit("watch"))
    )
    flagged = pl.col("level").is_not_null()
    run = (flagged != flagged.shift(1).fill_null(False)).cum_sum().over("topic_id")
    grid = grid.with_columns(_run=run).with_columns(
        onset=pl.col("period_start").min().over("topic_id", "_run")
    )

    out = grid.filter(flagged).with_columns(
        period=pl.lit(config.period),
        articles="x",
        total="n",
        share=pl.col("x") / pl.col("n"),
        baseline_share="b",
        expected=pl.col("n") * pl.col("b"),
        ratio=(pl.col("x") / pl.col("n")) / pl.col("b"),
        p_value="p",
        top_source_share=pl.col("top") / pl.col("x"),
        top_source_excess=(pl.col("top") - pl.col("top_n") * pl.col("b"))
        / (pl.col("x") - pl.col("n") * pl.col("b")),
        window_articles="w_x",
        window_ratio=(pl.col("w_x") / pl.col("n_w")) / pl.col("b_w"),
        window_p_value="p_w",
    )
    out = out.with_columns(z=_z_of(out["p"]))
    return schema.conform(out.sort("period_start", "_o"), "bursts")

