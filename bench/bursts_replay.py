"""Replay benchmark for topic-burst detectors against dated real events (issue 14).

    .venv/bin/python -m bench.bursts_replay                     # tables for every corpus
    .venv/bin/python -m bench.bursts_replay --corpus rss        # one corpus (rss|gnews|cnn)
    .venv/bin/python -m bench.bursts_replay --corpus rss --sample-flags 30 --detector bursts_day
                                                                # flags to read and judge

Reads the shared corpora in place (``../shared/corpora``; exit 2 with ``skipped: ...``
when they are missing), tags them with the default taxonomy and replays, over the whole
history, every detector below as if each day or week had been the latest:

* ``naive_week``: share this week > 2x the mean share of the previous 4 weeks, with
  >= 5 articles (4 full weeks of history needed).
* ``emerging_week``: today's detector, ``analytics.trends.emerging.emerging_topics`` on
  the weekly ``topic_trends`` cut after each week in turn (that week is "the latest").
* ``bursts_day`` / ``bursts_week``: ``analytics.trends.bursts.topic_bursts`` (one causal
  call per period kind; 'burst' level), and ``bursts_day_watch`` / ``bursts_week_watch``
  ('watch' or 'burst'). Skipped with a message when the module does not import.

Events (``bench/eval/events.csv``, chosen before any detector ran; EVENTS.md) are matched
to flags of the same topic: a daily flag matches when its day is within
[event - 3 days, event + 7 days]; a weekly flag when its week is the event's week or the
next one. Lead time = the first matching flag's date minus the event date, in days
(negative: early), where a weekly flag's date is the last day of its week (the first day
a weekly run could have reported it).

Precision is read, not assumed (the event list is not exhaustive): a seeded random
sample of ``--precision-sample`` flags per detector (30 by default) is judged; a sampled
flag that matches a listed event counts as real without reading, the others need a row
in ``bench/eval/flag_judgements.csv`` (corpus, detector, topic_id, period_start, real,
note). A judgement is about a topic's day or week, so it serves every detector of that
period kind. ``--sample-flags N`` prints such a sample with five of the topic's titles
per flag, for the reader.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import tag_topics
from analytics.trends.counts import period_start, topic_trends
from analytics.trends.emerging import EmergingConfig, emerging_topics
from bench.eval.load import CNN, GNEWS, RSS, _indexed, _rss

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
EVENTS_CSV = REPO / "bench" / "eval" / "events.csv"
JUDGEMENTS_CSV = REPO / "bench" / "eval" / "flag_judgements.csv"
TAXONOMY = REPO / "seeds" / "taxonomy.toml"

SHORT = {"rss": RSS, "gnews": GNEWS, "cnn": CNN}
DAY_BEFORE, DAY_AFTER = 3, 7  # daily match window around the event date
WEEKS_AFTER = 1  # weekly: the event's week or the next
DUP_DAYS = 7  # the same normalised text within this many days is a duplicate
FLAG_SCHEMA = {"detector": pl.String, "period": pl.String, "topic_id": pl.String,
               "period_start": pl.Date, "articles": pl.Int64}
DETECTORS = ("naive_week", "emerging_week", "bursts_day", "bursts_day_watch",
             "bursts_week", "bursts_week_watch")


def period_of(detector: str) -> str:
    """'day' or 'week': the period kind of a detector id."""
    return "day" if "_day" in detector else "week"


# ---------------------------------------------------------------- corpora -----------


def _normalised(expr: pl.Expr) -> pl.Expr:
    return (expr.fill_null("").str.to_lowercase()
            .str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars())


def mark_duplicates(frame: pl.DataFrame, text: pl.Expr, days: int = DUP_DAYS) -> pl.DataFrame:
    """``duplicate_of``: the previous article with the same normalised ``text`` when it
    came at most ``days`` days earlier (a story carried by two feeds, a re-scraped
    headline), else null. A generic heading that recurs weeks apart stays canonical."""
    f = frame.with_columns(_norm=_normalised(text)).sort("published_at", "article_id")
    prev_at = pl.col("published_at").shift(1).over("_norm")
    prev_id = pl.col("article_id").shift(1).over("_norm")
    dup = (pl.col("_norm") != "") & (pl.col("published_at") - prev_at
                                     <= pl.duration(days=days)).fill_null(False)
    return f.with_columns(duplicate_of=pl.when(dup).then(prev_id)).drop("_norm")


def load_corpus(root: Path, corpus: str) -> pl.DataFrame:
    """An ARTICLES-like frame: article_id (the eval key), source, title, text,
    published_at (UTC) and duplicate_of."""
    if corpus == RSS:
        df = _rss(root).with_columns(
            source=pl.read_csv(root / RSS / "world_news_rss_2022_2023.csv.gz",
                               columns=["outlet"], infer_schema_length=0)["outlet"])
        doc = pl.col("text")  # title + summary: recurring newsletter titles differ there
    elif corpus == GNEWS:
        file = "gnews_us_top_headlines_2025_2026.csv"
        df = _indexed(root, GNEWS, file, "title").with_columns(
            source=pl.read_csv(root / GNEWS / file, columns=["outlet"],
                               infer_schema_length=0)["outlet"])
        doc = pl.col("title")
    elif corpus == CNN:
        df = _indexed(root, CNN, "cnn_ukraine_liveblog_headlines.csv", "headline")
        df = df.with_columns(source=pl.lit("CNN live blog"))  # one outlet
        doc = pl.col("title")
    else:
        raise ValueError(f"unknown corpus {corpus!r}")
    df = df.filter(pl.col("published_at").is_not_null()).select(
        article_id=pl.col("key"), source="source", title=pl.col("title").fill_null(""),
        text="text", published_at="published_at")
    return mark_duplicates(df, doc)


# ---------------------------------------------------------------- detectors ---------


def naive_flags(weekly: pl.DataFrame, *, factor: float = 2.0, weeks: int = 4,
                min_articles: int = 5) -> pl.DataFrame:
    """The naive rule on weekly ``topic_trends``: share > factor x the mean share of the
    previous ``weeks`` weeks (all of them present) and >= ``min_articles`` articles."""
    t = weekly.sort("topic_id", "period_start").with_columns(
        _base=pl.col("share").rolling_mean(weeks, min_samples=weeks).shift(1).over("topic_id"))
    hit = (pl.col("share") > factor * pl.col("_base")) & (pl.col("articles") >= min_articles)
    return _flags(t.filter(hit.fill_null(False)), "naive_week", "week")


def emerging_flags(weekly: pl.DataFrame, config: EmergingConfig | None = None) -> pl.DataFrame:
    """``emerging_topics`` replayed: history cut after each week, that week the latest
    (its default config: 8-week baseline, z >= 3, >= 3 articles)."""
    config = config or EmergingConfig(period="week")
    weeks = weekly["period_start"].unique().sort()
    parts = []
    for week in weeks[1:]:
        out = emerging_topics(weekly.filter(pl.col("period_start") <= week), config)
        parts.append(out.filter(pl.col("emerging")))
    flagged = pl.concat(parts) if parts else pl.DataFrame(schema={"topic_id": pl.String,
                                                                  "period_start": pl.Date,
                                                                  "articles": pl.Int64})
    return _flags(flagged, "emerging_week", "week")


def bursts_module() -> tuple[Callable[..., pl.DataFrame], type] | str:
    """(topic_bursts, BurstConfig), or why they are not available."""
    try:
        from analytics.trends.bursts import BurstConfig, topic_bursts
    except Exception as exc:  # the module is being written in parallel
        return f"analytics.trends.bursts does not import ({type(exc).__name__}: {exc})"
    return topic_bursts, BurstConfig


def burst_config(config_cls: type, period: str):
    maker = getattr(config_cls, "for_period", None)
    return maker(period) if maker else config_cls(period=period)


def bursts_flags(articles: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str],
                 topic_bursts: Callable[..., pl.DataFrame], config_cls: type,
                 period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """('burst' flags, 'watch' or 'burst' flags) of ``topic_bursts`` for ``period``."""
    rows = topic_bursts(articles, mentions, topic_ids, burst_config(config_cls, period))
    return (_flags(rows.filter(pl.col("level") == "burst"), f"bursts_{period}", period),
            _flags(rows, f"bursts_{period}_watch", period))


def causal_check(articles: pl.DataFrame, mentions: pl.DataFrame, topic_ids: list[str],
                 topic_bursts: Callable[..., pl.DataFrame], config_cls: type,
                 cuts: int = 3) -> str:
    """Does one call over all history give, up to each of ``cuts`` dates, the flags a
    run that ended on that date would have given? (The replay relies on it.)"""
    cfg = burst_config(config_cls, "day")
    full = topic_bursts(articles, mentions, topic_ids, cfg).select(
        "topic_id", "period_start", "level")
    days = articles["published_at"].dt.date()
    first, last = days.min(), days.max()
    assert isinstance(first, date) and isinstance(last, date)
    bad = []
    for i in range(1, cuts + 1):
        cut = first + timedelta(days=(last - first).days * i // (cuts + 1))
        part = topic_bursts(articles.filter(pl.col("published_at").dt.date() <= cut),
                            mentions, topic_ids, cfg).select("topic_id", "period_start",
                                                             "level")
        want = full.filter(pl.col("period_start") <= cut)
        if sorted(part.rows()) != sorted(want.rows()):
            bad.append(str(cut))
    return "ok" if not bad else "DIFFERS at " + ", ".join(bad)


def _flags(frame: pl.DataFrame, detector: str, period: str) -> pl.DataFrame:
    return frame.select(
        detector=pl.lit(detector), period=pl.lit(period), topic_id="topic_id",
        period_start=pl.col("period_start").cast(pl.Date),
        articles=pl.col("articles").cast(pl.Int64),
    ).cast(FLAG_SCHEMA).sort("topic_id", "period_start")  # type: ignore[arg-type]


# ---------------------------------------------------------------- matching ----------


def flag_date(period_start: date, period: str) -> date:
    """The first day a run could report the flag: the day, or the week's last day."""
    return period_start + timedelta(days=6 if period == "week" else 0)


