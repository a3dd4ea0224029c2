"""Page extraction: fixture folder, edge cases, saved news pages and the benchmark."""

from __future__ import annotations

import gzip
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.contracts import schema
from analytics.sources.parse.html_pages import extract_page
from tests.helpers import fixture_header, require_path

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "pages"
PAGES = ROOT.parent / "shared" / "corpora" / "html-article-fixtures"
MARKUP = ("<script", "<iframe", "onerror", "onclick", "alert(", "javascript:", "<p>", "<div")


def _no_markup(texts: list[str | None]) -> None:
    for text in texts:
        assert not any(m in (text or "").lower() for m in MARKUP), text


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.name)
def test_page_fixtures(path: Path) -> None:
    data = path.read_bytes()
    _, expect = fixture_header(data)
    result = extract_page(data, source="s", location=path.name, url="https://example.org/a")
    schema.validate(result.articles, "parsed")
    schema.validate(result.quarantine, "quarantine")
    rows = result.articles
    _no_markup(rows["text"].to_list() + rows["title"].to_list())
    for key, (_, value) in expect.items():
        if key == "status":
            assert result.status == value, result.message
        elif key == "title":
            assert rows["title"][0] == value
        elif key == "published":
            assert rows["published_at"][0] == datetime.fromisoformat(value)
        elif key == "language":
            assert rows["language"][0] == value
        elif key == "contains":
            assert value in rows["text"][0]
        elif key == "absent":
            assert value not in rows["text"][0] and value not in (rows["title"][0] or "")
        elif key == "replacements":
            assert result.replacements == int(value)
        elif key == "quarantined":
            assert result.quarantine.height == int(value) and rows.is_empty()
        elif key == "message":
            assert value in result.message
        else:
            raise AssertionError(f"unknown expectation {key!r}")
    if rows.height:
        assert rows["url"][0] == "https://example.org/a" and rows["guid"][0] is None


@pytest.mark.parametrize("data", [b"", b"  \n\t", b"<html></html>", b"\x00\xff" * 50],
                         ids=["empty", "blank", "no-body", "binary"])
def test_empty_pages_are_quarantined_with_schema(data: bytes) -> None:
    result = extract_page(data, source="s", location="p.html")
    assert result.status == "rejected" and result.articles.is_empty()
    schema.validate(result.articles, "parsed")
    assert result.quarantine.to_dicts() == [
        {"source": "s", "location": "p.html", "reason": result.message}
    ]


def test_size_cap() -> None:
    result = extract_page(b"<p>" + b"x" * 5000 + b"</p>", source="s", location="p",
                          max_bytes=1000)
    assert result.status == "rejected" and "too large" in result.message


def test_saved_news_pages() -> None:
    folder = require_path(PAGES / "trafilatura-cache", "saved news pages")
    for path in sorted(folder.glob("*.html")):
        result = extract_page(path.read_bytes(), source="cache", location=path.name)
        assert result.status == "ok", (path.name, result.message)
        row = result.articles.row(0, named=True)
        assert row["title"] and len(row["text"]) >= 100, path.name
        _no_markup([row["text"], row["title"]])
        if path.name.startswith(("reuters", "theguardian", "vancouversun", "zeit", "scmp")):
            assert datetime(2020, 1, 14, tzinfo=UTC) <= row["published_at"] \
                <= datetime(2020, 1, 21, tzinfo=UTC), path.name
    guardian = extract_page((folder / "theguardian.com.academics.html").read_bytes(),
                            source="cache", location="g")
    assert guardian.articles["language"][0] == "en"
    assert "academic staff" in guardian.articles["text"][0]


def _bench_module():
    spec = importlib.util.spec_from_file_location("extraction_score",
                                                  ROOT / "bench" / "extraction_score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_sample_scores_well() -> None:
    """30 benchmark pages: shingle F1 as in the article-extraction benchmark."""
    folder = require_path(PAGES / "article-extraction-benchmark", "extraction benchmark")
    bench = _bench_module()
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    counts = []
    for key in sorted(truth)[:30]:
        html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        rows = extract_page(html, source="bench", location=key, url=truth[key]["url"]).articles
        counts.append(bench.page_counts(truth[key]["articleBody"],
                                        rows["text"][0] if rows.height else "", 4))
    assert bench.scores(counts)["f1"] >= 0.9


def test_shingle_metric() -> None:
    bench = _bench_module()
    assert bench.page_counts("a b c d e", "a b c d e", 4) == (1.0, 0.0, 0.0)
    assert bench.page_counts("a b c d e", "", 4) == (0.0, 0.0, 1.0)
    assert bench.scores([(1.0, 0.0, 0.0), (0.5, 0.5, 0.0)]) == pytest.approx(
        {"precision": 0.75, "recall": 1.0, "f1": 2 * 0.75 / 1.75})


def test_a_page_over_the_text_cap_is_rejected_with_a_reason() -> None:
    """Issue 16, case 6: the per-article text cap holds for pages too."""
    paragraphs = "".join(f"<p>Paragraph {i}: the ministry confirmed the order of {i} new air "
                         f"defence systems for the eastern brigades this year.</p>"
                         for i in range(80))
    page = f"<html><head><title>Order</title></head><body><article>{paragraphs}"
    page += "</article></body></html>"
    assert extract_page(page.encode(), source="s", location="p.html").status == "ok"
    result = extract_page(page.encode(), source="s", location="p.html", max_text_chars=5000)
    assert result.status == "rejected" and result.articles.is_empty()
    reason = result.quarantine["reason"].to_list()
    assert len(reason) == 1 and reason[0].startswith("text too long:")
    assert reason[0].endswith("characters > cap 5000")
