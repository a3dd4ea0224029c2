"""The report's sections as A4 pages: frames and the run summary in, ``Figure`` pages out.

Section order: title (with what changed), topics table, emerging topics, bursts (timeline,
what drove them), topic charts (totals, trends, share over time), share by source, topic
co-occurrence, evidence, spending claims (by target year, over time, table), themes (bars,
map, sizes over time, table), data quality. Every section renders "no data" pages for
empty frames rather than failing.
"""

from __future__ import annotations

import polars as pl
from matplotlib.figure import Figure

from analytics.report import bursts_pages, chart_registry, charts, claims_table, facts, sections
from analytics.report.data import ReportData
from analytics.report.formatting import fmt_date, fmt_int, fmt_number, fmt_pct, plural
from analytics.report.layout import Column, Flow, add_footers
from analytics.report.sections import fmt_pp

__all__ = ["ReportData", "build_pages", "topic_table"]

EVIDENCE_TOPICS = 10  # topics (by articles) whose evidence sentence the table shows
# The claims table shows the newest ones: about four pages to read; tables/claims.csv has all.
MAX_CLAIM_ROWS = 50


MAX_TITLE_PARAMETERS = 12


def title_pages(data: ReportData, contents: list[tuple[str, int]], *, title: str) -> list[Figure]:
    """Title, corpus, date range, article counts, run parameters and the contents list."""
    s = data.summary
    flow = Flow(title)
    flow.paragraph(s.corpus or "(unnamed corpus)", size=14, max_lines=3)
    first, last = data.date_range()
    published = f"{fmt_date(first)} to {fmt_date(last)}" if first or last else "no articles"
    flow.key_values([("Run date", fmt_date(s.run_date)), ("Articles published", published)],
                    size=11, key_width=1.85)
    flow.space(0.1)
    flow.heading("What changed")
    flow.key_values(sections.what_changed(data), size=9, max_lines=4, key_width=1.85,
                    char_em=0.6)
    flow.heading("Articles")
    flow.key_values([
        ("Rows read this run", fmt_int(s.rows_read)),
        ("New articles", fmt_int(s.new_articles)),
        ("Stored articles (all runs)", fmt_int(s.stored_articles)),
        ("Duplicates", fmt_int(s.duplicates)),
        ("Near duplicates (stored)", fmt_int(s.near_duplicates)),
        ("Quarantined rows", fmt_int(s.quarantined)),
        ("Topics found", fmt_int(s.topics_found)),
        ("Themes", data.theme_status or plural(_real_themes(data).height, "theme")),
    ], size=9, key_width=1.85, pairs=2, max_lines=3)
    flow.heading("Run parameters")
    params = [(str(k), str(v)) for k, v in s.parameters.items()]
    if len(params) > MAX_TITLE_PARAMETERS:
        extra = len(params) - MAX_TITLE_PARAMETERS + 1
        params = params[: MAX_TITLE_PARAMETERS - 1] + [(f"… {extra} more", "see summary.md")]
    flow.key_values(params or [("(none)", "")], max_lines=1, key_width=1.85)
    flow.heading("Contents")
    flow.key_values([(name, f"page {page}") for name, page in contents], key_width=1.85,
                    pairs=2)
    return flow.pages


def topic_table(data: ReportData) -> pl.DataFrame:
    """The topic table: :func:`charts.topic_totals_table` over canonical articles plus
    ``reach`` (near duplicates included) and ``delta`` (share change, latest period vs the
    one before)."""
    return data.cached("topic_table", lambda: _topic_table(data))


def _topic_table(data: ReportData) -> pl.DataFrame:
    table = charts.topic_totals_table(data.canonical_mentions, data.topic_labels,
                                      articles_total=data.articles_total)
    extras = sections.topic_table_extras(data)
    return table.join(extras, on="topic_id", how="left", maintain_order="left").with_columns(
        pl.col("reach").fill_null(0))