def in_window(event_day: date, flag_start: date, period: str) -> bool:
    """Whether a flag of ``period`` starting ``flag_start`` matches an event on
    ``event_day`` (same topic assumed)."""
    if period == "day":
        return event_day - timedelta(days=DAY_BEFORE) <= flag_start \
            <= event_day + timedelta(days=DAY_AFTER)
    week = event_day - timedelta(days=event_day.weekday())
    return week <= flag_start <= week + timedelta(weeks=WEEKS_AFTER)


def match_events(events: pl.DataFrame, flags: pl.DataFrame,
                 period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(events with ``found``, ``first_flag``, ``lead_days``; flags with ``matched``,
    the event date(s) they match). ``events``: topic_id, date (Date); ``flags``: topic_id,
    period_start (Date) of one detector."""
    by_topic: dict[str, list[date]] = {}
    for topic, start in flags.select("topic_id", "period_start").iter_rows():
        by_topic.setdefault(topic, []).append(start)
    found, first, lead = [], [], []
    for topic, day in events.select("topic_id", "date").iter_rows():
        hits = sorted(s for s in by_topic.get(topic, []) if in_window(day, s, period))
        found.append(bool(hits))
        first.append(hits[0] if hits else None)
        lead.append((flag_date(hits[0], period) - day).days if hits else None)
    ev = events.with_columns(found=pl.Series(found, dtype=pl.Boolean),
                             first_flag=pl.Series(first, dtype=pl.Date),
                             lead_days=pl.Series(lead, dtype=pl.Int64))
    ev_by_topic: dict[str, list[date]] = {}
    for topic, day in events.select("topic_id", "date").iter_rows():
        ev_by_topic.setdefault(topic, []).append(day)
    matched = [
        ",".join(str(d) for d in ev_by_topic.get(t, []) if in_window(d, s, period)) or None
        for t, s in flags.select("topic_id", "period_start").iter_rows()
    ]
    return ev, flags.with_columns(matched=pl.Series(matched, dtype=pl.String))


# ---------------------------------------------------------------- precision ---------


def load_judgements(path: Path = JUDGEMENTS_CSV) -> dict[tuple[str, str, str, str], tuple]:
    """{(corpus, period, topic_id, period_start): (real, note)} from the judgements CSV."""
    out: dict[tuple[str, str, str, str], tuple] = {}
    if not path.is_file():
        return out
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["corpus"], period_of(row["detector"]), row["topic_id"],
                   row["period_start"])
            out[key] = (int(row["real"]), row.get("note", ""))
    return out


def _draw(seed: int, topic: str, start: date) -> str:
    return hashlib.sha1(f"{seed}|{topic}|{start}".encode()).hexdigest()


def sample_flags(flags: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """A seeded random sample of ``n`` flags (all of them when there are fewer): the
    ``n`` with the smallest hash of (seed, topic, period start). A flag's draw does not
    depend on the other flags, so a detector change that adds or drops a few flags
    changes the sample by about as many, and detectors of one period kind that flag the
    same topic-period draw it alike (one reading serves both)."""
    draws = [_draw(seed, t, s) for t, s in flags.select("topic_id", "period_start").iter_rows()]
    f = flags.with_columns(_draw=pl.Series(draws, dtype=pl.String))
    return f.sort("_draw").head(n).drop("_draw").sort("topic_id", "period_start")


@dataclass
class Precision:
    value: float | None
    judged: int
    unjudged: int
    auto: int  # sampled flags matching a listed event


def precision(sample: pl.DataFrame, corpus: str, judgements: dict) -> Precision:
    real = judged = unjudged = auto = 0
    for row in sample.iter_rows(named=True):
        if row["matched"]:
            real, judged, auto = real + 1, judged + 1, auto + 1
            continue
        key = (corpus, row["period"], row["topic_id"], str(row["period_start"]))
        if key in judgements:
            judged += 1
            real += judgements[key][0]
        else:
            unjudged += 1
    return Precision(real / judged if judged else None, judged, unjudged, auto)


def f1(p: float | None, r: float) -> float | None:
    if p is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


# ---------------------------------------------------------------- printing ----------


def titles_of(articles: pl.DataFrame, mentions: pl.DataFrame, topic: str, start: date,
              period: str, k: int = 5, seed: int = 0) -> tuple[int, list[str]]:
    """(canonical articles of the topic in the period, k of their titles, seeded)."""
    canon = articles.filter(pl.col("duplicate_of").is_null()).with_columns(
        _p=period_start(pl.col("published_at"), period))
    ids = mentions.filter(pl.col("topic_id") == topic).select("article_id").unique()
    sel = canon.filter(pl.col("_p") == start).join(ids, on="article_id", how="semi")
    pick = sel if sel.height <= k else sel.sample(n=k, seed=seed)
    return sel.height, [f"[{s}] {t}" for s, t in
                        pick.sort("published_at").select("source", "title").iter_rows()]


def print_sample(name: str, sample: pl.DataFrame, articles: pl.DataFrame,
                 mentions: pl.DataFrame, judgements: dict, *, unjudged_only: bool) -> None:
    for i, row in enumerate(sample.iter_rows(named=True), 1):
        key = (SHORT[name], row["period"], row["topic_id"], str(row["period_start"]))
        if row["matched"]:
            status = f"matches listed event {row['matched']}"
        elif key in judgements:
            status = f"judged real={judgements[key][0]} ({judgements[key][1]})"
        else:
            status = "UNJUDGED"
        if unjudged_only and status != "UNJUDGED":
            continue
        n, titles = titles_of(articles, mentions, row["topic_id"], row["period_start"],
                              row["period"])
        print(f"\n{i:2d}. {SHORT[name]},{row['detector']},{row['topic_id']},"
              f"{row['period_start']}  ({row['period']}, {n} articles) -- {status}")
        for t in titles:
            print("     ", t[:150])


def tagged_near(events: pl.DataFrame, canon: pl.DataFrame,
                mentions: pl.DataFrame) -> dict[str, str]:
    """{'date topic': 'a/b'}: a = the topic's canonical articles from the day before to
    two days after the event, b = their daily mean over the 28 days before (to tell a
    tagger that missed the event from a detector that missed the rise)."""
    days = canon.select("article_id", day=pl.col("published_at").dt.date())
    tagged = mentions.select("article_id", "topic_id").join(days, on="article_id")
    out = {}
    for topic, d in events.select("topic_id", "date").iter_rows():
        t = tagged.filter(pl.col("topic_id") == topic)["day"]
        near = int(t.is_between(d - timedelta(days=1), d + timedelta(days=2)).sum())
        before = int(t.is_between(d - timedelta(days=29), d - timedelta(days=2)).sum()) / 28
        out[f"{d} {topic}"] = f"{near}/{before:.1f}"
    return out


def _fmt(x: float | None, digits: int = 2) -> str:
    return "  -  " if x is None else f"{x:.{digits}f}"


# ---------------------------------------------------------------- main --------------


def run_corpus(name: str, root: Path, events_all: pl.DataFrame, args,
               judgements: dict) -> list[dict]:
    corpus = SHORT[name]
    t0 = time.perf_counter()
    articles = load_corpus(root, corpus)
    tax = load_taxonomy(TAXONOMY)
    topic_ids = list(tax.ids)
    mentions = tag_topics(articles.select("article_id", "title", "text"), tax)
    weekly = topic_trends(articles, mentions, topic_ids, period="week")
    flags = {"naive_week": naive_flags(weekly), "emerging_week": emerging_flags(weekly)}
    mod = bursts_module()
    causal = None
    if isinstance(mod, str):
        print(f"[{name}] bursts detector skipped: {mod}")
    else:
        topic_bursts, config_cls = mod
        for period in ("day", "week"):
            burst, watch = bursts_flags(articles, mentions, topic_ids, topic_bursts,
                                        config_cls, period)
            flags[f"bursts_{period}"] = burst
            flags[f"bursts_{period}_watch"] = watch
        if args.causal_check:
            causal = causal_check(articles, mentions, topic_ids, topic_bursts, config_cls)
    events = events_all.filter(pl.col("corpus") == corpus)
    canon = articles.filter(pl.col("duplicate_of").is_null())
    print(f"\n=== {corpus}: {articles.height:,} articles ({canon.height:,} canonical), "
          f"{mentions.height:,} topic mentions, {events.height} listed events, "
          f"{time.perf_counter() - t0:.1f}s")
    if causal:
        print(f"bursts causal check (history cut at 3 dates, daily flags up to each): {causal}")

    if args.sample_flags:
        wanted = args.detector or [d for d in DETECTORS if d in flags]
        for det in wanted:
            if det not in flags:
                print(f"[{name}] no detector {det!r} in this run")
                continue
            _, fl = match_events(events, flags[det], period_of(det))
            sample = sample_flags(fl, args.sample_flags, args.seed)
            print(f"\n--- {det}: {sample.height} of {fl.height} flags (seed {args.seed})")
            print_sample(name, sample, articles, mentions, judgements,
                         unjudged_only=args.unjudged)
        return []

    rows = []
    for det in DETECTORS:
        if det not in flags:
            continue
        ev, fl = match_events(events, flags[det], period_of(det))
        sample = sample_flags(fl, args.precision_sample, args.seed)
        prec = precision(sample, corpus, judgements)
        found = int(ev["found"].sum())
        recall = found / ev.height if ev.height else 0.0
        lead = ev["lead_days"].drop_nulls()
        rows.append(dict(corpus=name, detector=det, flags=fl.height, found=found,
                         events=ev.height, recall=recall, precision=prec.value,
                         judged=prec.judged, unjudged=prec.unjudged, auto=prec.auto,
                         f1=f1(prec.value, recall),
                         lead=float(lead.median()) if lead.len() else None, missed=[
                             f"{d} {t}" for d, t, ok in
                             ev.select("date", "topic_id", "found").iter_rows() if not ok]))
    print(f"{'detector':<19}{'flags':>6}  {'found':>7}  {'recall':>6}  {'precision (n)':>15}"
          f"  {'F1':>5}  {'lead d':>6}")
    for r in rows:
        n = f"({r['judged']}" + (f"+{r['unjudged']}?" if r["unjudged"] else "") + ")"
        p, f = (r["precision"], r["f1"]) if not r["unjudged"] else (None, None)
        print(f"{r['detector']:<19}{r['flags']:>6}  {r['found']:>3}/{r['events']:<3}  "
              f"{r['recall']:>6.2f}  {_fmt(p):>7} {n:>7}  {_fmt(f):>5}  "
              f"{_fmt(r['lead'], 1):>6}")
    naive = next((r for r in rows if r["detector"] == "naive_week"), None)
    for r in rows:
        if r["detector"].startswith("bursts") and naive and r["f1"] is not None \
                and not r["unjudged"] and not naive["unjudged"]:
            ok = (r["recall"] >= 0.85, (r["precision"] or 0) >= 0.80,
                  naive["f1"] is not None and r["f1"] >= naive["f1"] + 0.05)
            yn = ["yes" if x else "no" for x in ok]
            print(f"  targets {r['detector']}: recall {r['recall']:.3f} >= .85 {yn[0]}, "
                  f"precision {r['precision']:.3f} >= .80 {yn[1]}, "
                  f"F1 {r['f1']:.3f} >= naive {naive['f1']:.3f} + .05 {yn[2]}")
    if args.verbose:
        tagged = tagged_near(events, canon, mentions)
        for r in rows:
            missed = [f"{m} [{tagged[m]}]" for m in r["missed"]]
            print(f"  missed by {r['detector']}: {', '.join(missed) or 'none'}")
        print("  [a/b]: the topic's tagged articles from the day before to 2 days after the"
              " event / their daily mean over the 28 days before")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=CORPORA)
    ap.add_argument("--corpus", action="append", choices=list(SHORT),
                    help="rss, gnews or cnn (repeatable; default all three)")
    ap.add_argument("--events", type=Path, default=EVENTS_CSV)
    ap.add_argument("--judgements", type=Path, default=JUDGEMENTS_CSV)
    ap.add_argument("--precision-sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--sample-flags", type=int, metavar="N",
                    help="print N sampled flags per detector to judge, then stop")
    ap.add_argument("--detector", action="append", choices=DETECTORS,
                    help="with --sample-flags: only this detector (repeatable)")
    ap.add_argument("--unjudged", action="store_true",
                    help="with --sample-flags: print only the flags still to judge")
    ap.add_argument("--no-causal-check", dest="causal_check", action="store_false")
    ap.add_argument("-v", "--verbose", action="store_true", help="list missed events")
    args = ap.parse_args(argv)

    names = args.corpus or list(SHORT)
    missing = [SHORT[n] for n in names if not (args.corpora / SHORT[n]).is_dir()]
    if missing:
        print(f"skipped: corpora not found under {args.corpora}: {', '.join(missing)}",
              file=sys.stderr)
        return 2
    events = pl.read_csv(args.events, infer_schema_length=0).with_columns(
        pl.col("date").str.to_date("%Y-%m-%d"))
    judgements = load_judgements(args.judgements)
    pl.Config.set_tbl_width_chars(160)
    t0 = time.perf_counter()
    for name in names:
        run_corpus(name, args.corpora, events, args, judgements)
    print(f"\nwindow: daily flags {DAY_BEFORE} days before to {DAY_AFTER} after the event; "
          f"weekly flags the event's week or the next. Lead = flag date - event date "
          f"(weekly flag date = the week's last day). Precision: seeded sample of "
          f"{args.precision_sample} flags per detector (seed {args.seed}); n = judged, "
          f"'+k?' = sampled but not yet judged (precision and F1 shown once all are).  "
          f"Total {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
