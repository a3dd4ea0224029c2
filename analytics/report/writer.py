"""Write one run's report: report.pdf, charts/*.png, tables/*.parquet and .csv, summary.md.

The IO layer over :mod:`analytics.report.charts` and :mod:`analytics.report.pages`. Every file is
written atomically and replaced, never appended; files a previous report left in
``charts/`` or ``tables/`` that this one does not write are removed. With
``SOURCE_DATE_EPOCH`` set (or not), the same inputs give byte-identical PDF and PNG files:
no timestamps, no software versions in PNGs, fixed fonts, the Agg renderer.

Each page is laid out once and drawn once for the PNGs: a page holding a chart is laid
out at the PNG resolution (positions rounded and frozen: the same bytes in every process),
drawn on its Agg canvas, and the chart's PNG is cut from those pixels; the PDF draws the
same frozen figures (in a forked process meanwhile, where there is fork).
The tables that grow with the store (``STORE_TABLES``) stay in the store: ``tables/``
holds the run's small tables and a README saying where the others are (``topicwatch
export`` writes them). matplotlib's PDF backend and the chart modules load when a report
is written, not when this module is imported.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary
from analytics.store import atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

    from analytics.report.data import ReportData

REPORT_TABLES = ("articles", "topic_mentions", "claims", "topic_trends", "themes",
                 "article_themes", "quarantine")
# One row per stored article (or more): read from the store, never copied into a report
# folder (about 100 MB a day at 188k articles); ``topicwatch export`` writes them.
STORE_TABLES = ("articles", "topic_mentions", "article_themes", "theme_coords")
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
CHILD_TIMEOUT = 600  # seconds the PDF process may take before it is drawn here
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
    absent extra ones are not written), other tables are saved too, except the
    ``STORE_TABLES``. ``theme_status`` (default ``summary.theme_status``) explains missing
    themes. Raises ``schema.SchemaError`` naming any missing or mistyped column the report
    needs. ``parallel`` draws the PDF in a forked process while the PNGs are drawn, and
    writes the tables on a thread meanwhile (same files either way).
    """
    from analytics.report import charts, claims_table
    from analytics.report.data import ReportData
    from analytics.report.layout import page_chart
    from analytics.report.markdown import summary_markdown
    from analytics.report.pages import build_pages

    out_dir = Path(out_dir)
    atomic.remove_stale_temps(out_dir)  # of a report killed mid-write; live writers' stay
    frames = {name: _checked(tables.get(name), name) for name in REPORT_TABLES}
    extras = {name: _checked(tables.get(name), name) for name in schema.REPORT_EXTRAS}
    order = charts.topic_order(
        topic_labels, frames["topic_mentions"]["topic_id"], frames["topic_trends"]["topic_id"]
    )
    # The pages list each claim once; tables/claims.csv (``small`` below) keeps every row.
    data = ReportData(
        **(frames | {"claims": claims_table.distinct(frames["claims"], frames["articles"])}),
        topic_labels=dict(topic_labels),
        summary=summary,
        theme_status=theme_status if theme_status is not None else summary.theme_status,
        colors=charts.topic_colors(order),
        **extras,
    )
    small = {name: df for name, df in {**frames, **tables}.items() if name not in STORE_TABLES}
    small |= {"topic_totals": topic_totals(data),
              "claim_levels": claims_table.latest_levels(data.claims, data.articles)}
    pages = build_pages(data, title=title)
    chart_paths = _write_standalone_charts(out_dir / "charts", data, pages, png_dpi)
    _lay_out(pages, png_dpi)
    # The PDF in a forked process while this one draws the PNGs: started before the tables
    # thread, so the fork copies no polars work in progress.
    pdf_done = _start_pdf(out_dir / "report.pdf", pages, title=f"{title} {summary.run_date}",
                          fork=parallel)
    # polars writes the tables without holding the GIL, so they go while matplotlib draws.
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = (pool.submit(_write_tables, out_dir / "tables", small, summary)
                   if parallel else None)
        chart_paths |= _draw_page_charts(out_dir / "charts", pages, png_dpi)
        summary_md = atomic.write_text(out_dir / "summary.md",
                                       summary_markdown(data, title=title))
        table_paths, csv_paths = (written.result() if written is not None
                                  else _write_tables(out_dir / "tables", small, summary))
    pdf = pdf_done()
    chart_paths = {spec.name: chart_paths[spec.name] for spec in _chart_specs()}
    _remove_stale(out_dir / "charts", set(chart_paths.values()))
    _remove_stale(out_dir / "tables", set(table_paths.values()) | set(csv_paths.values()))
    on_pages = frozenset(ref[0] for page in pages if (ref := page_chart(page)))
    return ReportFiles(out_dir, pdf, summary_md, len(pages), chart_paths, table_paths, csv_paths,
                       on_pages)


def _chart_specs():
    from analytics.report import chart_registry

    return chart_registry.CHARTS


def topic_totals(data: ReportData) -> pl.DataFrame:
    """The topic table of the PDF and ``summary.md`` as a report table (``TOPIC_TOTALS``):
    what the Prefect artifact shows too, so every place gives the same numbers."""
    from analytics.report.pages import topic_table

    return schema.validate(topic_table(data).rename({"delta": "share_change"}), "topic_totals")


def _checked(df: pl.DataFrame | None, name: str) -> pl.DataFrame:
    if df is None:
        return schema.empty(name)
    if name == "claims" and "actor" not in df.columns:  # optional: claims before actors
        df = df.with_columns(actor=pl.lit(None, pl.String))
    return schema.validate(df, name, columns=NEEDS[name], reader="the report")


