"""The report's sections as A4 pages: frames and the run summary in, ``Figure`` pages out.

Page 1 is the brief (:mod:`analytics.report.brief`: what changed, with its chart, what the
run alerted, the new claims, data quality, the contents). Then: topics table, emerging
topics, bursts (timeline, what drove them), topic charts, share by source, topic
co-occurrence, evidence, spending claims (charts, table), themes (charts, table), data
quality (with the run parameters; on a page of its own unless it fits whole). Text sections
share pages; a section without data, and a chart with too little to say
(:func:`sections.chart_gap`), is a line in the contents, not a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl
from matplotlib.figure import Figure

from analytics.alerts.section import HEADING as ALERTS_HEADING
from analytics.alerts.section import alert_lines
from analytics.contracts.run_summary import RunSummary
from analytics.report import (
    brief,
    bursts_pages,
    chart_registry,
    charts,
    claims_table,
    facts,
    sections,
)
from analytics.report.charts.brief import HEIGHT as BRIEF_CHART_HEIGHT
from analytics.report.data import ReportData
from analytics.report.formatting import fmt_date, fmt_int, fmt_number, fmt_pct, plural
from analytics.report.layout import SECTION_MIN_SPACE, Column, Flow, add_footers
from analytics.report.sections import fmt_pp

__all__ = ["ReportData", "build_pages", "report_brief", "topic_table"]

EVIDENCE_TOPICS = 10  # topics (by articles) whose evidence sentence the table shows
# The claims table shows the newest ones: about four pages to read; tables/claims.csv has all.
MAX_CLAIM_ROWS = 50
# Average glyph width (ems) the prose tables wrap at: at the default 0.53 a line of wide
# letters ("members of the Security Council") ran past its cell and was clipped. Their
# narrow columns are wide enough for a whole date and a six-digit count at this width.
_TABLE_CHAR_EM = 0.58
MAX_REASONS = 20  # quarantine reasons listed; tables/quarantine.csv has every row
# Titles of the charts a line may replace (sections.chart_gap), for that line.
CHART_TITLES = {
    "topic_totals": "Articles per topic", "topic_trends": "Articles per topic over time",
    "topic_share": "Topic share over time", "source_shares": "Share by source",
    "cooccurrence": "Topic co-occurrence", "spending_claims": "Spending claims by target year",
    "spending_claims_over_time": "Spending targets over time",
}


@dataclass(frozen=True)
class Text:
    """A text part of a section: its heading and what it writes into the page flow."""

    heading: str
    write: Callable[[Flow], None]
    min_space: float = SECTION_MIN_SPACE  # inches it needs left on a page to start there


@dataclass(frozen=True)
class Section:
    """A contents entry: its parts (chart pages, text) and ``note``, the line that says
    why it has no pages or which of its charts were not drawn."""

    name: str
    parts: Sequence[Figure | Text] = ()
    note: str = ""


@dataclass
class _Layout:
    """Sections laid out in order: text parts continue the page of the text before them."""

    pages: list[Figure] = field(default_factory=list)
    flow: Flow | None = None

    def _close(self) -> None:
        if self.flow is not None:
            self.pages.extend(self.flow.pages)
            self.flow = None

    def add(self, part: Figure | Text) -> int:
        """Place ``part``; returns the index of the page it starts on."""
        if isinstance(part, Figure):
            self._close()
            self.pages.append(part)
            return len(self.pages) - 1
        if self.flow is None:
            self.flow = Flow(part.heading)
        else:
            self.flow.section(part.heading, part.min_space)
        start = len(self.pages) + len(self.flow.pages) - 1
        part.write(self.flow)
        return start

    def done(self) -> list[Figure]:
        self._close()
        return self.pages


def report_brief(data: ReportData) -> brief.Brief:
    """The brief of this report (computed once)."""
    return data.cached("brief", lambda: brief.build(
        data.canonical, data.canonical_mentions, data.bursts, data.burst_stories, data.claims,
        data.articles, data.quarantine, data.summary, data.topic_labels))


def _core_topics(data: ReportData) -> list[str]:
    return charts.core_topics(data.topic_labels)


def _story(flow: Flow, line: brief.Line) -> None:
    text = " — ".join(part for part in (line.text, line.detail) if part)
    flow.paragraph(f"• {text}" + (f" · {line.url}" if line.url else ""), size=7.8,
                   color="0.25", max_lines=2, indent=0.2, url=line.url or None, after=0.15)


# (moves, stories per move; a quiet week shows up to ``moves`` top stories) on page 1,
# tried in turn until the page holds them
_BRIEF_FITS = ((brief.MAX_MOVES, brief.STORIES), (brief.MAX_MOVES, 1), (4, 1), (3, 1),
               (2, 1), (1, 1), (1, 0))
# Alert lines on page 1 (None: all; 0: the first line alone; -1: that line under Data
# quality, no heading), tried for each of those: a move's stories outrank the alerts.
_ALERT_FITS = (None, 3, 1, 0, -1)


def brief_pages(data: ReportData, contents: Sequence[tuple[Section, int | None]], *,
                title: str) -> list[Figure]:
    """Page 1: the corpus and dates, what changed (moves with their stories), the core
    topics' share chart, the alerts, new spending claims, data quality and the contents; as
    many moves, stories and alert lines as one page holds (the others are named, and all
    are in summary.md)."""
    for moves, stories in _BRIEF_FITS:
        for alerts in _ALERT_FITS:  # a run's many alerts give way first: summary.md has all
            pages = _brief_pages(data, contents, title=title, moves=moves, stories=stories,
                                 alerts=alerts)
            if len(pages) == 1:
                return pages
    return pages


def _alert_lines(summary: RunSummary, most: int | None) -> tuple[str, ...]:
    """The alerts section's lines: its first line, at most ``most`` alerts and a line
    naming the rest; with ``most`` 0, the first line alone, pointing to summary.md."""
    lines = alert_lines(summary)
    head, alerts = lines[:1], lines[1:]
    if most is None or len(alerts) <= most:
        return lines
    if most <= 0:
        return (head[0].removesuffix(":") + "; summary.md lists them.",)
    return (*head, *alerts[:most],
            f"And {len(alerts) - most} more (summary.md lists every alert).")


def _brief_pages(data: ReportData, contents: Sequence[tuple[Section, int | None]], *,
                 title: str, moves: int, stories: int,
                 alerts: int | None = None) -> list[Figure]:
    s = data.summary
    b = report_brief(data)
    flow = Flow(title)
    flow.paragraph(s.corpus or "(unnamed corpus)", size=10.5, max_lines=2)
    first, last = data.date_range()
    published = f"{fmt_date(first)} to {fmt_date(last)}" if first or last else "no articles"
    flow.paragraph(f"Run date {fmt_date(s.run_date)} · articles published {published}",
                   size=9, color="0.3")
    flow.heading("What changed")
    flow.paragraph(b.headline, size=9.5, max_lines=3)
    if b.stale:
        flow.paragraph(b.stale, size=8, color="0.4", max_lines=2)
    if b.quiet:
        flow.paragraph(b.quiet, size=9.5, max_lines=4, after=0.2)
        for story in b.top[:moves]:  # a quiet week's stories give way as moves do
            _story(flow, story)
        flow.space(0.04)
    for move in b.moves[:moves]:
        flow.paragraph(move.sentence, size=9.5, max_lines=3, after=0.2)
        for story in move.stories[:stories]:
            _story(flow, story)
        flow.space(0.04)
    if len(b.moves) > moves:
        names = ", ".join(data.topic_labels.get(m.topic_id, m.topic_id) for m in b.moves[moves:])
        flow.paragraph(f"Also moved: {names} (in summary.md).", size=8.5, max_lines=2)
    flow.paragraph(brief.RULE, size=7, color="0.45", max_lines=2)
    gap = brief.chart_gap(data.topic_trends)
    if gap:
        flow.paragraph(gap, size=8.5, color="0.4")
    else:
        spec = next(x for x in chart_registry.CHARTS if x.name == "brief_share")
        flow.chart(lambda sf: spec.draw(data, sf), BRIEF_CHART_HEIGHT, name="brief_share")
        flow.space(0.1)
    lines = _alert_lines(s, alerts)  # what the run alerted and why (docs/alerts.md)
    if lines and (alerts is None or alerts >= 0):
        flow.heading(ALERTS_HEADING)
        for alert in lines:
            flow.paragraph(alert, size=8.5, max_lines=2, after=0.1)
        flow.space(0.1)
    flow.heading("New spending claims")
    flow.paragraph(b.claims_line, size=9, max_lines=2, after=0.2)
    for line in b.claims:
        _story(flow, line)
    flow.heading("Data quality")
    flow.paragraph(b.quality, size=8.5, max_lines=3)
    if lines and alerts is not None and alerts < 0:
        flow.paragraph(lines[0], size=8.5, max_lines=2)  # "6 alerts of ... sent ..."
    flow.heading("Contents")
    shown = [(section.name, f"page {page}") for section, page in contents if page is not None]
    flow.key_values(shown, size=8.5, key_width=1.45, pairs=3, max_lines=1)
    for section, page in contents:
        if section.note:
            lead = f" (page {page}) — not drawn:" if page is not None else " —"
            flow.paragraph(f"{section.name}{lead} {section.note}", size=7.5, color="0.35",
                           max_lines=2, after=0.1)
    return flow.pages


def chart_parts(section: str, data: ReportData) -> tuple[list[Figure], str]:
    """The chart pages of ``section`` (declared order) and the line on those not drawn."""
    pages, gaps = [], []
    for spec in chart_registry.CHARTS:
        if spec.section != section:
            continue
        gap = sections.chart_gap(spec.name, data)
        if gap:
            name = CHART_TITLES.get(spec.name, spec.name)
            gaps.append(gap if name == section else f"{name} ({gap})")
        else:
            pages.append(chart_registry.page(spec, data))
    return pages, "; ".join(gaps)


def topic_table(data: ReportData) -> pl.DataFrame:
    """The topic table: :func:`charts.topic_totals_table` over canonical articles plus
    ``reach`` (near duplicates included) and ``delta`` (share change, latest period vs the
    one before)."""
    return data.cached("topic_table", lambda: _topic_table(data))


def _topic_table(data: ReportData) -> pl.DataFrame:
    table = charts.topic_totals_table(data.canonical_mentions, data.topic_labels,
                                      articles_total=data.articles_total)
    extras = sections.topic_table_extras(data)
    evidence = facts.distinct_evidence(data.canonical_mentions, table["topic_id"].to_list())
    return (table.drop("evidence")
            .join(evidence, on="topic_id", how="left", maintain_order="left")
            .join(extras, on="topic_id", how="left", maintain_order="left")
            .with_columns(pl.col("reach").fill_null(0))
            .select(*table.columns, "reach", "delta"))


def write_topics(flow: Flow, data: ReportData) -> None:
    table = topic_table(data)
    changes = facts.share_changes(data.topic_trends)
    n = data.articles_total or 0
    change = "Change: not available (fewer than two periods)."
    if changes.height:
        period = facts.change_period(data.topic_trends)
        change = (f"Change: the topic's share in the {period} of "
                  f"{fmt_date(changes['period_start'][0])} minus its share in the {period} of "
                  f"{fmt_date(changes['previous_start'][0])}, in percentage points (pp).")
    flow.paragraph(
        f"{plural(n, 'article')} in the report (near duplicates counted once). A topic counts "
        "an article when the article's own text names it at least once; share is of all "
        "articles. Reach adds the near duplicates (the same story re-posted). "
        f"{change} The evidence is a sentence that names the topic (from the articles that "
        f"mention it most, a different sentence for each topic where there is one), shown "
        f"for the top {EVIDENCE_TOPICS} topics.")
    if not n:  # a table of zeros says less than this line
        flow.paragraph("no data: no articles in this run", size=10, color="0.4")
        if data.topic_labels:
            flow.paragraph(f"Topics: {', '.join(table['label'].to_list())}.", size=8.5,
                           color="0.3", max_lines=6)
        return
    if data.topic_mentions.height == 0:
        flow.paragraph("no data: no topic mentions in this run", size=10, color="0.4")
    columns = [Column("Topic", 1.5, max_lines=2), Column("Articles", 0.62, "right"),
               Column("Mentions", 0.68, "right"), Column("Share", 0.58, "right"),
               Column("Change", 0.74, "right"), Column("Reach", 0.55, "right"),
               Column("Evidence", 2.2, max_lines=4)]
    mentioned = table.filter(pl.col("articles") > 0) if n else table
    rows: list[list[str]] = []
    quoted: dict[str, str] = {}
    for i, r in enumerate(mentioned.iter_rows(named=True)):
        evidence = r["evidence"] if i < EVIDENCE_TOPICS and r["articles"] and r["evidence"] else ""
        cell = f"“{evidence}”" if evidence else ""
        if evidence in quoted:  # the only sentence there is: said once
            cell = f"(the sentence of {quoted[evidence]})"
        elif evidence:
            quoted[evidence] = r["label"]
        rows.append([r["label"], fmt_int(r["articles"]), fmt_int(r["mentions"]),
                     fmt_pct(r["share"]), fmt_pp(r["delta"]), fmt_int(r["reach"]), cell])
    if rows or not data.topic_labels:
        flow.table(columns, rows, empty="no data: the taxonomy has no topics")
    unmentioned = table.filter(pl.col("articles") == 0)["label"].to_list()
    if n and unmentioned:
        flow.paragraph(f"No articles: {', '.join(unmentioned)}.", size=8.5, color="0.3")


def write_claims_table(flow: Flow, data: ReportData) -> None:
    claims = data.claims.join(
        facts.articles_of(data.articles, data.claims, "title", "published_at"),
        on="article_id", how="left",
    ).sort(["published_at", "article_id", "value"], descending=[True, False, True],
           nulls_last=True)
    claims_table.add_levels(flow, data.claims, data.articles)
    flow.heading("Every claim")
    articles = claims["article_id"].n_unique()
    shown = (f"; the newest {MAX_CLAIM_ROWS} follow, all are in tables/claims.csv"
             if claims.height > MAX_CLAIM_ROWS else "")
    flow.paragraph(f"{plural(claims.height, 'claim')} in {plural(articles, 'article')}, "
                   f"newest article first{shown}.")
    columns = [Column("Value", 0.5, "right"), Column("Unit", 0.75, max_lines=2),
               Column("Year", 0.5, "right"), Column("Actor", 0.85, max_lines=2),
               Column("Kind", 0.6), Column("Sentence", 1.9, max_lines=4),
               Column("Article", 1.0, max_lines=3), Column("Published", 0.77)]
    rows = [
        [fmt_number(r["value"]), charts.unit_label(r["unit"]), str(r["target_year"] or "–"),
         r.get("actor") or "", r.get("kind") or "", r["snippet"] or "",
         r["title"] or r["article_id"], fmt_date(r["published_at"])]
        for r in claims.head(MAX_CLAIM_ROWS).iter_rows(named=True)
    ]
    flow.table(columns, rows, empty="no data: no spending claims found in this run",
               char_em=_TABLE_CHAR_EM)
    if claims.height > MAX_CLAIM_ROWS:
        flow.paragraph(f"{claims.height - MAX_CLAIM_ROWS:,} more claims in tables/claims.csv.")


def _real_themes(data: ReportData) -> pl.DataFrame:
    return data.themes.filter(pl.col("theme_id") >= 0)


def write_theme_table(flow: Flow, data: ReportData) -> None:
    real = _real_themes(data).sort(["size", "theme_id"], descending=[True, False])
    example = (
        data.article_themes.filter(pl.col("theme_id") >= 0)
        .join(data.articles.select("article_id", "title"), on="article_id", how="inner")
        .group_by("theme_id")
        .agg(pl.col("title").sort_by(["weight", "article_id"], descending=[True, False],
                                     nulls_last=True).first())
        .sort("theme_id")
    )
    real = real.join(example, on="theme_id", how="left")
    columns = [Column("Theme", 0.5, "right"), Column("Label", 1.6, max_lines=2),
               Column("Articles", 0.7, "right"), Column("Top terms", 1.95, max_lines=3),
               Column("Most typical article", 2.12, max_lines=3)]
    rows = [[str(r["theme_id"]), r["label"] or "", fmt_int(r["size"]),
             ", ".join(r["top_terms"] or []), r["title"] or ""]
            for r in real.iter_rows(named=True)]
    flow.table(columns, rows, char_em=_TABLE_CHAR_EM)


def write_quality(flow: Flow, data: ReportData) -> None:
    s = data.summary
    flow.key_values([
        ("Rows read", fmt_int(s.rows_read)), ("New articles", fmt_int(s.new_articles)),
        ("Stored articles", fmt_int(s.stored_articles)), ("Duplicates", fmt_int(s.duplicates)),
        ("Near duplicates", f"{fmt_int(s.near_duplicates)} (stored, counted once in topics)"),
        ("Quarantined rows", fmt_int(s.quarantined)),
    ])
    q = data.quarantine
    reasons = dict(s.quarantine_reasons) or dict(q.group_by("reason").len().iter_rows())
    # The summary counts reasons without their row detail ("...: 2023-07-02T00:17:38Z").
    where = dict(q.sort("location").group_by(
        pl.col("reason").str.split(":").list.first().str.strip_chars(), maintain_order=True)
        .agg(pl.col("location").first()).iter_rows())
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], str(kv[0])))
    flow.heading("Quarantined rows by reason")
    flow.table(
        [Column("Reason", 3.4, max_lines=2), Column("Rows", 0.7, "right"),
         Column("First location", 2.77, max_lines=2)],
        [[str(reason), fmt_int(n), where.get(str(reason).split(":")[0].strip()) or ""]
         for reason, n in ranked[:MAX_REASONS]],
        empty="none: no rows were quarantined",
    )
    if len(ranked) > MAX_REASONS:
        flow.paragraph(f"{len(ranked) - MAX_REASONS:,} more reasons in tables/quarantine.csv.")
    flow.heading("Sources")
    flow.table(
        [Column("Source", 1.5, max_lines=2), Column("Kind", 0.7), Column("Status", 0.75),
         Column("Rows read", 0.75, "right"), Column("Message", 3.17, max_lines=3)],
        [[o.source, o.kind, o.status, fmt_int(o.rows_read), o.message] for o in s.sources],
        empty="no data: the run summary lists no sources",
    )
    flow.heading("Run parameters")
    flow.key_values([(str(k), str(v)) for k, v in s.parameters.items()] or [("(none)", "")],
                    size=8.5, key_width=1.6, max_lines=3, pairs=2)


def build_pages(data: ReportData, *, title: str = "topicwatch report") -> list[Figure]:
    """All pages in order, with a contents list on the title page and page-numbered footers."""
    with charts.style():  # once for all pages: entering it per text line is slow
        return _build_pages(data, title)


def _charts_then(section: str, data: ReportData, *texts: Text) -> Section:
    pages, note = chart_parts(section, data)
    return Section(section, [*pages, *texts], note)


def _sections(data: ReportData) -> list[Section]:
    def text(name: str, write: Callable[[Flow], None], gap: str = "",
             heading: str | None = None) -> Section:
        return Section(name, note=gap) if gap else Section(name, [Text(heading or name, write)])

    no_themes = data.theme_status or "no themes in this run"
    mentions = "" if data.topic_mentions.height else "no topic mentions in this run"
    return [
        text("Topics", lambda f: write_topics(f, data)),
        text("Emerging topics", lambda f: sections.write_emerging(f, data),
             sections.emerging_gap(data)),
        (Section(chart_registry.BURSTS, note=gap) if (gap := bursts_pages.bursts_gap(data))
         else _charts_then(chart_registry.BURSTS, data, Text(
             "What drove the bursts", lambda f: bursts_pages.write_what_drove_it(f, data)))),
        *(_charts_then(name, data) for name in (
            chart_registry.TOPIC_CHARTS, chart_registry.SOURCES, chart_registry.COOCCURRENCE)),
        text("Evidence", lambda f: sections.write_evidence(f, data, topic_table(data)), mentions),
        (_charts_then(chart_registry.CLAIMS, data, Text(
            chart_registry.CLAIMS, lambda f: write_claims_table(f, data)))
         if data.claims.height else Section(chart_registry.CLAIMS,
                                            note="no spending claims found in this run")),
        (_charts_then(chart_registry.THEMES, data, Text(
            chart_registry.THEMES, lambda f: write_theme_table(f, data)))
         if _real_themes(data).height else Section(chart_registry.THEMES, note=no_themes)),
        # Started on a fresh page unless it fits whole: else its last page held only
        # the run parameters.
        Section("Data quality", [Text("Data quality", lambda f: write_quality(f, data),
                                      min_space=5.5)]),
    ]


def _build_pages(data: ReportData, title: str) -> list[Figure]:
    layout = _Layout()
    contents: list[tuple[Section, int | None]] = []
    for section in _sections(data):
        starts = [layout.add(part) for part in section.parts]
        contents.append((section, starts[0] if starts else None))
    body = layout.done()

    def numbered(offset: int) -> list[tuple[Section, int | None]]:
        return [(sec, None if i is None else i + offset) for sec, i in contents]

    pages = brief_pages(data, numbered(2), title=title)
    if len(pages) > 1:  # only when the brief overflows its page
        pages = brief_pages(data, numbered(1 + len(pages)), title=title)
    pages.extend(body)
    add_footers(pages, f"{title} · {data.summary.corpus} · run {fmt_date(data.summary.run_date)}")
    return pages
