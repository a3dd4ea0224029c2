"""Our feed parser over every file of feedparser's own test suite: crashes, rejections.

    .venv/bin/pip download --no-deps --no-binary :all: feedparser==<version> -d /tmp/fp
    tar xzf /tmp/fp/feedparser-<version>.tar.gz -C /tmp/fp
    .venv/bin/python -m bench.feedparser_suite /tmp/fp/feedparser-<version>/tests

Each file goes through the feed reader (``read_feed``) as an HTTP body served from memory
by an httpx mock transport: nothing is fetched, no socket is opened. Prints files read,
rows, degraded, rejected and crashed, then the rejections by reason. The target (issue
16): no crash, and only files with a DTD or entity declaration, or with nothing in them,
rejected (``unexpected`` counts the others; the exit status is 1 when any crash or
unexpected rejection is found).
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

import httpx

from analytics.contracts.sources_config import Settings, Source
from analytics.sources.http_fetch import FetchConfig, HttpFetcher
from analytics.sources.web import read_feed

_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)\b", re.IGNORECASE)
_NOT_ELEMENTS = re.compile(rb"<!--.*?-->|<\?.*?\?>|\s+", re.DOTALL)
_REASON_DETAIL = re.compile(r"(: line \d+, column \d+|\d+ bytes|: .*$)")


def expected_rejection(data: bytes) -> bool:
    """A DTD or entity declaration, or nothing at all (blank, or only comments and an XML
    declaration). NULs are dropped first, so UTF-16 and UTF-32 files read as ASCII."""
    ascii_like = data.replace(b"\x00", b"")
    return bool(_DECLARATION.search(ascii_like)) or not _NOT_ELEMENTS.sub(b"", ascii_like)


def reason_kind(message: str) -> str:
    """A rejection message without its file-specific detail, for grouping."""
    return _REASON_DETAIL.sub("", message.split(";")[0]).strip()


def _transport(folder: Path) -> httpx.MockTransport:
    """Serves ``folder`` from memory (no socket), with the Content-Encoding feedparser's
    own test server sends for its compression fixtures (gzip for .gz, deflate for .z)."""
    def handler(request: httpx.Request) -> httpx.Response:
        path = folder / request.url.path.lstrip("/")
        headers = {"Content-Type": "application/xml"}
        if path.parent.name == "compression":
            headers["Content-Encoding"] = "gzip" if path.suffix == ".gz" else "deflate"
        # A stream, not ``content=``: httpx would read (and decode) content at once.
        return httpx.Response(200, stream=httpx.ByteStream(path.read_bytes()), headers=headers)
    return httpx.MockTransport(handler)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="feedparser's tests/ folder (unpacked sdist)")
    ap.add_argument("--list", action="store_true", help="name every unexpected rejection")
    args = ap.parse_args(argv)
    folder = args.folder.resolve()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".py")
    if not files:
        print(f"no files under {folder}", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unexpected: list[tuple[Path, str]] = []
    crashes: list[tuple[Path, str]] = []
    config = FetchConfig(allow_private=True, max_attempts=1)
    with HttpFetcher(config, transport=_transport(folder)) as fetcher:
        for path in files:
            rel = path.relative_to(folder)
            source = Source(id="suite", kind="feed", urls=(f"http://suite.invalid/{rel}",))
            counts["files"] += 1
            try:  # read_feed itself, not read_source, which turns exceptions into failures
                batch = read_feed(source, Settings(), fetcher=fetcher)
            except Exception as exc:  # the point of the bench: count what escapes
                counts["crashed"] += 1
                crashes.append((rel, "".join(traceback.format_exception_only(exc)).strip()))
                continue
            counts["rows"] += batch.parsed.height
            counts[batch.status] += 1
            if batch.status == "failed":
                message = batch.message.removeprefix(f"{source.urls[0]}: ")
                expected = expected_rejection(path.read_bytes())
                reasons[f"{'expected' if expected else 'UNEXPECTED'}: "
                        f"{reason_kind(message)}"] += 1
                if not expected:
                    unexpected.append((rel, message))
    print(f"files read  {counts['files']}")
    print(f"rows        {counts['rows']}")
    print(f"ok          {counts['ok']}")
    print(f"degraded    {counts['degraded']}")
    print(f"rejected    {counts['failed']} ({len(unexpected)} unexpected)")
    print(f"crashed     {counts['crashed']}")
    if reasons:
        print("\nrejections by reason:")
        for reason, n in reasons.most_common():
            print(f"  {n:5d}  {reason}")
    for rel, error in crashes:
        print(f"CRASH {rel}: {error}")
    if args.list:
        for rel, message in unexpected:
            print(f"UNEXPECTED {rel}: {message[:160]}")
    return 1 if crashes or unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
