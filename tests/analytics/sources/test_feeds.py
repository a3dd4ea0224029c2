"""Feed parsing: fixture folders (ill-formed, encodings, hostile), formats, dates, corpora."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.contracts import schema
from analytics.sources.parse.feeds import parse_date, parse_feed
from analytics.sources.parse.html_text import html_to_text
from tests.helpers import fixture_header, require_path
from tests.loopback_server import LoopbackServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHARED_FEEDS = Path(__file__).resolve().parents[4] / "shared" / "corpora" / "feed-fixtures"
MARKUP = ("<script", "</script", "<iframe", "onerror", "onclick", "alert(", "javascript:")


def _files(folder: str) -> list[Path]:
    return sorted((FIXTURES / folder).glob("*.xml"))


def _check_expectations(result, expect: dict[str, tuple[str, str]]) -> None:
    rows = result.articles
    for key, (op, value) in expect.items():
        if key == "status":
            assert result.status == value, result.message
        elif key == "articles":
            assert rows.height >= int(value) if op == ">=" else rows.height == int(value)
        elif key == "titles":
            assert rows["title"].to_list()[: len(value.split("|"))] == value.split("|")
        elif key == "contains":
            assert any(value in t for t in rows["text"].to_list())
        elif key == "replacements":
            assert result.replacements == int(value)
            cells = rows["title"].to_list() + rows["text"].to_list()
            assert sum(c.count("\ufffd") for c in cells if c) == int(value)
        elif key == "message":
            assert value in result.message
        else:
            raise AssertionError(f"unknown expectation {key!r}")


def _strings(frame: pl.DataFrame) -> list[str]:
    return [v for col in frame.columns if frame.schema[col] == pl.String
            for v in frame[col].to_list() if v is not None]


@pytest.mark.parametrize("path", _files("feeds/illformed"), ids=lambda p: p.name)
def test_illformed_feeds_are_salvaged(path: Path) -> None:
    _, expect = fixture_header(path.read_bytes())
    result = parse_feed(path.read_bytes(), source="s", location=path.name)
    schema.validate(result.articles, "parsed")
    assert result.message  # the parse error is recorded, not swallowed
    _check_expectations(result, expect)


@pytest.mark.parametrize("path", _files("feeds/encoding"), ids=lambda p: p.name)
def test_encodings_give_valid_utf8_that_survives_parquet(path: Path, tmp_path: Path) -> None:
    _, expect = fixture_header(path.read_bytes())
    result = parse_feed(path.read_bytes(), source="s", location=path.name)
    _check_expectations(result, expect)
    for value in _strings(result.articles):
        value.encode("utf-8")  # strict: no lone surrogates
    target = tmp_path / "parsed.parquet"
    result.articles.write_parquet(target)
    assert_frame_equal(pl.read_parquet(target), result.articles)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", _files("hostile"), ids=lambda p: p.name)
def test_hostile_xml_is_rejected_without_side_effects(path: Path, tmp_path: Path) -> None:
    canary = "CANARY-7f3c-not-to-be-read"
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    _, expect = fixture_header(path.read_bytes())
    with LoopbackServer() as server:
        data = (path.read_bytes()
                .replace(b"SECRET_FILE", str(secret).encode())
                .replace(b"LOOPBACK_URL", server.url("").encode()))
        start = time.monotonic()
        result = parse_feed(data, source="s", location=path.name)
        elapsed = time.monotonic() - start
        time.sleep(0.05)  # a request the parser triggered would have arrived by now
        assert server.requests == []
    assert elapsed < 5
    _check_expectations(result, expect)
    if result.status == "rejected":
        assert result.articles.is_empty()
        assert result.quarantine["reason"].to_list() == [result.message]
    produced = _strings(result.articles) + _strings(result.quarantine) + [result.message]
    assert not any(canary in s for s in produced)
    assert not any(m in s.lower() for s in _strings(result.articles) for m in MARKUP)


RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://example.org/</link>
<description>d</description><language>pt-br</language>
<item><title>Velha not\xedcia</title><link>https://example.org/old</link>
<description>Texto antigo.</description></item></channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>RDF</title><link>https://example.org/</link>
<description>d</description></channel>
<item rdf:about="https://example.org/r1"><title>RDF item</title><link>https://example.org/r1</link>
<description>RDF body.</description><dc:date>2025-06-01T12:00:00+02:00</dc:date></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de-DE"><title>A</title><id>urn:a</id>
<updated>2025-06-02T00:00:00Z</updated>
<entry><title type="html">Heer &lt;b&gt;bestellt&lt;/b&gt; Drohnen</title><id>urn:a:1</id>
<link href="/news/1"/><published>2025-06-02T09:00:00+02:00</published>
<content type="html">&lt;p&gt;Das Heer bestellt&lt;/p&gt;&lt;p&gt;neue Drohnen.&lt;/p&gt;</content>
<summary>kurz</summary></entry>
<entry><id>urn:a:2</id><link href="/news/2"/></entry>
</feed>"""


