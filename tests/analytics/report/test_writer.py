"""write_report: every file written, PDF pages render and are not blank, text stays literal,
reruns are byte-identical and replace, never append."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import polars as pl
import pytest

from analytics.contracts import schema
from analytics.report.csv_tables import csv_ready
from analytics.report.writer import STORE_TABLES, ReportFiles, write_report
from tests import helpers as h

# brief; topics and emerging topics (one flow); bursts (timeline, what drove them); topic
# charts (share, counts, totals); evidence; claims by year, claims table; themes (bars,
# map, trends), theme table and data quality (one flow). Share by source (too few articles
# per outlet), co-occurrence (no pair of 3 articles) and claims over time (one month) are
# lines of the contents.
FULL_PAGES = 14
# brief, then topics, evidence and data quality in one flow
EMPTY_PAGES = 2
ROOT = Path(__file__).resolve().parents[3]
CHARTS = {"brief_share", "topic_totals", "topic_trends", "bursts_timeline", "themes", "spending_claims",
          "topic_share", "source_shares", "cooccurrence", "spending_claims_over_time",
          "theme_map", "theme_trends"}
PAGE_TITLES = ("Emerging topics", "Bursts over time", "What drove the bursts",
               "Topic co-occurrence", "Share by source", "Spending targets over time",
               "Theme map", "Evidence", "Theme sizes over time")


def _write(out: Path, **kwargs) -> ReportFiles:
    kwargs.setdefault("tables", h.tables())
    kwargs.setdefault("topic_labels", h.TOPIC_LABELS)
    kwargs.setdefault("summary", h.summary())
    return write_report(out, **kwargs)


def _pdftotext(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = [h.require_tool("pdftotext"), "-layout"]
    if first:
        cmd += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*cmd, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _page_images(pdf: Path, out: Path) -> list[Path]:
    tool = h.require_tool("pdftoppm")
    subprocess.run([tool, "-r", "40", "-png", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page-*.png"))


def _body_ink(png: Path) -> int:
    """Non-white pixels above the footer (the footer alone must not make a page count)."""
    img = mpimg.imread(png)[..., :3]
    body = img[: int(img.shape[0] * 0.9)]
    return int((body.min(axis=2) < 0.9).sum())


def _digests(files: ReportFiles) -> dict[str, str]:
    paths = [files.pdf, *files.charts.values()]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> ReportFiles:
    return _write(tmp_path_factory.mktemp("report") / "2025-07-01")


def test_writes_every_file(report):
    out = report.out_dir
    assert report.pdf == out / "report.pdf" and report.pdf.stat().st_size > 0
    assert set(report.charts) == CHARTS
    for name, path in report.charts.items():
        assert path == out / "charts" / f"{name}.png"
        assert path.read_bytes().startswith(b"\x89PNG")
    # The tables that grow with the store stay there (topicwatch export writes them).
    assert set(report.tables) == (set(h.tables()) - set(STORE_TABLES)) | {"topic_totals",
                                                                          "claim_levels"}
    assert not {p.stem for p in (out / "tables").iterdir()} & set(STORE_TABLES)
    note = (out / "tables" / "README.md").read_text()
    assert "topicwatch export" in note and all(name in note for name in STORE_TABLES)
    for name, path in report.tables.items():
        assert path == out / "tables" / f"{name}.parquet"
        if name not in ("topic_totals", "claim_levels"):  # the report's own (tests below)
            assert pl.read_parquet(path).equals(h.tables()[name])
        assert report.csv[name] == path.with_suffix(".csv") and report.csv[name].exists()
    assert not list(out.rglob("*.tmp"))


def test_claim_levels_table_is_the_per_actor_table_of_the_claims_page(report):
    levels = pl.read_parquet(report.tables["claim_levels"])
    assert dict(levels.schema) == schema.CLAIM_LEVELS
    # h.claims(): two pledges of "NATO allies" in one article (5% and 3.5% by 2035), and
    # one claim without an actor, which names no row
    assert levels.select("actor", "target_value", "target_year", "target_kind").rows() == [
        ("NATO allies", 5.0, 2035, "pledge")]
    csv = pl.read_csv(report.csv["claim_levels"])
    assert csv["actor"].to_list() == levels["actor"].to_list()


def test_topic_totals_table_holds_the_numbers_of_the_pdf_and_summary(report):
    totals = pl.read_parquet(report.tables["topic_totals"])
    assert dict(totals.schema) == schema.TOPIC_TOTALS
    md = report.summary_md.read_text()
    for r in totals.filter(pl.col("articles") > 0).iter_rows(named=True):
        assert f"| {r['label']} | {r['articles']:,} | {r['mentions']:,} |" in md
    text = _pdftotext(report.pdf, 2)
    top = totals.row(0, named=True)
    assert top["label"].split()[0] in text and f" {top['articles']} " in text  # labels wrap


def test_csv_joins_list_columns(report):
    themes = pl.read_csv(report.csv["themes"])
    assert themes["top_terms"][0] == "air; defence; drones; patriot"
    frame = pl.DataFrame({"a": [["x", "y"], None]}, schema={"a": pl.List(pl.String)})
    assert csv_ready(frame)["a"].to_list() == ["x; y", None]


def test_summary_markdown_has_numbers_topics_and_claims(report):
    md = report.summary_md.read_text()
    assert "| 9 | 5 | 5 | 2 | 2 | 4 |" in md
    # canonical articles only; reach adds the near duplicate a5
    assert "Drones and unmanned systems | 3 | 8 | 60.0% | +60.0 pp | 4 |" in md
    assert "Core spending of 3.5% by 2035." in md
    assert "## What changed" in md and "## Emerging topics" in md
    assert "A drone factory opened in the west. (agency, 2025-06-17" in md


def test_pdf_pages_render_and_are_not_blank(report, tmp_path):
    pages = _page_images(report.pdf, tmp_path)
    assert report.pages == FULL_PAGES
    assert len(pages) == FULL_PAGES
    for page in pages:
        assert _body_ink(page) > 200, f"{page.name} looks blank"


def test_title_page_names_corpus_run_date_and_counts(report):
    text = _pdftotext(report.pdf, 1)
    assert "seeds/sources.toml" in text
    assert "2025-07-01" in text
    assert "2025-06-02 to 2025-06-22" in text
    assert "Read 9 rows: 5 new articles stored" in " ".join(text.split())
    assert "Run parameters" not in text and "min_articles_for_themes" not in text
    assert f"page 1 of {FULL_PAGES}" in text


def test_title_page_is_the_brief(report):
    text = " ".join(_pdftotext(report.pdf, 1).split())
    for heading in ("What changed", "New spending claims", "Data quality", "Contents"):
        assert heading in text
    assert "5 new articles this run (1 near duplicate among them)" in text
    # h.bursts(): the drones day to watch (20 June) is in the last 7 days, the air-defence
    # burst (12-13 June) is not
    assert ("Drones and unmanned systems: 2 articles in the last 7 days, usually under 1 a "
            "week" in text)
    assert "a day to watch: 20 Jun" in text and "Air and missile defence:" not in text
    assert "Drone factory opens — agency, 17 Jun · https://example.org/3" in text
    assert " pp" not in text and "→" not in text
    # a2 was stored on the run date; a0's two claims were stored before
    assert "1 claim in 1 article stored this run" in text
    assert "No actor named: 2% of GDP (target) — wire, 2025-06-12" in text
    assert "(missing text: 1; unparseable date: 1); 2 sources, 1 failed (blog: HTTP 503)" in text


def test_run_parameters_are_on_the_data_quality_page(report):
    page = next(i for i in range(2, FULL_PAGES + 1)
                if "Data quality" in _pdftotext(report.pdf, i))
    text = _pdftotext(report.pdf, page)
    assert "Run parameters" in text and "min_articles_for_themes" in text


def test_contents_points_at_the_right_pages(report):
    title = _pdftotext(report.pdf, 1)
    entries = dict(re.findall(r"(Emerging topics|Bursts|Evidence|Themes|Data quality)\s+page "
                              r"(\d+)", title))
    assert set(entries) == {"Emerging topics", "Bursts", "Evidence", "Themes", "Data quality"}
    firsts = {"Emerging topics": "Emerging topics", "Bursts": "Bursts over time",
              "Evidence": "Evidence", "Themes": "Themes and their top terms",
              "Data quality": "Data quality"}
    for name, page in entries.items():
        assert firsts[name] in _pdftotext(report.pdf, int(page)), name
    flat = " ".join(title.split())
    # sections whose charts have too little to show are a line, not a page
    assert "Topic co-occurrence — no two topics share three or more articles" in flat
    assert "not drawn: Spending targets over time (claims from 1 month only)" in flat


def test_topic_table_quotes_a_different_sentence_for_each_topic(tmp_path):
    """One sentence naming two topics is the evidence of one; the other topic shows its
    other sentence."""
    shared = "Patriot batteries shot down 12 drones overnight."
    mentions = h.topic_mentions().with_columns(
        evidence=pl.when(pl.col("article_id") == "a1").then(pl.lit(shared))
        .otherwise(pl.col("evidence")),
        mentions=pl.when(pl.col("article_id") == "a1").then(9).otherwise(pl.col("mentions")))
    files = _write(tmp_path / "r", tables=h.tables(topic_mentions=mentions))
    totals = pl.read_parquet(files.tables["topic_totals"])
    evidence = dict(totals.select("topic_id", "evidence").iter_rows())
    assert evidence["drones"] == shared  # drones comes first: 3 articles
    assert evidence["air_missile_defense"] != shared
    assert evidence["air_missile_defense"] == "Air defence gaps remain over the east."


def test_pdf_has_every_section(report):
    text = _pdftotext(report.pdf)
    for heading in ("Topics", "Articles per topic", "Articles per topic over time",
                    "Spending claims", "Themes and their top terms", "Data quality",
                    "Patriot batteries shot down", "HTTP 503", "missing text", *PAGE_TITLES):
        assert heading in text, heading


def test_bursts_section_names_each_burst_and_its_stories(report):
    page = next(i for i in range(1, FULL_PAGES + 1)
                if "What drove the bursts" in _pdftotext(report.pdf, i))
    text = " ".join(_pdftotext(report.pdf, page).split())
    # h.bursts(): an air-defence run from 12 June peaking on the 13th; h.burst_stories()
    assert "Air and missile defence: 2025-06-13" in text
    assert "12 articles of 44 that day (run since 2025-06-12): 6.1x its baseline share" in text
    assert "2 outlets" in text
    assert "Patriot batteries shot down drones over the" in text and "capital" in text
    assert "wire, agency" in text and "https://example.org/" in text  # wraps (URL_EM)


def test_topic_table_shows_change_and_reach(report):
    text = _pdftotext(report.pdf, 2)
    assert "Change" in text and "Reach" in text
    row = next(line for line in text.splitlines() if line.startswith("Drones and unmanned"))
    # articles (canonical), mentions, share, change, reach (with the near duplicate)
    assert "3 8 60.0% +60.0 pp 4" in " ".join(row.split())


def test_emerging_and_evidence_pages_quote_articles(report):
    text = _pdftotext(report.pdf)
    emerging = text[text.index("Emerging topics\n"):text.index("Articles per topic")]
    assert "Drones and unmanned systems" in emerging and "4.2" in emerging
    assert "https://example.org/4" in emerging and "agency" in emerging
    evidence = text[text.index("For the 5 topics with most articles"):]
    assert "“The EU adopted a new sanctions package.”" in evidence
    assert "example.org/repost" not in evidence  # near duplicates are left out


def test_no_emerging_topics_says_so(tmp_path):
    calm = h.emerging_topics().with_columns(pl.lit(False).alias("emerging"))
    files = _write(tmp_path / "r", tables=h.tables(emerging_topics=calm))
    text = _pdftotext(files.pdf)
    assert "No emerging topics this period." in text


def test_hostile_titles_print_literally(tmp_path):
    arts = h.articles([h.HOSTILE_TITLE, "plain", "W" * 3000, "b", "c"])
    claims = h.claims(snippet=h.HOSTILE_TITLE)
    labels = {**h.TOPIC_LABELS, "drones": "Drones $x$"}
    files = _write(tmp_path / "r", tables=h.tables(articles=arts, claims=claims),
                   topic_labels=labels, summary=h.summary(corpus="corpus $x$ \\input{x}"))
    text = _pdftotext(files.pdf)
    assert "$x$" in text
    assert "\\input{x}" in text
    assert "<script>alert(1)</script>" in text
    assert "corpus $x$ \\input{x}" in _pdftotext(files.pdf, 1)
    md = files.summary_md.read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md
    for page in _page_images(files.pdf, tmp_path):
        assert _body_ink(page) > 200


def test_empty_inputs_say_no_data(tmp_path):
    summary = h.summary(rows_read=0, new_articles=0, stored_articles=0, duplicates=0,
                        quarantined=0, quarantine_reasons={}, sources=(), date_min=None,
                        date_max=None, topics_found=0)
    files = _write(tmp_path / "r", tables=h.empty_tables(), summary=summary,
                   theme_status="not enough articles for themes (0 articles)")
    assert files.pages == EMPTY_PAGES
    text = _pdftotext(files.pdf)
    assert text.count("no data") >= 2
    flat = " ".join(_pdftotext(files.pdf, 1).split())
    assert "Themes — not enough articles for themes (0 articles)" in flat
    assert "Spending claims — no spending claims found in this run" in flat
    assert "no articles" in _pdftotext(files.pdf, 1)
    assert "No data: no spending claims" in files.summary_md.read_text()
    for page in _page_images(files.pdf, tmp_path):
        assert _body_ink(page) > 100


def test_missing_tables_count_as_empty(tmp_path):
    files = _write(tmp_path / "r", tables={"articles": h.articles()})
    assert files.pages == EMPTY_PAGES
    assert pl.read_parquet(files.tables["claims"]).schema == schema.empty("claims").schema
    assert "emerging_topics" not in files.tables  # extra tables are written when given
    assert set(files.charts) == CHARTS


def test_a_missing_column_of_an_extra_table_is_named(tmp_path):
    broken = h.source_shares().drop("source_articles")
    with pytest.raises(schema.SchemaError, match="source_shares.*'source_articles'"):
        _write(tmp_path / "r", tables=h.tables(source_shares=broken))


def test_claims_without_actor_still_report(tmp_path):
    files = _write(tmp_path / "r", tables=h.tables(claims=h.claims().drop("actor")))
    assert files.pages == FULL_PAGES


def test_a_missing_column_is_named(tmp_path):
    broken = h.topic_mentions().drop("evidence")
    with pytest.raises(schema.SchemaError, match="topic_mentions.*'evidence'"):
        _write(tmp_path / "r", tables=h.tables(topic_mentions=broken))
    assert not (tmp_path / "r" / "report.pdf").exists()


def test_rerun_is_byte_identical_and_replaces(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751328000")
    first = _digests(_write(tmp_path / "a"))
    stale = [tmp_path / "a" / "charts" / "old.png", tmp_path / "a" / "tables" / "gone.csv"]
    for path in stale:
        path.write_bytes(b"stale")
    again = _write(tmp_path / "a")
    assert _digests(again) == first
    # A fresh process too: layout solvers can differ in the last bits between processes.
    script = (
        "import sys, hashlib; from pathlib import Path; from tests import helpers as h;"
        "from analytics.report.writer import write_report;"
        "f = write_report(Path(sys.argv[1]), tables=h.tables(), topic_labels=h.TOPIC_LABELS,"
        " summary=h.summary());"
        "[print(p.name, hashlib.sha256(p.read_bytes()).hexdigest())"
        " for p in [f.pdf, *f.charts.values()]]"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "b")], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    assert dict(line.split() for line in out.splitlines()) == first
    assert not any(path.exists() for path in stale)
    assert sorted(p.name for p in (tmp_path / "a" / "charts").iterdir()) == sorted(
        f"{name}.png" for name in CHARTS)


def test_pdf_metadata_has_no_dates(report):
    data = report.pdf.read_bytes()
    assert b"/CreationDate" not in data and b"/ModDate" not in data
    assert b"topicwatch report 2025-07-01" in data


def test_missing_tool_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(h.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        h.require_tool("pdftoppm")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        h.require_tool("pdftoppm")


def test_tables_written_on_a_thread_give_the_same_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751328000")
    threaded = _write(tmp_path / "threaded", parallel=True)
    here = _write(tmp_path / "here", parallel=False)
    assert _digests(threaded) == _digests(here)
    assert threaded.charts.keys() == here.charts.keys()
    assert {n: p.read_bytes() for n, p in threaded.tables.items()} == {
        n: p.read_bytes() for n, p in here.tables.items()}


def test_a_chart_png_is_its_pdf_page_chart(report):
    """The PNG is cut from the PDF page (page width, the chart's height), not drawn again
    at another size; charts of sections without data are drawn on their own."""
    from analytics.report.layout import TEXT_W
    from analytics.report.writer import PNG_DPI, PNG_PAD

    for name in ("topic_totals", "theme_map", "spending_claims"):
        img = mpimg.imread(report.charts[name])
        assert img.shape[1] == round((TEXT_W + 0.2 + 2 * PNG_PAD) * PNG_DPI)
        assert (img[..., :3].min(axis=2) < 0.5).sum() > 2_000  # a chart, not a blank cut


def test_sections_without_data_still_get_every_chart(tmp_path):
    files = _write(tmp_path / "r", tables=h.tables(claims=h.claims().clear()))
    assert set(files.charts) == CHARTS
    img = mpimg.imread(files.charts["spending_claims"])
    assert img.shape[1] != mpimg.imread(files.charts["topic_totals"]).shape[1]


def test_claims_show_the_extractors_unit_as_words(tmp_path):
    claims = h.claims().with_columns(unit=pl.lit("percent_gdp"))
    files = _write(tmp_path / "r", tables=h.tables(claims=claims))
    text = _pdftotext(files.pdf)
    assert "percent_gd" not in text and "% of GDP" in text
    assert "percent_gdp" not in files.summary_md.read_text()


def test_the_claims_table_shows_the_newest_and_points_at_the_csv(tmp_path):
    from analytics.report.pages import MAX_CLAIM_ROWS

    n = MAX_CLAIM_ROWS + 7
    many = pl.concat([h.claims().head(1)] * n).with_columns(
        value=pl.Series([float(i) for i in range(n)]),
        snippet=pl.Series([f"Claim sentence number {i}." for i in range(n)]))
    files = _write(tmp_path / "r", tables=h.tables(claims=many))
    text = _pdftotext(files.pdf)
    assert f"the newest {MAX_CLAIM_ROWS} follow" in text
    assert "7 more claims in tables/claims.csv" in text
    shown = {int(m) for m in re.findall(r"Claim sentence number (\d+)", text)}
    assert shown == set(range(7, n))  # one article: its largest values first
    assert pl.read_csv(files.csv["claims"]).height == n


def test_a_claim_stated_twice_is_listed_once_and_kept_in_the_csv(tmp_path):
    # a0 restates its 5% pledge in a second sentence: one claim on the pages, two rows read
    twice = pl.concat([h.claims(), h.claims().head(1).with_columns(
        snippet=pl.lit("Again: allies will spend 5% of GDP by 2035."))])
    files = _write(tmp_path / "r", tables=h.tables(claims=twice))
    flat = " ".join(_pdftotext(files.pdf).split())
    assert "3 claims in 2 articles" in flat
    assert "Again: allies will spend" not in flat
    assert pl.read_csv(files.csv["claims"]).height == 4


def test_no_articles_print_a_line_not_a_table_of_zeros(tmp_path):
    summary = h.summary(rows_read=0, new_articles=0, stored_articles=0, duplicates=0,
                        quarantined=0, quarantine_reasons={}, date_min=None, date_max=None)
    files = _write(tmp_path / "r", tables=h.empty_tables(), summary=summary)
    topics = _pdftotext(files.pdf, 2)
    assert "no data: no articles in this run" in topics
    assert "Mentions" not in topics and "0.0%" not in topics  # the table's header, a share
    flat = " ".join(topics.split())
    assert "Topics: " in flat and all(label in flat for label in h.TOPIC_LABELS.values())