def _write_tables(folder: Path, frames: Mapping[str, pl.DataFrame], summary: RunSummary):
    from analytics.report.csv_tables import csv_ready

    parquet, csv = {}, {}
    for name in sorted(frames):
        df = frames[name]
        parquet[name] = atomic.write_parquet(df, folder / f"{name}.parquet")
        csv[name] = atomic.write_with(folder / f"{name}.csv", csv_ready(df).write_csv)
    atomic.write_text(folder / "README.md", store_note(summary))
    return parquet, csv


def store_note(summary: RunSummary) -> str:
    """``tables/README.md``: what is here, and where the whole-store tables are."""
    store = summary.parameters.get("data_dir") or "DATA_DIR"
    return (
        "# Tables of this report\n\n"
        "The run's small tables, as Parquet and CSV (lists joined by \"; \"). The tables "
        f"that grow with the store ({', '.join(STORE_TABLES)}) are not copied into each "
        f"report: they are in the store, `{store}` (articles under `articles/month=*/`, "
        "topic mentions and claims under `derived/`, themes under `themes/fits/`). "
        "To write them as tables:\n\n"
        f"    topicwatch export FOLDER --data-dir {store} [--format csv]\n"
    )


def _save_png(fig: Figure, dest: Path, dpi: int) -> Path:
    from analytics.report import charts

    charts.freeze_layout(fig)
    with charts.style():
        return atomic.write_with(
            dest, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
        )


def _write_standalone_charts(folder: Path, data: ReportData, pages: list[Figure],
                             dpi: int) -> dict[str, Path]:
    """The PNGs of charts that no PDF page holds (sections without data), drawn on their
    own; the others are cut from their pages (:func:`_draw_page_charts`)."""
    from analytics.report import chart_registry
    from analytics.report.layout import page_chart

    on_pages = {ref[0] for page in pages if (ref := page_chart(page))}
    return {spec.name: _save_png(chart_registry.standalone(spec, data),
                                 folder / f"{spec.name}.png", dpi)
            for spec in chart_registry.CHARTS if spec.name not in on_pages}


def _lay_out(pages: list[Figure], dpi: int) -> None:
    """Freeze every page's layout: a page holding a chart laid out at ``dpi`` (the PNG's,
    so that drawing it reuses the text extents of its layout)."""
    from analytics.report import charts
    from analytics.report.layout import page_chart

    for page in pages:
        page_dpi = page.dpi
        if page_chart(page) is not None:
            page.set_dpi(dpi)
        charts.freeze_layout(page)
        page.set_dpi(page_dpi)


def _draw_page_charts(folder: Path, pages: list[Figure], dpi: int) -> dict[str, Path]:
    """Draw each (laid-out) page that holds a chart once on its Agg canvas at ``dpi`` and
    cut the chart's PNG from the pixels; the PDF draws the same figures."""
    from analytics.report import charts
    from analytics.report.layout import page_chart

    paths = {}
    for page in pages:
        ref = page_chart(page)
        if ref is None:
            continue
        name, chart = ref
        page_dpi = page.dpi
        page.set_dpi(dpi)
        with charts.style():
            page.canvas.draw()
            pixels = _cut(page, chart)
        page.set_dpi(page_dpi)
        paths[name] = _write_png(folder / f"{name}.png", pixels, dpi)
    return paths


def _start_pdf(dest: Path, pages: list[Figure], *, title: str,
               fork: bool) -> Callable[[], Path]:
    """Start writing the PDF of the (frozen) pages; returns the call that waits for it.

    With ``fork`` (where the OS has it) a forked child process draws it while this one
    draws the PNGs: drawing is most of a report's time and holds the GIL. The child draws
    with matplotlib only (polars' thread pool is not safe after a fork) and exits; should
    it fail, the PDF is drawn here.
    """
    child = None
    # A daemonic process (e.g. a multiprocessing pool's worker) may not have children.
    if fork and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon:
        child = mp.get_context("fork").Process(
            target=_write_pdf, args=(dest, pages), kwargs={"title": title},
            name="topicwatch-pdf", daemon=True)
        child.start()

    def done() -> Path:
        if child is not None:
            child.join(CHILD_TIMEOUT)
            if child.exitcode == 0:
                return dest
            child.kill()
            child.join()
        return _write_pdf(dest, pages, title=title)

    return done


def _cut(page: Figure, chart: SubFigure):
    """The pixels of the drawn ``page`` that hold ``chart`` and PNG_PAD around it, but
    not below it (the page's note on the chart starts there)."""
    import numpy as np

    dpi = page.dpi
    pad = PNG_PAD * dpi
    x0, y0, x1, y1 = np.asarray(chart.bbox.get_points()).ravel()
    buffer = np.asarray(page.canvas.buffer_rgba())  # type: ignore[attr-defined]
    height = buffer.shape[0]
    left, top = max(round(x0 - pad), 0), max(round(height - y1 - pad), 0)
    # Sizes in inches rounded as the box of savefig(bbox_inches=...) was, then in pixels.
    width = round(round((x1 - x0) / dpi + 2 * PNG_PAD, 4) * dpi)
    right, bottom = left + width, top + round(round((y1 - y0) / dpi + PNG_PAD, 4) * dpi)
    return buffer[top:bottom, left:right].copy()


def _write_png(dest: Path, pixels, dpi: int) -> Path:
    from PIL import Image

    def save(tmp: Path) -> None:
        # Level 3: half the time of the default 6, files 2% larger.
        Image.fromarray(pixels, "RGBA").save(tmp, format="png", dpi=(dpi, dpi),
                                             compress_level=3)

    return atomic.write_with(dest, save)


def _write_pdf(dest: Path, pages: list[Figure], *, title: str) -> Path:
    """The pages (laid out and frozen) as one PDF."""
    from matplotlib.backends.backend_pdf import PdfPages

    from analytics.report import charts

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