def topic_pages(data: ReportData) -> list[Figure]:
    table = topic_table(data)
    changes = facts.share_changes(data.topic_trends)
    flow = Flow("Topics")
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
        f"{change} The evidence is the sentence that mentions the topic most, shown for the "
        f"top {EVIDENCE_TOPICS} topics.")
    if data.topic_mentions.height == 0:
        flow.paragraph("no data: no topic mentions in this run", size=10, color="0.4")
    columns = [Column("Topic", 1.55, max_lines=2), Column("Articles", 0.62, "right"),
               Column("Mentions", 0.68, "right"), Column("Share", 0.55, "right"),
               Column("Change", 0.68, "right"), Column("Reach", 0.58, "right"),
               Column("Evidence", 2.21, max_lines=4)]
    rows = []
    for i, r in enumerate(table.iter_rows(named=True)):
        evidence = r["evidence"] if i < EVIDENCE_TOPICS and r["articles"] and r["evidence"] else ""
        rows.append([r["label"], fmt_int(r["articles"]), fmt_int(r["mentions"]),
                     fmt_pct(r["share"]), fmt_pp(r["delta"]), fmt_int(r["reach"]),
                     f"“{evidence}”" if evidence else ""])
    flow.table(columns, rows, empty="no data: the taxonomy has no topics")
    return flow.pages


def claims_pages(data: ReportData) -> list[Figure]:
    """Claims by target year, spending targets over time, then the latest level and target
    per actor and the claims table; one "no data" page without claims."""
    if data.claims.height == 0:
        flow = Flow("Spending claims")
        flow.paragraph("no data: no spending claims found in this run", size=12, color="0.3")
        flow.paragraph("A spending claim is a level of defence spending stated in an article "
                       "(for example '2% of GDP by 2024'); the charts of claims by target "
                       "year and of spending targets over time need at least one.")
        return flow.pages
    return [*chart_registry.section_pages(chart_registry.CLAIMS, data),
            *claims_table_pages(data)]


def claims_table_pages(data: ReportData) -> list[Figure]:
    claims = data.claims.join(
        facts.articles_of(data.articles, data.claims, "title", "published_at"),
        on="article_id", how="left",
    ).sort(["published_at", "article_id", "value"], descending=[True, False, True],
           nulls_last=True)
    flow = Flow("Spending claims")
    claims_table.add_levels(flow, data.claims, data.articles)
    flow.heading("Every claim")
    articles = claims["article_id"].n_unique()
    shown = (f"; the newest {MAX_CLAIM_ROWS} follow, all are in tables/claims.csv"
             if claims.height > MAX_CLAIM_ROWS else "")
    flow.paragraph(f"{plural(claims.height, 'claim')} in {plural(articles, 'article')}, "
                   f"newest article first{shown}.")
    columns = [Column("Value", 0.5, "right"), Column("Unit", 0.62, max_lines=2),
               Column("Year", 0.42, "right"), Column("Actor", 0.8, max_lines=2),
               Column("Kind", 0.55), Column("Sentence", 2.0, max_lines=4),
               Column("Article", 1.18, max_lines=3), Column("Published", 0.8)]
    rows = [
        [fmt_number(r["value"]), charts.unit_label(r["unit"]), str(r["target_year"] or "–"),
         r.get("actor") or "", r.get("kind") or "", r["snippet"] or "",
         r["title"] or r["article_id"], fmt_date(r["published_at"])]
        for r in claims.head(MAX_CLAIM_ROWS).iter_rows(named=True)
    ]
    flow.table(columns, rows, empty="no data: no spending claims found in this run")
    if claims.height > MAX_CLAIM_ROWS:
        flow.paragraph(f"{claims.height - MAX_CLAIM_ROWS:,} more claims in tables/claims.csv.")
    return flow.pages


def _real_themes(data: ReportData) -> pl.DataFrame:
    return data.themes.filter(pl.col("theme_id") >= 0)