def test_rss091_with_netscape_doctype_is_accepted() -> None:
    result = parse_feed(RSS091, source="old", location="old.xml")
    assert result.status == "ok", result.message
    row = result.articles.row(0, named=True)
    assert row["title"] == "Velha not\u00edcia"
    assert row["language"] == "pt"
    assert row["location"] == "old.xml#entry-1"


def test_rss10_rdf() -> None:
    result = parse_feed(RSS10, source="rdf", location="rdf.xml")
    assert result.status == "ok"
    row = result.articles.row(0, named=True)
    assert (row["title"], row["text"], row["url"]) == ("RDF item", "RDF body.",
                                                      "https://example.org/r1")
    assert row["published_at"] == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def test_atom_content_relative_links_and_quarantine() -> None:
    result = parse_feed(ATOM, source="atom", location="a.xml", base_url="https://example.de/")
    schema.validate(result.articles, "parsed")
    row = result.articles.row(0, named=True)
    assert row["title"] == "Heer bestellt Drohnen"
    assert row["text"] == "Das Heer bestellt\nneue Drohnen."  # content wins over summary
    assert row["url"] == "https://example.de/news/1"
    assert row["guid"] == "urn:a:1"
    assert row["language"] == "de"
    assert row["published_at"] == datetime(2025, 6, 2, 7, 0, tzinfo=UTC)
    assert result.quarantine.to_dicts() == [
        {"source": "atom", "location": "a.xml#entry-2",
         "reason": "entry 2 has neither title nor text"}
    ]
    assert result.status == "degraded"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", "rejected"),
        (b"   \n", "rejected"),
        (b"<html><body>Not a feed</body></html>", "rejected"),
        (b"\x00\x01\x02binary", "rejected"),
        (b'<rss version="2.0"><channel><title>Quiet day</title></channel></rss>', "ok"),
    ],
    ids=["empty", "blank", "html", "binary", "zero-items"],
)
def test_empty_and_non_feeds_give_frames_with_schema(data: bytes, status: str) -> None:
    result = parse_feed(data, source="s", location="x")
    assert result.status == status
    assert result.articles.is_empty()
    schema.validate(result.articles, "parsed")
    schema.validate(result.quarantine, "quarantine")
    assert result.quarantine.height == (status == "rejected")


def test_size_cap() -> None:
    result = parse_feed(b"<rss>" + b" " * 2000 + b"</rss>", source="s", location="x",
                        max_bytes=1000)
    assert result.status == "rejected"
    assert "too large" in result.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 30 Jan 2018 23:59:00 GMT", datetime(2018, 1, 30, 23, 59, tzinfo=UTC)),
        ("Mon, 01 Feb 2016 17:22:00 +0100", datetime(2016, 2, 1, 16, 22, tzinfo=UTC)),
        ("2016-02-01T17:22:00+01:00", datetime(2016, 2, 1, 16, 22, tzinfo=UTC)),
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=UTC)),
        ("2025-06-01T10:00:00", datetime(2025, 6, 1, 10, tzinfo=UTC)),  # naive: UTC
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),
        ("5 juil. 2019 10:00 +0200", datetime(2019, 7, 5, 8, tzinfo=UTC)),
        ("Mon, 01 Jan 2018 25:00:00 GMT", None),
        ("2018-01-01T25:00:00Z", None),
        ("Mon, 99 Jan 2018 10:00:00 GMT", None),
        ("2018-01-99T10:00:00Z", None),
        ("Mon, 01 Jan 10000 10:00:00 GMT", None),
        ("10000-01-01T10:00:00Z", None),
        ("2018-02-30T10:00:00Z", None),
        ("2018-13-01T00:00:00Z", None),
        ("yesterday-ish", None),
        ("", None),
    ],
)
def test_date_table(raw: str, expected: datetime | None) -> None:
    assert parse_date(raw) == expected


