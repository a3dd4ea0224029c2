"""Write one run's report: report.pdf, charts/*.png, tables/*.parquet and .csv, summary.md.

The IO layer over :mod:`analytics.report.charts` and :mod:`analytics.report.pages`. Every file is
written atomically and replaced, never appended; files a previous report left in
``charts/`` or ``tables/`` that this one does not write are removed. With
``SOURCE_DATE_EPOCH`` set (or not), the same inputs give byte-identical PDF and PNG files:
no timestamps, no software versions in PNGs, fixed fonts, the Agg renderer.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure
from matplotlib.transforms import Bbox

from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary
from analytics.report import chart_registry, charts, claims_table
from analytics.report.csv_tables import csv_ready
from analytics.report.data import ReportData
from analytics.report.layout import page_chart
from analytics.report.markdown import summary_markdown
from analytics.report.pages import build_pages, topic_table
from analytics.store import atomic

REPORT_TABLES = ("articles", "topic_mentions", "claims", "topic_trends", "themes",
                 "article_themes", "quarantine")
# Columns the report reads from each table (the rest of the contract may evolve freely).
NEEDS = {
    "articles": ("article_id", "source", "url", "title", "published_at", "duplicate_of",
                 "ingested_on"),
    "topic_mentions": ("article_id", "topic_id", "mentions", "evidence"),
    "claims": ("article_id", "claim_type", "value", "unit", "target_year", "snippet"),
    # Shown when present, all columns needed.
    **{name: tuple(schema.TABLES[name]) for name in schema.REPORT_EXTRAS},
    "topic_trends": ("period_start", "period", "topic_id", "articles"),
    "themes": ("theme_id", "label", "top_terms", "size"),
    "article_themes": ("article_id", "theme_id", "weight"),
    "quarantine": ("source", "location", "reason"),
}
PNG_DPI = 150
CHILD_TIMEOUT = 600  # seconds the PNG process may take before they are drawn here
PNG_PAD = 0.1  # inches of the page kept around a chart cut from it (titles touch its edge)


@dataclass(frozen=True)
class ReportFiles:
    """Paths of everything one report wrote."""

    out_dir: Path
    pdf: Path
    summary_md: Path
    pages: int
    charts: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)  # name -> Parquet
    csv: dict[str, Path] = field(default_factory=dict)  # name -> CSV beside it
    # Charts a PDF page shows; the others' PNGs only say why their section has none.
    on_pages: frozenset[str] = frozenset()


def write_report(
    out_dir: Path,
    *,
    tables: Mapping[str, pl.DataFrame],
    topic_labels: Mapping[str, str],
    summary: RunSummary,
    theme_status: str | None = None,
    title: str = "topicwatch report",
    png_dpi: int = PNG_DPI,
    parallel: bool = True,
) -> ReportFiles:
    """Write the report for one run into ``out_dir`` (e.g. ``reports/<run-date>/``).

    ``tables`` holds frames following analytics.contracts.schema by name, plus the
    ``schema.REPORT_EXTRAS`` (emerging_topics, cooccurrence, source_shares,
    theme_terms, theme_coords, theme_trends); absent report tables count as empty (and
    absent extra ones are not written), other tables are saved too. ``theme_status`` (default
    ``summary.theme_status``) explains missing themes. Raises ``schema.SchemaError``
    naming any missing or mistyped column the report needs. ``parallel`` draws the PNG
    charts in a forked process while the PDF is drawn (same files either way).
    """
    out_dir = Path(out_dir)
    atomic.remove_stale_temps(out_dir)  # of a report killed mid-write; live writers' stay
    frames = {name: _checked(tables.get(name), name) for name in REPORT_TABLES}
    extras = {name: _checked(tables.get(name), name) for name in schema.REPORT_EXTRAS}
    order = charts.topic_order(
        topic_labels, frames["topic_mentions"]["topic_id"], frames["topic_trends"]["topic_id"]
    )
    data = ReportData(
        **frames,
        topic_labels=dict(topic_labels),
        summary=summary,
        theme_status=theme_status if theme_status is not None else summary.theme_status,
        colors=charts.topic_colors(order),
        **extras,
    )
    pages = build_pages(data, title=title)
    for page in pages:  # before the fork: the PDF and the PNGs are drawn from one layout
        charts.freeze_layout(page)
    chart_paths = _write_standalone_charts(out_dir / "charts", data, pages, png_dpi)
    cut_charts = _cut_page_charts(out_dir / "charts", pages, png_dpi, fork=parallel)
    # polars writes the tables without holding the GIL, so they go while matplotlib draws.
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = pool.submit(_write_tables, out_dir / "tables",
                              {**frames, **tables, "topic_totals": topic_totals(data),
                               "claim_levels": claims_table.latest_levels(data.claims,
                                                                          data.articles)})
        pdf = _write_pdf(out_dir / "report.pdf", pages, title=f"{title} {summary.run_date}")
        summary_md = atomic.write_text(out_dir / "summary.md",
                                       summary_markdown(data, title=title))
        chart_paths |= cut_charts()
        table_paths, csv_paths = written.result()
    chart_paths = {spec.name: chart_paths[spec.name] for spec in chart_registry.CHARTS}
    _remove_stale(out_dir / "charts", set(chart_paths.values()))
    _remove_stale(out_dir / "tables", set(table_paths.values()) | set(csv_paths.values()))
    on_pages = frozenset(ref[0] for page in pages if (ref := page_chart(page)))
    return ReportFiles(out_dir, pdf, summary_md, len(pages), chart_paths, table_paths, csv_paths,
                       on_pages)


def topic_totals(data: ReportData) -> pl.DataFrame:
    """The topic table of the PDF and ``summary.md`` as a report table (``TOPIC_TOTALS``):
    what the Prefect artifact shows too, so every place gives the same numbers."""
    return schema.validate(topic_table(data).rename({"delta": "share_change"}), "topic_totals")


def _checked(df: pl.DataFrame | None, name: str) -> pl.DataFrame:
    if df is None:
        return schema.empty(name)
    if name == "claims" and "actor" not in df.columns:  # optional: claims before actors
        df = df.with_columns(actor=pl.lit(None, pl.String))
    return schema.validate(df, name, columns=NEEDS[name], reader="the report")


def _write_tables(folder: Path, frames: Mapping[str, pl.DataFrame]):
    parquet, csv = {}, {}
    for name in sorted(frames):
        df = frames[name]
        parquet[name] = atomic.write_parquet(df, folder / f"{name}.parquet")
        ready = csv_ready(df)
        csv[name] = atomic.write_with(folder / f"{name}.csv", ready.write_csv)
    return parquet, csv


def _save_png(fig: Figure, dest: Path, dpi: int) -> Path:
    charts.freeze_layout(fig)
    with charts.style():
        return atomic.write_with(
            dest, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
        )


def _save_png_from_page(page: Figure, chart: SubFigure, dest: Path, dpi: int) -> Path:
    """The part of a laid-out (frozen) PDF page that holds ``chart``, as a PNG."""
    inches = chart.bbox.transformed(page.dpi_scale_trans.inverted())
    # Not below: the page's note on the chart starts there.
    box = Bbox(np.round(inches.get_points() + [[-PNG_PAD, 0], [PNG_PAD, PNG_PAD]], 4))
    with charts.style():
        return atomic.write_with(dest, lambda tmp: page.savefig(
            tmp, format="png", dpi=dpi, bbox_inches=box, metadata={"Software": None}))


def _write_standalone_charts(folder: Path, data: ReportData, pages: list[Figure],
                             dpi: int) -> dict[str, Path]:
    """The PNGs of charts that no PDF page holds (sections without data), drawn on their
    own; the others are cut from their pages (:func:`_cut_page_charts`)."""
    on_pages = {ref[0] for page in pages if (ref := page_chart(page))}
    return {spec.name: _save_png(chart_registry.standalone(spec, data),
                                 folder / f"{spec.name}.png", dpi)
            for spec in chart_registry.CHARTS if spec.name not in on_pages}


def _cut_page_charts(folder: Path, pages: list[Figure], dpi: int,
                     fork: bool) -> Callable[[], dict[str, Path]]:
    """Start writing the PNG of every chart a PDF page holds, cut from that page (each
    chart is drawn once, for both); returns the call that waits for them.

    With ``fork`` (where the OS has it) a forked child process draws them while this one
    draws the PDF: drawing is most of a report's time and holds the GIL. The child sees
    the laid-out figures as they are, draws with matplotlib only (polars' thread pool is
    not safe after a fork) and exits; should it fail, they are drawn here.
    """
    jobs = {name: (page, chart) for page in pages if (ref := page_chart(page))
            for name, chart in [ref]}
    paths = {name: folder / f"{name}.png" for name in jobs}

    def cut() -> None:
        for name, (page, chart) in jobs.items():
            _save_png_from_page(page, chart, paths[name], dpi)

    child = None
    # A daemonic process (e.g. a multiprocessing pool's worker) may not have children.
    if (fork and jobs and "fork" in mp.get_all_start_methods()
            and not mp.current_process().daemon):
        child = mp.get_context("fork").Process(target=cut, name="topicwatch-charts",
                                               daemon=True)
        child.start()

    def done() -> dict[str, Path]:
        if child is not None:
            child.join(CHILD_TIMEOUT)
            if child.exitcode == 0:
                return paths
            child.kill()
            child.join()
        cut()
        return paths

    return done


def _write_pdf(dest: Path, pages: list[Figure], *, title: str) -> Path:
    """The pages (laid out and frozen) as one PDF."""
    # No dates in the metadata: reruns of the same inputs give the same bytes even without
    # SOURCE_DATE_EPOCH; the run date is on the title page.
    metadata = {"Title": title, "Creator": "topicwatch", "CreationDate": None, "ModDate": None}

    def write(tmp: Path) -> None:
        with charts.style(), PdfPages(tmp, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)

    return atomic.write_with(dest, write)


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    for path in folder.glob("*"):
        if path.suffix in {".png", ".parquet", ".csv"} and path not in keep:
            path.unlink(missing_ok=True)