def theme_pages(data: ReportData) -> list[Figure]:
    real = _real_themes(data).sort(["size", "theme_id"], descending=[True, False])
    if real.height == 0:
        flow = Flow("Themes")
        flow.paragraph(f"no data: {data.theme_status or 'no themes in this run'}", size=12,
                       color="0.3")
        flow.paragraph("Themes group articles by shared vocabulary; they need enough "
                       "articles to be meaningful.")
        return flow.pages
    example = (
        data.article_themes.filter(pl.col("theme_id") >= 0)
        .join(data.articles.select("article_id", "title"), on="article_id", how="inner")
        .group_by("theme_id")
        .agg(pl.col("title").sort_by(["weight", "article_id"], descending=[True, False],
                                     nulls_last=True).first())
        .sort("theme_id")
    )
    real = real.join(example, on="theme_id", how="left")
    flow = Flow("Themes")
    columns = [Column("Theme", 0.5, "right"), Column("Label", 1.6, max_lines=2),
               Column("Articles", 0.65, "right"), Column("Top terms", 2.0, max_lines=3),
               Column("Most typical article", 2.12, max_lines=3)]
    rows = [[str(r["theme_id"]), r["label"] or "", fmt_int(r["size"]),
             ", ".join(r["top_terms"] or []), r["title"] or ""]
            for r in real.iter_rows(named=True)]
    flow.table(columns, rows)
    return [*chart_registry.section_pages(chart_registry.THEMES, data), *flow.pages]


def quality_pages(data: ReportData) -> list[Figure]:
    s = data.summary
    flow = Flow("Data quality")
    flow.key_values([
        ("Rows read", fmt_int(s.rows_read)), ("New articles", fmt_int(s.new_articles)),
        ("Stored articles", fmt_int(s.stored_articles)), ("Duplicates", fmt_int(s.duplicates)),
        ("Near duplicates", f"{fmt_int(s.near_duplicates)} (stored, counted once in topics)"),
        ("Quarantined rows", fmt_int(s.quarantined)),
    ])
    q = data.quarantine
    reasons = dict(s.quarantine_reasons) or dict(q.group_by("reason").len().iter_rows())
    where = dict(q.sort("location").group_by("reason", maintain_order=True)
                 .agg(pl.col("location").first()).iter_rows())
    flow.heading("Quarantined rows by reason")
    flow.table(
        [Column("Reason", 3.4, max_lines=2), Column("Rows", 0.7, "right"),
         Column("First location", 2.77, max_lines=2)],
        [[str(reason), fmt_int(n), where.get(reason) or ""]
         for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], str(kv[0])))],
        empty="none: no rows were quarantined",
    )
    flow.heading("Sources")
    flow.table(
        [Column("Source", 1.5, max_lines=2), Column("Kind", 0.7), Column("Status", 0.75),
         Column("Rows read", 0.75, "right"), Column("Message", 3.17, max_lines=3)],
        [[o.source, o.kind, o.status, fmt_int(o.rows_read), o.message] for o in s.sources],
        empty="no data: the run summary lists no sources",
    )
    return flow.pages


def build_pages(data: ReportData, *, title: str = "topicwatch report") -> list[Figure]:
    """All pages in order, with a contents list on the title page and page-numbered footers."""
    with charts.style():  # once for all pages: entering it per text line is slow
        return _build_pages(data, title)


def _build_pages(data: ReportData, title: str) -> list[Figure]:
    section_pages = [
        ("Topics", topic_pages(data)),
        ("Emerging topics", sections.emerging_pages(data)),
        (chart_registry.BURSTS, bursts_pages.bursts_pages(data)),
        *((name, chart_registry.section_pages(name, data)) for name in (
            chart_registry.TOPIC_CHARTS, chart_registry.SOURCES, chart_registry.COOCCURRENCE)),
        ("Evidence", sections.evidence_pages(data, topic_table(data))),
        (chart_registry.CLAIMS, claims_pages(data)),
        (chart_registry.THEMES, theme_pages(data)),
        ("Data quality", quality_pages(data)),
    ]

    def contents(first_page: int) -> list[tuple[str, int]]:
        entries, page = [], first_page
        for name, pages in section_pages:
            entries.append((name, page))
            page += len(pages)
        return entries

    pages = title_pages(data, contents(2), title=title)
    if len(pages) > 1:  # only with very long corpus names or parameters
        pages = title_pages(data, contents(1 + len(pages)), title=title)
    for _, section in section_pages:
        pages.extend(section)
    add_footers(pages, f"{title} · {data.summary.corpus} · run {fmt_date(data.summary.run_date)}")
    return pages
