"""The report's bursts section after its timeline: what drove the latest bursts.

For each burst peak of ``burst_stories`` (newest first): the topic, the day, how far
above its baseline it stood, and its largest stories with their outlets and a link.
Pure: frames in, lines drawn into a page :class:`Flow`.
"""

from __future__ import annotations

import polars as pl

from analytics.report.data import ReportData
from analytics.report.formatting import fmt_date, fmt_int, plural, truncate
from analytics.report.layout import Column, Flow

# 6.87 inches in all, the text width of every table of the report
STORY_COLUMNS = [Column("#", 0.3, "right"), Column("Story (its most central title)", 3.2,
                                                   max_lines=3),
                 Column("Articles", 0.65, "right"), Column("Outlets", 1.25, max_lines=3),
                 Column("Link", 1.47, max_lines=3)]
# Inches a peak's heading, its line, the table header and a first row take: a peak starts
# a page rather than leave its heading alone at the foot of one.
PEAK_MIN_SPACE = 1.4
URL_EM = 0.6  # links are wide glyphs (w, m, digits): wrapped at 0.53 em they were clipped


def fmt_p(p: float) -> str:
    """A p-value as a reader takes it in: "0.3", "0.04", "6e-05"."""
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.0e}"


def _peak_line(data: ReportData, peak: dict) -> str:
    flag = data.bursts.filter(
        (pl.col("topic_id") == peak["topic_id"]) & (pl.col("period") == peak["period"])
        & (pl.col("period_start") == peak["period_start"])).head(1)
    if flag.is_empty():
        return ""
    f = flag.row(0, named=True)
    onset = (f" (run since {fmt_date(f['onset'])})"
             if f["onset"] is not None and f["onset"] != f["period_start"] else "")
    week = (f" (the week to it: {f['window_ratio']:.1f}x, p = {fmt_p(f['window_p_value'])})"
            if f.get("window_p_value") is not None and f.get("window_ratio") is not None
            else "")
    return (f"{plural(f['articles'], 'article')} of {fmt_int(f['total'])} that {peak['period']}"
            f"{onset}: {f['ratio']:.1f}x its baseline share, p = {fmt_p(f['p_value'])}{week}; "
            f"{plural(f['sources'], 'outlet')}.")


def bursts_gap(data: ReportData) -> str:
    """Why the section has nothing to show ("" when it has)."""
    if data.bursts.is_empty():
        return ("no burst or day to watch in this date range (the baseline is the 28 days "
                "before, so a burst needs two weeks of history)")
    return ""


def write_what_drove_it(flow: Flow, data: ReportData) -> None:
    """Per burst peak, its stories; a line saying so when there is no burst."""
    stories = data.burst_stories
    if stories.is_empty():
        flow.paragraph("No topic burst in this date range: no day drew at least twice its "
                       "baseline share of articles from two or more outlets.", size=10,
                       color="0.3")
        return
    flow.paragraph("The topic's articles of each burst's busiest day, near duplicates "
                   "included, grouped by what their titles say; a story's line is its most "
                   "central title. Newest bursts first.")
    peaks = stories.select("topic_id", "period", "period_start").unique(maintain_order=True)
    for peak in peaks.iter_rows(named=True):
        label = data.topic_labels.get(peak["topic_id"], peak["topic_id"])
        flow.ensure(PEAK_MIN_SPACE)
        flow.heading(f"{truncate(label, 60)}: {fmt_date(peak['period_start'])}", size=10)
        line = _peak_line(data, peak)
        if line:
            flow.paragraph(line, size=8.5, color="0.3")
        rows = stories.filter(
            (pl.col("topic_id") == peak["topic_id"])
            & (pl.col("period_start") == peak["period_start"])).sort("rank")
        flow.table(STORY_COLUMNS, [
            [str(r["rank"]), r["label"], fmt_int(r["articles"]),
             ", ".join(r["outlets"][:4]) + (" …" if len(r["outlets"]) > 4 else ""),
             (r["urls"] or [""])[0]]
            for r in rows.iter_rows(named=True)], char_em=URL_EM)
