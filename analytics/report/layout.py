"""A4 page layout for the PDF report: pure, it returns ``Figure`` pages and saves nothing.

:class:`Flow` lays out headings, paragraphs, key/value blocks, tables and charts top-down
and starts a new page when one is full; several sections may share it (``section``), so
a short one does not take a page. Table cells are wrapped to their column and clipped to
it, so no text (however hostile) can run into its neighbour or off the page; a cell is one
text of its lines (drawing costs per text, and a report has thousands of cells).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox, TransformedBbox

from analytics.report.charts import new_figure, style
from analytics.report.formatting import SAFE_TEXT, truncate, wrap

A4 = (8.27, 11.69)
PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 0.7, 0.7, 0.75, 0.85  # inches; the footer lives in BOTTOM
TEXT_W = PAGE_W - LEFT - RIGHT
_CHAR_EM = 0.53  # a generous average DejaVu Sans glyph width, in ems
_SHADE = (0.95, 0.96, 0.97)
# A table's last rows may use this much of the bottom margin (the footer sits below it)
# rather than go alone onto a "(continued)" page.
_SLACK = 0.3
_WIDOW_ROWS = 2  # at most this many rows count as orphaned
SECTION_MIN_SPACE = 2.4  # inches a section needs left on a page to start there


def chars_for(width_in: float, size: float, char_em: float = _CHAR_EM) -> int:
    """How many characters of ``size`` points fit in ``width_in`` inches (estimate)."""
    return max(int(width_in * 72 / (size * char_em)), 1)


def line_height(size: float) -> float:
    return size * 1.4 / 72


# matplotlib (3.9+) puts the lines of one text ``linespacing`` font sizes apart, and its
# first line half the extra space lower than a one-line text of the default spacing (1.2):
# one text per table cell, its lines :func:`line_height` apart, raised by that much.
CELL_LINESPACING = 1.4
_CELL_RAISE = (CELL_LINESPACING - 1.2) / 2  # in font sizes


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # inches
    align: str = "left"  # "left" or "right"
    max_lines: int = 1


class Flow:
    """Top-down layout over as many A4 pages as the content needs."""

    def __init__(self, title: str):
        self.title = title
        self.pages: list[Figure] = []
        self._new_page()

    def _new_page(self, continued: bool = True) -> None:
        with style():
            self.fig = Figure(figsize=A4)
        FigureCanvasAgg(self.fig)
        self.pages.append(self.fig)
        self.y = PAGE_H - TOP
        suffix = " (continued)" if continued and len(self.pages) > 1 else ""
        self.heading(self.title + suffix, size=15)

    def ensure(self, height: float) -> bool:
        """Start a new page unless ``height`` inches still fit; True if a page was started."""
        if self.y - height < BOTTOM:
            self._new_page()
            return True
        return False

    def space(self, inches: float) -> None:
        self.y -= inches

    def remaining(self) -> float:
        """Inches left on the current page."""
        return self.y - BOTTOM

    def section(self, title: str, min_space: float = SECTION_MIN_SPACE) -> None:
        """Start section ``title`` here, or on a new page when less than ``min_space``
        inches are left; pages it continues onto are headed "``title`` (continued)"."""
        self.title = title
        if self.remaining() < min_space:
            self._new_page(continued=False)
            return
        self.space(0.15)
        self.heading(title, size=15)

    def _text(self, x: float, text: str, size: float, **kw) -> object:
        with style():
            return self.fig.text(x / PAGE_W, self.y / PAGE_H, text, fontsize=size, va="top",
                                 **SAFE_TEXT, **kw)

    def heading(self, text: str, size: float = 12) -> None:
        self.ensure(line_height(size) * 2.5)
        self._text(LEFT, truncate(text, chars_for(TEXT_W, size)), size, fontweight="bold")
        self.y -= line_height(size) * 1.35

    def paragraph(self, text: str, size: float = 9, color: str = "0.15",
                  max_lines: int | None = None, indent: float = 0.0, url: str | None = None,
                  bold: bool = False, after: float = 0.4) -> None:
        """Wrapped text; with ``url`` every line is a link to it in the PDF."""
        for line in wrap(text, chars_for(TEXT_W - indent, size), max_lines):
            self.ensure(line_height(size))
            text_obj = self._text(LEFT + indent, line, size, color=color,
                                  fontweight="bold" if bold else "normal")
            if url:
                text_obj.set_url(url)  # type: ignore[attr-defined]
            self.y -= line_height(size)
        self.y -= line_height(size) * after

    def chart(self, draw: Callable[[SubFigure], object], height: float, *,
              name: str | None = None) -> None:
        """The chart ``draw`` builds into a subfigure ``height`` inches tall at the current
        position, as wide as the text plus a little margin. ``name`` marks it (as
        :func:`chart_page` does) so that the report's PNG of that name is cut from here."""
        self.ensure(height)
        top = PAGE_H - self.y
        with style():
            grid = self.fig.add_gridspec(
                3, 3, width_ratios=[LEFT - 0.1, TEXT_W + 0.2, RIGHT - 0.1],
                height_ratios=[top, height, PAGE_H - top - height])
            sub = self.fig.add_subfigure(grid[1, 1])
            draw(sub)
        if name:
            setattr(self.fig, _CHART_ATTR, (name, sub))
        self.y -= height

    def key_values(self, rows: Sequence[tuple[str, str]], size: float = 9.5,
                   key_width: float = 2.3, max_lines: int = 4, pairs: int = 1,
                   char_em: float = _CHAR_EM) -> None:
        """Aligned ``key: value`` lines; long values wrap under themselves. With ``pairs``
        > 1, that many key/value pairs share a line (filled column by column); ``char_em``
        is the average glyph width assumed for wrapping (larger for digit-heavy text)."""
        if pairs <= 1:
            columns = [Column("", key_width),
                       Column("", TEXT_W - key_width, max_lines=max_lines)]
            self.table(columns, [list(r) for r in rows], size=size, header=False, shade=False,
                       pad=0.2, char_em=char_em)
            return
        half = TEXT_W / pairs
        columns = [Column("", w, max_lines=max_lines)
                   for _ in range(pairs) for w in (key_width, half - key_width)]
        height = -(-len(rows) // pairs)
        padded = [*rows, *[("", "")] * (height * pairs - len(rows))]
        lines = [[v for p in range(pairs) for v in padded[p * height + i]]
                 for i in range(height)]
        self.table(columns, lines, size=size, header=False, shade=False, pad=0.2,
                   char_em=char_em)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *,
              size: float = 8, header: bool = True, shade: bool = True,
              empty: str = "no data", pad: float = 0.3, char_em: float = _CHAR_EM) -> None:
        """Rows of wrapped, clipped cells; the header repeats on every page. ``pad`` is the
        space above and below each row, in lines."""
        if not rows:
            self.paragraph(empty, size=10, color="0.4")
            return
        lh = line_height(size)
        pad = lh * pad

        def draw_header() -> None:
            if not header:
                return
            x = LEFT
            for col in columns:
                xt = x + col.width - 0.15 if col.align == "right" else x
                self._text(xt, truncate(col.header, chars_for(col.width, size)), size,
                           fontweight="bold", ha=col.align)
                x += col.width
            self.y -= lh + pad
            self.fig.add_artist(Line2D([LEFT / PAGE_W, (LEFT + TEXT_W) / PAGE_W],
                                       [self.y / PAGE_H] * 2, color="0.3", linewidth=0.6))
            self.y -= pad

        # Right-aligned text ends 0.15 in before its column does, left-aligned is clipped
        # 0.1 in before: wrapped to what is left, a cell never reaches its neighbour.
        wrapped = [[wrap(v, chars_for(c.width - (0.2 if c.align == "right" else 0.12), size,
                                      char_em), c.max_lines)
                    for v, c in zip(row, columns, strict=True)] for row in rows]
        heights = [max(len(c) for c in cells) * lh + 2 * pad for cells in wrapped]
        below = [0.0] * (len(heights) + 1)  # below[i]: the height of rows i and after
        for i in range(len(heights) - 1, -1, -1):
            below[i] = below[i + 1] + heights[i]
        self.ensure(lh * 3)
        draw_header()
        first = 0  # the first row on the current page
        for i, cells in enumerate(wrapped):
            height = heights[i]
            # The last rows may use the bottom margin's slack rather than go on alone.
            slack = _SLACK if len(rows) - i <= _WIDOW_ROWS + 1 else 0.0
            fits_all = self.y - below[i] >= BOTTOM - slack
            widow = i == len(rows) - _WIDOW_ROWS - 1 and i > first
            if not fits_all and (widow or self.y - height < BOTTOM):
                self._new_page()
                draw_header()
                first = i
            if shade and i % 2 == 1:
                self.fig.add_artist(Rectangle(
                    (LEFT / PAGE_W, (self.y - height) / PAGE_H), TEXT_W / PAGE_W,
                    height / PAGE_H, transform=self.fig.transFigure, color=_SHADE, zorder=0,
                    linewidth=0))
            x = LEFT
            for col, lines in zip(columns, cells, strict=True):
                clip = TransformedBbox(Bbox.from_bounds(x, self.y - height, col.width - 0.1,
                                                        height), self.fig.dpi_scale_trans)
                xt = x + col.width - 0.15 if col.align == "right" else x
                if any(lines):  # one text per cell, its lines ``lh`` apart
                    top = self.y
                    self.y -= pad - _CELL_RAISE * size / 72
                    text = self._text(xt, "\n".join(lines), size, ha=col.align,
                                      linespacing=CELL_LINESPACING)
                    text.set_clip_box(clip)  # type: ignore[attr-defined]
                    text.set_clip_on(True)  # type: ignore[attr-defined]
                    self.y = top
                x += col.width
            self.y -= height
        self.y -= lh * 0.6


