"""Feed and page sources over real HTTP, from a scripted server on 127.0.0.1."""

from __future__ import annotations

import gzip
import random
import threading
import time
from datetime import date

import polars as pl
import pytest

from analytics.contracts.sources_config import Settings, Source
from analytics.ingest.pipeline import ingest
from analytics.sources.http_fetch import FetchConfig, HttpFetcher
from analytics.sources.registry import read_source
from analytics.sources.web import MAX_DOCUMENT_BYTES, fetch_config, read_feed
from analytics.store.articles import ArticleStore
from tests.loopback_server import LoopbackServer, Reply

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Patriot batteries shot down drones</title><link>https://wire.example/a</link>
<description>&lt;p&gt;Air defence held.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Wed, 04 Jun 2025 10:00:00 GMT</pubDate></item>
<item><title>Allies agree 5% of GDP target</title><link>https://wire.example/b</link>
<pubDate>Thu, 05 Jun 2025 09:00:00 GMT</pubDate></item>
</channel></rss>"""
PAGE = b"""<html><head><title>Sanctions widen</title>
<meta property="article:published_time" content="2025-06-03T08:00:00Z"></head>
<body><nav>Home | World</nav><article><h1>Sanctions widen</h1>
<p>The European Union adopted a new package of sanctions against Russian banks on Tuesday,
its seventeenth since the full-scale invasion, targeting the shadow fleet of tankers.</p>
<p>Officials said the price cap on Russian oil would be lowered and more assets frozen.</p>
<script>document.write('<img src=x onerror=alert(1)>')</script></article></body></html>"""
SETTINGS = Settings(allowed_networks=("127.0.0.1/32",), timeout_seconds=0.5, retries=2)
RUN = date(2025, 6, 5)


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


def _fetcher():
    sleeps: list[float] = []
    return HttpFetcher(fetch_config(SETTINGS), sleep=sleeps.append, rng=random.Random(0)), sleeps


def test_feed_retried_after_transient_errors(server):
    server.script("/feed.xml", 500, 500, Reply(200, RSS, {"ETag": '"v1"'}))
    fetcher, sleeps = _fetcher()
    src = Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),))
    batch = read_source(src, SETTINGS, fetcher=fetcher)
    assert len(server.hits("/feed.xml")) == 3 and len(sleeps) == 2
    assert batch.status == "ok"
    assert batch.parsed["title"].to_list() == ["Patriot batteries shot down drones",
                                               "Allies agree 5% of GDP target"]
    assert "alert" not in batch.parsed["text"][0] and "<" not in batch.parsed["text"][0]
    # a headline-only entry keeps its headline as text
    assert batch.parsed["text"][1] == "Allies agree 5% of GDP target"
    assert batch.http_validators == {server.url("/feed.xml"): ('"v1"', None)}


def test_unchanged_feed_costs_one_304(server):
    server.route("/feed.xml", lambda req: Reply(304) if req.headers.get("if-none-match") == '"v1"'
                 else Reply(200, RSS, {"ETag": '"v1"'}))
    fetcher, _ = _fetcher()
    src = Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),))
    first = read_source(src, SETTINGS, fetcher=fetcher)
    second = read_source(src, SETTINGS, fetcher=fetcher, validators=first.http_validators)
    assert first.parsed.height == 2 and second.parsed.height == 0
    assert second.status == "ok" and "not modified" in second.message
    assert len(server.hits("/feed.xml")) == 2


def test_failing_source_does_not_stop_the_others(server, tmp_path):
    server.script("/gone.xml", 404)
    server.script("/slow.xml", Reply(200, RSS, delay=3.0))
    server.script("/feed.xml", Reply(200, RSS))
    server.script("/page.html", Reply(200, PAGE))
    fetcher, _ = _fetcher()
    sources = [
        Source(id="gone", kind="feed", urls=(server.url("/gone.xml"),)),
        Source(id="slow", kind="feed", urls=(server.url("/slow.xml"),)),
        Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),)),
        Source(id="pages", kind="page", urls=(server.url("/page.html"),)),
    ]
    batches = [read_source(s, SETTINGS, fetcher=fetcher) for s in sources]
    status = {b.source: b.status for b in batches}
    assert status == {"gone": "failed", "slow": "failed", "wire": "ok", "pages": "ok"}
    assert {b.source: b.transient for b in batches} == {
        "gone": False, "slow": True, "wire": False, "pages": False}
    assert len(server.hits("/gone.xml")) == 1  # 404 is not retried
    assert "404" in batches[0].message and server.url("/gone.xml") in batches[0].message
    assert len(server.hits("/slow.xml")) == 3  # a timeout is transient: retried, then given up
    page = batches[3].parsed.row(0, named=True)
    assert page["title"] == "Sanctions widen" and "seventeenth" in page["text"]
    assert "alert" not in page["text"] and "Home | World" not in page["text"]
    result = ingest(batches, ArticleStore(tmp_path), run_date=RUN, settings=SETTINGS)
    assert result.new == 3 and result.quarantined == 2
    q = result.quarantine
    assert set(q["source"]) == {"gone", "slow"}
    assert result.rows_read == result.new + result.duplicates + result.quarantined


def test_private_address_refused_without_allowance(server):
    src = Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),))
    batch = read_source(src, Settings(timeout_seconds=0.5))
    assert batch.status == "failed" and "non-public address" in batch.message
    assert server.hits("/feed.xml") == []


def test_saved_feed_files(shared_corpora):
    src = Source(id="saved", kind="feed", path=shared_corpora / "feed-fixtures")
    batch = read_source(src, SETTINGS)
    assert batch.parsed.height > 20
    assert batch.parsed["published_at"].null_count() == 0
    assert batch.parsed["title"].str.strip_chars().str.len_chars().min() > 0
    assert pl.Series(batch.parsed["source"]).unique().to_list() == ["saved"]


def test_feed_entries_replaced_by_their_pages(server):
    feed = RSS.replace(b"https://wire.example/a", server.url("/a.html").encode())
    server.script("/feed.xml", Reply(200, feed))
    server.script("/a.html", Reply(200, PAGE))
    fetcher, _ = _fetcher()
    src = Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),), fetch_pages=True)
    batch = read_source(src, SETTINGS, fetcher=fetcher)
    texts = dict(zip(batch.parsed["title"], batch.parsed["text"], strict=True))
    assert "seventeenth" in texts["Patriot batteries shot down drones"]  # the page's text
    # the second entry's page (wire.example) is refused by the address guard: summary kept
    assert texts["Allies agree 5% of GDP target"] == "Allies agree 5% of GDP target"
    assert batch.status == "degraded" and "summary kept" in batch.message


def test_saved_pages_folder(shared_corpora):
    folder = shared_corpora / "html-article-fixtures" / "trafilatura-cache"
    batch = read_source(Source(id="pages", kind="page", path=folder), SETTINGS)
    assert batch.rows_read == len(list(folder.glob("*.html")))
    assert batch.parsed.height >= batch.rows_read - 1
    assert batch.parsed["title"].str.len_chars().min() > 5
    lengths = batch.parsed["text"].str.len_chars()
    assert lengths.min() > 100 and lengths.median() > 3000


@pytest.mark.timeout(60)
def test_a_trickling_host_fails_its_source_within_the_budget_while_others_are_read(server):
    """Issue 16, case 8: headers at 1 byte/s; each source is read in its own thread, as
    the flow's one task per source does, and the slow one ends with a deadline reason."""
    padding = {"X-Padding": "p" * 500}  # 500 s of headers, were it not for the deadline
    server.script("/slow.xml", Reply(200, RSS, padding, trickle=1.0))
    server.script("/feed.xml", Reply(200, RSS))
    config = FetchConfig(read_timeout=5.0, total_timeout=2.0, max_attempts=4,
                         allowed_networks=("127.0.0.1/32",))
    slow = Source(id="slow", kind="feed", urls=(server.url("/slow.xml"),))
    batches = {}

    def read_slow():
        with HttpFetcher(config, sleep=time.sleep) as fetcher:
            batches["slow"] = read_feed(slow, SETTINGS, fetcher=fetcher, budget=5.0)

    thread = threading.Thread(target=read_slow)
    thread.start()
    wire = read_source(Source(id="wire", kind="feed", urls=(server.url("/feed.xml"),)),
                       SETTINGS)
    assert wire.status == "ok" and wire.parsed.height == 2
    thread.join(timeout=45)
    assert not thread.is_alive()  # it ended, well before the 500 s the headers would take
    batch = batches["slow"]
    assert batch.status == "failed" and "deadline" in batch.message, batch.message
    assert not batch.transient  # the flow's task retries do not read it again
    assert batch.quarantine["source"].to_list() == ["slow"]


