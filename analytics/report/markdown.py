"""Markdown for people: the run's ``summary.md`` and the Prefect summary artifact.

One escaper (``md_escape``) and one table renderer (``table``), so that untrusted text
(titles, sentences, source messages) prints literally and a ``|`` never breaks a table.
Pure: strings in, a string out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from analytics.alerts.section import HEADING as ALERTS_HEADING
from analytics.alerts.section import alert_lines
from analytics.report import brief, charts, claims_table, facts, sections
from analytics.report.data import ReportData
from analytics.report.formatting import clean, fmt_date, fmt_int, fmt_number, fmt_pct, truncate
from analytics.report.pages import report_brief, topic_table

_ALIGN = {"<": "---", ">": "---:"}


def md_escape(value: object, width: int | None = None) -> str:
    """Text safe inside Markdown (and a Markdown table cell): no markup, links or HTML survive."""
    text = truncate(value, width) if width else clean(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#|$~])", r"\\\1", text)


def table(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table: ``columns`` are (header, "<" left or ">" right aligned); cells are
    already escaped text."""
    lines = ["| " + " | ".join(name for name, _ in columns) + " |",
             "|" + "|".join(_ALIGN[align] for _, align in columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _link(url: str) -> str:
    """A URL safe as a Markdown link destination in angle brackets."""
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def _md_line(line: brief.Line) -> str:
    """A story or claim as a Markdown list item: the text linked to its URL."""
    text = md_escape(line.text, 200)
    if line.url and re.match(r"https?://", line.url):
        # Brackets end link text, parentheses do not; some renderers (Prefect's) show
        # their escapes inside link text.
        label = text.replace("\\(", "(").replace("\\)", ")")
        text = f"[{label}](<{_link(line.url)}>)"
    elif line.url:
        text += f" ({md_escape(line.url)})"
    return f"{text} — {md_escape(line.detail, 200)}" if line.detail else text


def brief_markdown(data: ReportData) -> str:
    """Page 1 of the report as Markdown: what changed, the moves with their stories and
    links, new spending claims, data quality with the quarantine reasons and per-source
    status."""
    b = report_brief(data)
    s = data.summary
    lines = ["## What changed", "", md_escape(b.headline)]
    if b.stale:
        lines += ["", md_escape(b.stale)]
    if b.quiet:
        lines += ["", md_escape(b.quiet), ""]
        lines += [f"- {_md_line(story)}" for story in b.top]
    lines.append("")
    for move in b.moves:
        lines.append(f"- **{md_escape(move.sentence)}**")
        lines += [f"  - {_md_line(story)}" for story in move.stories]
    lines += ["", f"_{md_escape(brief.RULE)}_"]
    if alerts := alert_lines(s):  # what the run alerted and why (analytics/alerts)
        lines += ["", f"## {ALERTS_HEADING}", "", md_escape(alerts[0]), ""]
        lines += [f"- {md_escape(line)}" for line in alerts[1:]]
    lines += ["", "## New spending claims", "", md_escape(b.claims_line), ""]
    lines += [f"- {_md_line(line)}" for line in b.claims]
    lines += ["", "## Data quality", "", md_escape(b.quality), ""]
    for reason, n in sorted(s.quarantine_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"- quarantined, {md_escape(reason)}: {n:,}")
    lines += [f"- source {md_escape(line)}" for line in b.sources]
    return "\n".join(lines).rstrip() + "\n"


def summary_markdown(data: ReportData, *, title: str = "topicwatch report") -> str:
    """The brief, then headline numbers, the topic table, claims and themes as Markdown
    (text escaped)."""
    s = data.summary
    first, last = data.date_range()
    lines = [
        f"# {md_escape(title)}: {md_escape(s.corpus)}",
        "",
        f"Run date {fmt_date(s.run_date)}; articles published {fmt_date(first)} to "
        f"{fmt_date(last)}.",
        "",
        brief_markdown(data).rstrip(),
        "",
        "## Counts",
        "",
        *table([("read", ">"), ("new", ">"), ("stored", ">"), ("duplicates", ">"),
                ("quarantined", ">"), ("topics found", ">")],
               [[f"{n:,}" for n in (s.rows_read, s.new_articles, s.stored_articles,
                                    s.duplicates, s.quarantined, s.topics_found)]]),
    ]
    lines += ["", "## Topics", ""]
    topics = topic_table(data)
    if data.topic_mentions.height == 0:
        lines += ["No data: no topic mentions in this run.", ""]
    lines += table(
        [("topic", "<"), ("articles", ">"), ("mentions", ">"), ("share", ">"),
         ("change", ">"), ("reach", ">"), ("evidence", "<")],
        [[md_escape(r["label"]), fmt_int(r["articles"]), fmt_int(r["mentions"]),
          fmt_pct(r["share"]), sections.fmt_pp(r["delta"]), fmt_int(r["reach"]),
          md_escape(r["evidence"], 160)] for r in topics.iter_rows(named=True)])
    lines += ["", "## Emerging topics", ""]
    flagged = data.emerging_topics.filter(pl.col("emerging"))
    if flagged.height == 0:
        lines.append("None this period.")
    quotes = facts.emerging_quotes(data.emerging_topics, data.topic_mentions,
                                          data.articles)
    for topic, share, base, z in flagged.select("topic_id", "share", "baseline_share",
                                                "z").iter_rows():
        lines.append(f"- {md_escape(data.topic_labels.get(topic, topic))}: "
                     f"{fmt_pct(share)} vs {fmt_pct(base)} baseline, z {z:.1f}")
        for q in quotes.filter(pl.col("topic_id") == topic).iter_rows(named=True):
            lines.append(f"  - {md_escape(q['evidence'], 200)} ({md_escape(q['source'])}, "
                         f"{fmt_date(q['published_at'])}, {md_escape(q['link'])})")
    lines += ["", "## Spending claims", ""]
    claims = claims_table.distinct(data.claims, data.articles)
    if claims.height == 0:
        lines.append("No data: no spending claims found in this run.")
    else:
        lines += table(
            [("value", ">"), ("unit", "<"), ("target year", ">"), ("actor", "<"),
             ("sentence", "<")],
            [[fmt_number(r["value"]), md_escape(charts.unit_label(r["unit"])),
              str(r["target_year"] or "–"), md_escape(r["actor"]), md_escape(r["snippet"], 200)]
             for r in claims.sort(["target_year", "value"], nulls_last=True).iter_rows(
                 named=True)])
    lines += ["", "## Themes", ""]
    real = data.themes.filter(pl.col("theme_id") >= 0).sort("theme_id")
    if real.height == 0:
        lines.append(f"No data: {md_escape(data.theme_status or 'no themes in this run')}.")
    for r in real.iter_rows(named=True):
        terms = md_escape(", ".join(r["top_terms"] or []), 120)
        lines.append(f"- theme {r['theme_id']} ({r['size']:,} articles): "
                     f"{md_escape(r['label'], 80)}: {terms}")
    if s.parameters:
        lines += ["", "## Run parameters", ""]
        lines += [f"- {md_escape(k)}: {md_escape(v)}" for k, v in s.parameters.items()]
    return "\n".join(lines) + "\n"


def topic_rows(totals: pl.DataFrame) -> list[dict[str, str]]:
    """The ``topic_totals`` table as the table artifact shows it: most articles first (then
    the table's own order, the taxonomy's), counts with separators, the share as "12.3%"
    and its change in points, as in the PDF."""
    ranked = totals.with_row_index("_order").sort(["articles", "_order"],
                                                 descending=[True, False])
    return [{"topic": r["label"], "articles": fmt_int(r["articles"]),
             "mentions": fmt_int(r["mentions"]), "share": fmt_pct(r["share"]),
             "change": sections.fmt_pp(r["share_change"]), "reach": fmt_int(r["reach"])}
            for r in ranked.iter_rows(named=True)]
