"""The events of a run, as plain data: one per burst, new spending claim and failed source.

Each :class:`Alert` is what ``flows/alerts.py`` emits as a Prefect event: its name
(:data:`BURST`, :data:`CLAIM`, :data:`SOURCE`; outside Prefect's reserved ``prefect.*``),
its resource (``topicwatch.topic.<id>``, ``topicwatch.actor.<actor>``,
``topicwatch.source.<id>``), related resources and a payload that carries what a message
needs, with that message already written (``subject``, ``message``: plain, inert text,
:mod:`analytics.alerts.text`): the automation's template only prints it, so nothing
untrusted is ever a template. Pure: frames in, alerts out; the run date is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from analytics.alerts.rules import AlertRules
from analytics.alerts.text import link, plain
from analytics.contracts.run_summary import SourceOutcome
from analytics.report.formatting import plural

BURST = "topicwatch.topic.burst"
CLAIM = "topicwatch.claim.new"
SOURCE = "topicwatch.source.failed"
EVENTS = (BURST, CLAIM, SOURCE)
STORIES = 3  # top stories per burst message
MAX_CLAIMS = 5  # claim events per run: a first run over a backfill finds hundreds
LOOKBACK_DAYS = 7  # the days a run looks back for flags it has not alerted yet
_LEVEL_RANK = {"burst": 0, "watch": 1}


@dataclass(frozen=True)
class Alert:
    """One event to emit. ``key``: what the state remembers it by (the same key never
    alerts twice); ``subject``: what the quiet period is kept per (a topic, a source);
    ``reason``: why it alerts, for the report."""

    event: str
    resource: dict[str, str]
    payload: dict[str, Any]
    key: str
    subject: str
    reason: str
    level: str = ""
    related: tuple[dict[str, str], ...] = field(default=())

    @property
    def title(self) -> str:
        return str(self.payload.get("subject", ""))


def slug(text: str) -> str:
    """A resource id part: lowercase letters, digits, ``-``, ``_`` and ``.``."""
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-") or "unnamed"


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _count(n: float | None) -> str:
    if n is None:
        return "?"
    return f"{n:.1f}" if 0 < n < 10 and round(n) != n else f"{round(n):,}"


def _stories_of_day(topic_id: str, day: date, articles: pl.DataFrame,
                    mentions: pl.DataFrame) -> list[dict[str, Any]]:
    """The topic's articles of ``day`` (a watch has no clustered stories): one per title,
    first published first."""
    ids = mentions.filter(pl.col("topic_id") == topic_id).select("article_id")
    rows = (articles.join(ids, on="article_id", how="semi")
            .filter(pl.col("published_at").dt.date() == day)
            .sort("published_at", "article_id")
            .unique("title", keep="first", maintain_order=True).head(STORIES))
    return [{"title": r["title"] or "", "url": r["url"] or "", "articles": 1,
             "outlets": [r["source"] or ""]} for r in rows.iter_rows(named=True)]


def _stories_of_burst(topic_id: str, onset: date, burst_stories: pl.DataFrame
                      ) -> list[dict[str, Any]]:
    rows = (burst_stories.filter((pl.col("topic_id") == topic_id) & (pl.col("onset") == onset))
            .sort("period_start", "rank", descending=[True, False]).head(STORIES))
    return [{"title": r["label"] or "", "url": (r["urls"] or [""])[0] or "",
             "articles": r["articles"], "outlets": list(r["outlets"] or [])}
            for r in rows.iter_rows(named=True)]


def burst_message(label: str, row: Mapping[str, Any], stories: Sequence[Mapping[str, Any]],
                  mode: str) -> tuple[str, str]:
    """(subject, message) of a burst or a day to watch, for a chat window."""
    level = row["level"]
    what = "burst" if level == "burst" else "a day to watch"
    subject = f"topicwatch: {plain(label, 80)}, {what}"
    lines = [
        f"{plain(label, 80)}: {what} on {day_text(row['period_start'])}: "
        f"{plural(row['articles'], 'article')}, usually {_count(row['expected'])} "
        f"({row['ratio']:.1f}x), from {plural(row['sources'], 'outlet')}"
        + (f"; since {day_text(row['onset'])}" if row["onset"] != row["period_start"] else "")
        + ".",
    ]
    if stories:
        lines.append("Top stories:")
    for s in stories:
        outlets = ", ".join(plain(o, 40) for o in s["outlets"][:3])
        lines.append(f"- {plain(s['title'])} ({plural(s['articles'], 'article')}: {outlets})"
                     + (f" {link(s['url'])}" if link(s["url"]) else ""))
    lines.append(f'Why: the topic\'s rule is alert = "{mode}" (docs/alerts.md).')
    return subject, "\n".join(lines)


def burst_alerts(bursts: pl.DataFrame, burst_stories: pl.DataFrame, articles: pl.DataFrame,
                 mentions: pl.DataFrame, labels: Mapping[str, str], rules: AlertRules, *,
                 end: date, since: date | None = None) -> list[Alert]:
    """One alert per run of flagged days (topic, onset) with a daily flag from ``since``
    (default: ``LOOKBACK_DAYS`` before ``end``) to ``end`` that the topic's rule lets
    through: the day of its highest level with the most articles. Needs the ``bursts`` and
    ``burst_stories`` tables, ``articles.article_id, source, url, title, published_at`` and
    ``mentions.article_id, topic_id``."""
    start = max(since or date.min, end - timedelta(days=LOOKBACK_DAYS - 1))
    flagged = bursts.filter((pl.col("period") == "day")
                            & pl.col("period_start").is_between(start, end))
    keep = [r for r in flagged.iter_rows(named=True)
            if rules.alerts_on(r["topic_id"], r["level"])]
    keep.sort(key=lambda r: (r["topic_id"], r["onset"], _LEVEL_RANK[r["level"]],
                             -r["articles"], r["period_start"]))
    order = {t: i for i, t in enumerate(labels)}
    alerts, seen = [], set()
    for r in keep:
        run = (r["topic_id"], r["onset"])
        if run in seen:
            continue
        seen.add(run)
        topic, label = r["topic_id"], labels.get(r["topic_id"], r["topic_id"])
        stories = (_stories_of_burst(topic, r["onset"], burst_stories) if r["level"] == "burst"
                   else []) or _stories_of_day(topic, r["period_start"], articles, mentions)
        mode = rules.mode(topic)
        subject, message = burst_message(label, r, stories, mode)
        payload = {
            "subject": subject, "message": message, "topic_id": topic, "label": label,
            "level": r["level"], "day": r["period_start"].isoformat(),
            "onset": r["onset"].isoformat(), "articles": r["articles"],
            "usual": round(r["expected"], 2), "ratio": round(r["ratio"], 2),
            "total": r["total"], "outlets": r["sources"], "p_value": r["p_value"],
            "stories": [{"title": s["title"], "url": s["url"], "articles": s["articles"],
                         "outlets": s["outlets"][:3]} for s in stories],
            "rule": mode,
        }
        alerts.append(Alert(
            BURST,
            {"prefect.resource.id": f"topicwatch.topic.{topic}",
             "prefect.resource.name": label, "topicwatch.level": r["level"]},
            payload, key=f"burst:{topic}:{r['onset']}:{r['level']}", subject=f"topic:{topic}",
            reason=(f"{label}: {r['level']} on {day_text(r['period_start'])}: "
                    f"{plural(r['articles'], 'article')}, usually {_count(r['expected'])}; "
                    f"rule alert = \"{mode}\""),
            level=r["level"]))
    alerts.sort(key=lambda a: (_LEVEL_RANK[a.level], order.get(a.payload["topic_id"], 1 << 30)))
    return alerts


def claim_key(row: Mapping[str, Any]) -> str:
    """A claim is the same claim when the same actor states the same level for the same
    year as the same kind, in whichever article."""
    value = row["value"]
    return (f"claim:{row.get('actor') or ''}|{'' if value is None else f'{value:g}'}|"
            f"{row.get('unit') or ''}|{row.get('target_year') or ''}|{row.get('kind') or ''}")


def claim_alerts(fresh: pl.DataFrame, *, limit: int = MAX_CLAIMS) -> list[Alert]:
    """One alert per distinct claim of ``fresh`` (``facts.new_claims``: the claims of
    articles stored this run, newest first, with ``title, source, url, published_at``),
    at most ``limit``."""
    alerts: list[Alert] = []
    seen = set()
    for r in fresh.iter_rows(named=True):
        key = claim_key(r)
        if key in seen:
            continue
        seen.add(key)
        actor = r.get("actor") or "No actor named"
        level = (f"{r['value']:g}% of GDP" if r["unit"] == "percent_gdp"
                 else f"{r['value']:g} {r['unit'] or ''}".rstrip())
        year = f" by {r['target_year']}" if r.get("target_year") else ""
        kind = r.get("kind") or ""
        subject = f"topicwatch: new spending claim, {plain(actor, 60)} {level}{year}"
        published = r["published_at"]
        message = "\n".join([
            f"{plain(actor, 60)}: {level}{year}" + (f" ({kind})" if kind else "") + ".",
            f'"{plain(r.get("snippet"), 300)}"',
            f"- {plain(r.get('title'))} ({plain(r.get('source'), 60)}"
            + (f", {day_text(published.date())}" if published else "") + ")"
            + (f" {link(r.get('url'))}" if link(r.get("url")) else ""),
        ])
        alerts.append(Alert(
            CLAIM,
            {"prefect.resource.id": f"topicwatch.actor.{slug(actor)}",
             "prefect.resource.name": actor},
            {"subject": subject, "message": message, "actor": actor, "value": r["value"],
             "unit": r["unit"], "year": r.get("target_year"), "kind": kind,
             "sentence": r.get("snippet") or "", "title": r.get("title") or "",
             "url": r.get("url") or "", "source": r.get("source") or "",
             "article_id": r["article_id"]},
            key=key, subject=key, reason=f"new claim: {actor} {level}{year}",
            related=({"prefect.resource.id": f"topicwatch.article.{r['article_id']}",
                      "prefect.resource.role": "article",
                      "prefect.resource.name": (r.get("title") or "")[:100]},)))
        if len(alerts) == limit:
            break
    return alerts


def source_alerts(outcomes: Sequence[SourceOutcome], *, end: date) -> list[Alert]:
    """One alert per source whose status is ``failed`` or ``degraded`` this run."""
    alerts = []
    for o in outcomes:
        if o.status not in ("failed", "degraded"):
            continue
        subject = f"topicwatch: source {plain(o.source, 60)} {o.status}"
        message = (f"Source {plain(o.source, 60)} ({plain(o.kind, 20)}) {o.status} on "
                   f"{day_text(end)}: {plural(o.rows_read, 'row')} read"
                   + (f"; {plain(o.message, 300)}" if o.message else "") + ".")
        alerts.append(Alert(
            SOURCE,
            {"prefect.resource.id": f"topicwatch.source.{slug(o.source)}",
             "prefect.resource.name": o.source, "topicwatch.status": o.status},
            {"subject": subject, "message": message, "source": o.source, "kind": o.kind,
             "status": o.status, "rows_read": o.rows_read, "reason": o.message},
            key=f"source:{o.source}:{o.status}:{end}", subject=f"source:{o.source}",
            reason=f"source {o.source} {o.status}" + (f": {o.message[:160]}" if o.message else ""),
            level=o.status))
    return alerts
