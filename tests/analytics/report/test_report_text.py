"""Text the report pages print: quotes, p-values, a burst peak kept with its stories."""

from __future__ import annotations

from analytics.report import charts
from analytics.report.bursts_pages import PEAK_MIN_SPACE, fmt_p, write_what_drove_it
from analytics.report.data import ReportData
from analytics.report.layout import BOTTOM, Flow
from analytics.report.sections import quoted
from tests import helpers as h


def test_a_quoted_speech_is_not_quoted_twice():
    # Press releases 2022-06-24 (zelenskyy): the evidence sentence is a whole quotation.
    assert quoted("“Every day, more Ukrainians are being killed by Russian forces.”") == (
        "“Every day, more Ukrainians are being killed by Russian forces.”")
    assert quoted('"Russia has become a terrorist state."') == (
        "“Russia has become a terrorist state.”")
    # A quotation inside the sentence keeps its marks.
    assert quoted('"It is late," he said.') == '“"It is late," he said.”'
    assert quoted("Plain sentence.") == "“Plain sentence.”"
    # Its first sentence of a longer quotation: the closing mark is in a later sentence.
    assert quoted('"Every day, more Ukrainians are being killed by Russian forces.') == (
        "“Every day, more Ukrainians are being killed by Russian forces.”")
    assert quoted("the sanctions are working.”") == "“the sanctions are working.”"
    assert quoted("Ukraine’s allies agreed.") == "“Ukraine’s allies agreed.”"


def test_p_values_read_as_numbers_until_they_are_tiny():
    assert [fmt_p(p) for p in (0.3, 0.24, 0.0022, 4e-4, 6e-102)] == [
        "0.3", "0.24", "0.0022", "4e-04", "6e-102"]


def _texts(page) -> list[str]:
    return [t.get_text() for t in page.texts]


def test_a_burst_peak_starts_a_page_rather_than_leave_its_heading_alone():
    data = ReportData(**h.tables(), topic_labels=h.TOPIC_LABELS, summary=h.summary(),
                      colors=charts.topic_colors(list(h.TOPIC_LABELS)))
    flow = Flow("What drove the bursts")
    # Room for the intro (three lines, 0.6 in) and the heading (0.5 in), not for the table
    # under it (RSS run 2023-07-01, page 5: "Nuclear weapons and deterrence: 2023-06-16"
    # alone at its foot).
    flow.space(flow.remaining() - 1.25)
    assert flow.y > BOTTOM and PEAK_MIN_SPACE > 1.25 - 0.6
    write_what_drove_it(flow, data)
    heading = "Air and missile defence: 2025-06-13"
    assert heading not in _texts(flow.pages[0])
    assert len(flow.pages) == 2 and heading in _texts(flow.pages[1])
    assert any("Patriot batteries" in t for t in _texts(flow.pages[1]))