_CHART_ATTR = "_topicwatch_chart"


def page_chart(page: Figure) -> tuple[str, SubFigure] | None:
    """The name and subfigure of the chart a :func:`chart_page` holds, if it was named."""
    return getattr(page, _CHART_ATTR, None)


def chart_page(draw: Callable[[SubFigure], Figure], *, chart_height: float,
               note: str, name: str | None = None) -> Figure:
    """An A4 page: the chart ``draw`` builds into the top ``chart_height`` inches, then a
    note on how to read it. ``name`` (e.g. "topic_totals") marks the chart so that the
    report's PNG of that name is cut from this page instead of drawn a second time."""
    chart_height = min(max(chart_height, 4.5), PAGE_H - TOP - BOTTOM - 1.0)
    rest = PAGE_H - TOP - chart_height
    with style():
        page = new_figure(A4)
        engine = page.get_layout_engine()
        assert isinstance(engine, ConstrainedLayoutEngine)  # new_figure's layout
        engine.set(w_pad=0.02, h_pad=0.02, wspace=0, hspace=0)
        # Empty margin cells keep the chart inside the same text block as the other pages.
        grid = page.add_gridspec(3, 3, width_ratios=[LEFT - 0.1, TEXT_W + 0.2, RIGHT - 0.1],
                                 height_ratios=[TOP - 0.2, chart_height, rest + 0.2])
        chart, notes = page.add_subfigure(grid[1, 1]), page.add_subfigure(grid[2, 1])
        draw(chart)
        lines = wrap(note, chars_for(TEXT_W, 9), 12)
        notes.text(0.02, 0.97, "\n".join(lines), va="top", fontsize=9,
                   color="0.25", linespacing=1.5, **SAFE_TEXT)
    if name:
        setattr(page, _CHART_ATTR, (name, chart))
    return page


def add_footers(pages: Sequence[Figure], left: str) -> None:
    """``left`` and "page i of n" at the foot of every page."""
    n = len(pages)
    with style():
        for i, page in enumerate(pages, start=1):
            y = (BOTTOM - 0.45) / PAGE_H
            page.text(LEFT / PAGE_W, y, truncate(left, 90), fontsize=7.5, color="0.45",
                      **SAFE_TEXT)
            page.text(1 - RIGHT / PAGE_W, y, f"page {i} of {n}", fontsize=7.5, color="0.45",
                      ha="right")