def test_impossible_entry_date_is_null_not_rolled_over() -> None:
    data = (b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
            b"<pubDate>2018-01-01T25:00:00Z</pubDate></item></channel></rss>")
    result = parse_feed(data, source="s", location="x")
    assert result.articles["published_at"].to_list() == [None]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"),
        ("Budget<script>alert(1)</script> vote<style>p{}</style>", "Budget vote"),
        ('<img src=x onerror="alert(1)">Pic<iframe src="//e">alert(2)</iframe>', "Pic"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Escaped", "Escaped"),
        ("a < b and c > d", "a < b and c > d"),
        ("", ""),
        # Issue 16, case 13: void elements dropped all the text after them.
        ("<p>Before <embed src=x> after embed.</p>", "Before after embed."),
        ("<p>a</p><frame src=x>After frame.", "a\nAfter frame."),
        ("<object data=x><param name=a value=b>Fallback text, unclosed", "Fallback text, unclosed"),
        # Case 13b: a tag mentioned in prose is content; closed or attributed tags are markup.
        ("the <blink> tag is gone", "the <blink> tag is gone"),
        ("the &lt;blink&gt; tag, escaped twice", "the <blink> tag, escaped twice"),
        ("<p>Old pages used the <blink> tag.</p>", "Old pages used the <blink> tag."),
        ("Write to <editor@example.org>", "Write to <editor@example.org>"),
        ("x &lt;script&gt;alert(1)&lt;/script&gt; y", "x y"),
        ("the <script> tag", "the"),  # an unclosed script hides what follows: never shown
        ("<blink>on</blink> off", "on off"),
        ('<span class="x">unclosed, attributed', "unclosed, attributed"),
        ("<p>one<p>two<li>three", "one\ntwo\nthree"),
        ("<iframe src=x><div><noscript></div>hidden</iframe>shown", "shown"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_escaped_markup_meant_as_content_keeps_its_words() -> None:
    """Issue 16, case 13b: RSS carries HTML escaped once; a tag quoted in prose is text."""
    data = b"""<rss version="2.0"><channel><title>t</title>
<item><title>Browsers drop the &lt;blink&gt; tag</title>
<description>The &lt;blink&gt; tag made text flash. &lt;script&gt;alert(1)&lt;/script&gt;Gone.
</description></item></channel></rss>"""
    row = parse_feed(data, source="s", location="x").articles.row(0, named=True)
    assert row["title"] == "Browsers drop the <blink> tag"
    assert row["text"] == "The <blink> tag made text flash. Gone."


def _shared_feed(name: str) -> bytes:
    return require_path(SHARED_FEEDS / name, "feed fixtures").read_bytes()


def test_guardian_rss() -> None:
    result = parse_feed(_shared_feed("guardian.rss"), source="guardian", location="guardian.rss")
    assert result.status == "ok", result.message
    rows = result.articles
    assert rows.height == 55
    assert rows["title"][0] == (
        "Trump State of the Union address promised unity but emphasized discord"
    )
    assert rows["published_at"][0] == datetime(2018, 1, 31, 7, 26, 5, tzinfo=UTC)
    assert rows["published_at"].null_count() == 0
    assert rows["text"][0].startswith("The president\u2019s \u2018new American moment\u2019")
    assert set(rows["language"].to_list()) == {"en"}
    assert not any(m in s.lower() for s in _strings(rows) for m in ("<p>", "<a ", "&lt;"))


def test_heise_atom_dates_to_utc() -> None:
    result = parse_feed(_shared_feed("heise.atom"), source="heise", location="heise.atom")
    assert result.status == "ok", result.message
    rows = result.articles
    assert rows.height == 15
    assert rows["title"][0] == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert rows["published_at"][0] == datetime(2016, 2, 1, 16, 22, tzinfo=UTC)  # 17:22+01:00
    assert rows["text"][0].startswith("Die nun verf\u00fcgbare Version 10")


def test_uol_latin1_without_declaration_and_portuguese_dates() -> None:
    result = parse_feed(_shared_feed("uolNoticias.rss"), source="uol", location="uol.rss")
    assert result.status == "ok", result.message
    assert result.replacements == 0
    rows = result.articles
    assert rows.height == 15
    assert "simula\u00e7\u00f5es" in rows["title"][0]
    assert rows["text"][0].startswith("L\u00edder na pesquisa Ibope de inten\u00e7\u00e3o")
    # "Seg, 24 Set 2018 19:42:40 -0300": kept and parsed, not dropped
    assert rows["published_at"][0] == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)
    assert rows["published_at"].null_count() == 0


def _feed_with_a_long_entry(chars: int) -> bytes:
    body = ("Drones were reported over the port. " * (chars // 36 + 1))[:chars]
    return (b'<rss version="2.0"><channel><title>t</title>'
            b"<item><title>Short</title><description>Air defence held.</description></item>"
            b"<item><title>Dump</title><description>" + body.encode() + b"</description></item>"
            b"</channel></rss>")


def test_an_entry_over_the_text_cap_is_quarantined_with_a_reason() -> None:
    """Issue 16, case 6: one huge value must not become one huge article."""
    result = parse_feed(_feed_with_a_long_entry(1_200_000), source="s", location="x")
    assert result.articles["title"].to_list() == ["Short"]
    assert result.quarantine.to_dicts() == [{
        "source": "s", "location": "x#entry-2",
        "reason": "entry 2: text too long: 1200003 characters > cap 1000000"}]
    assert result.status == "degraded" and "1 entries quarantined" in result.message
    small = parse_feed(_feed_with_a_long_entry(500), source="s", location="x",
                       max_text_chars=100)
    assert small.articles["title"].to_list() == ["Short"]


def test_a_cdf_channel_without_items_is_read_not_rejected() -> None:
    """feedparser reads Microsoft's CDF (<CHANNEL>) without reporting a version."""
    result = parse_feed(b"<CHANNEL><TITLE>Example feed</TITLE></CHANNEL>", source="s",
                        location="x")
    assert result.status == "ok" and result.articles.is_empty()