def test_a_compressed_feed_file_is_read_only_up_to_the_parsers_cap(tmp_path):
    """Issue 16, case 6: a feed file is decompressed no further than a feed may be."""
    bomb = tmp_path / "bomb.xml.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b'<rss version="2.0"><channel><title>t</title><item><description>')
        fh.write(b" " * (MAX_DOCUMENT_BYTES + 2**20))
    assert SETTINGS.max_file_bytes > MAX_DOCUMENT_BYTES  # the folder sources' cap is larger
    batch = read_source(Source(id="bomb", kind="feed", path=bomb), SETTINGS)
    assert batch.status == "failed"
    assert f"over cap {MAX_DOCUMENT_BYTES} bytes decompressed" in batch.message


def test_a_truncated_compressed_feed_file_fails_with_a_reason(tmp_path):
    whole = gzip.compress(RSS)
    (tmp_path / "cut.xml.gz").write_bytes(whole[: len(whole) // 2])
    batch = read_source(Source(id="cut", kind="feed", path=tmp_path / "cut.xml.gz"), SETTINGS)
    assert batch.status == "failed" and "damaged compressed file" in batch.message


def test_the_sources_files_limits_reach_the_feed_reader(server, tmp_path):
    """Issue 16, cases 6 and 8: ``source_budget_seconds``, ``total_timeout_seconds`` and
    ``max_text_chars`` of ``[settings]`` are what the readers use."""
    settings = Settings(allowed_networks=("127.0.0.1/32",), retries=2, source_budget_seconds=2,
                        total_timeout_seconds=1.5, max_text_chars=40)
    assert fetch_config(settings).total_timeout == 1.5
    # A Retry-After of 30 s fits the default budget (180 s), not this source's 2 s.
    server.script("/busy.xml", Reply(429, headers={"Retry-After": "30"}), Reply(200, RSS))
    sleeps: list[float] = []
    with HttpFetcher(fetch_config(settings), sleep=sleeps.append) as fetcher:
        busy = read_feed(Source(id="busy", kind="feed", urls=(server.url("/busy.xml"),)),
                         settings, fetcher=fetcher)
    assert busy.status == "failed" and "time budget" in busy.message and sleeps == []
    # The title-only entry (29 characters) is under 40; the other, title and text, is not.
    (tmp_path / "f.xml").write_bytes(RSS)
    batch = read_source(Source(id="f", kind="feed", path=tmp_path / "f.xml"), settings)
    assert batch.parsed["title"].to_list() == ["Allies agree 5% of GDP target"]
    assert batch.quarantine["reason"].to_list() == ["entry 1: text too long: 51 characters > cap 40"]


def test_a_body_not_in_its_content_encoding_is_read_as_sent(server):
    """A server that says gzip or deflate and sends plain XML (feedparser's own
    compression fixtures): read as sent, degraded with a message naming URL and encoding;
    a gzip body whose checksum is wrong keeps what decoded; junk stays rejected."""
    bad_crc = bytearray(gzip.compress(RSS))
    bad_crc[-8] ^= 0xFF  # the CRC32 of the trailer
    server.script("/plain-gzip.xml", Reply(200, RSS, {"Content-Encoding": "gzip"}))
    server.script("/plain-deflate.xml", Reply(200, RSS, {"Content-Encoding": "deflate"}))
    server.script("/bad-crc.xml", Reply(200, bytes(bad_crc), {"Content-Encoding": "gzip"}))
    server.script("/junk.xml", Reply(200, b"\x1f\x8b no feed", {"Content-Encoding": "gzip"}))
    fetcher, _ = _fetcher()
    for path, says in [("/plain-gzip.xml", "body is not gzip"),
                       ("/plain-deflate.xml", "body is not deflate"),
                       ("/bad-crc.xml", "gzip body damaged (Error -3 while decompressing "
                                        "data: incorrect data check)")]:
        url = server.url(path)
        batch = read_source(Source(id="wire", kind="feed", urls=(url,)), SETTINGS,
                            fetcher=fetcher)
        assert batch.status == "degraded", path
        assert batch.parsed["title"].to_list() == ["Patriot batteries shot down drones",
                                                   "Allies agree 5% of GDP target"]
        assert f"{url}: degraded: {says}" in batch.message
    url = server.url("/junk.xml")
    junk = read_source(Source(id="junk", kind="feed", urls=(url,)), SETTINGS, fetcher=fetcher)
    assert junk.status == "failed" and junk.parsed.height == 0
    assert f"{url}: degraded: body is not gzip as its Content-Encoding says" in junk.message
    assert "not a parseable feed" in junk.message
