"""Shared test helpers: small report frames and required external tools."""

from __future__ import annotations

import importlib
import os
import shutil
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary, SourceOutcome
from analytics.contracts.schema import COOCCURRENCE, SOURCE_SHARES, THEME_TRENDS
from analytics.contracts.schema import EMERGING_TOPICS as EMERGING
from analytics.contracts.schema import THEME_COORDS as COORDS
from analytics.contracts.schema import THEME_TERMS as TERM_WEIGHTS

TOPIC_LABELS = {
    "air_missile_defense": "Air and missile defence",
    "defense_spending": "Defence spending and targets",
    "drones": "Drones and unmanned systems",
    "sanctions": "Sanctions",
}
RUN_DATE = date(2025, 7, 1)
HOSTILE_TITLE = r"Budget $x$ and $$ 5 \input{x} <script>alert(1)</script>"


_PACKAGES = {"pdftoppm": "poppler-utils", "pdftotext": "poppler-utils", "pdfinfo": "poppler-utils"}


def require_tool(name: str) -> str:
    """Path of an external tool; skip the test without it locally, fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not installed (apt-get install {_PACKAGES.get(name, name)})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    return path


def require_module(name: str, install: str) -> None:
    """Skip the test without the Python module locally; fail under CI=true."""
    try:
        importlib.import_module(name)
    except ImportError:
        reason = f"{name} not installed (pip install {install})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)


def _ts(day: int) -> datetime:
    return datetime(2025, 6, 1, 9, 0, tzinfo=UTC) + timedelta(days=day - 1)


def articles(titles: list[str] | None = None, *, near_duplicate: bool = True) -> pl.DataFrame:
    """Five canonical articles (two sources; the last two stored on the run date) and,
    with ``near_duplicate``, a sixth: a re-post of the fourth (``duplicate_of`` a3)."""
    titles = titles or [
        "NATO allies agree 5% target",
        "Patriot batteries shot down drones",
        "New sanctions package",
        "Drone factory opens",
        "Air defence gaps remain",
    ]
    n = len(titles)
    frame = pl.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(n)],
            "source": ["wire" if i < 3 else "agency" for i in range(n)],
            "url": [f"https://example.org/{i}" for i in range(n)],
            "title": titles,
            "published_at": [_ts(2 + 5 * i) for i in range(n)],
            "text": ["Some text. " * 20] * n,
            "language": ["en"] * n,
            "duplicate_of": [None] * n,
            "location": [f"feed.jsonl:{i + 1}" for i in range(n)],
            "ingested_on": [RUN_DATE if i >= 2 else date(2025, 6, 24) for i in range(n)],
        },
    )
    if near_duplicate:
        frame = pl.concat([frame, pl.DataFrame({
            "article_id": ["a5"], "source": ["agency"], "url": ["https://example.org/repost"],
            "title": ["Drone factory opens (re-post)"], "published_at": [_ts(23)],
            "text": ["Some text. " * 20], "language": ["en"], "duplicate_of": ["a3"],
            "location": ["feed.jsonl:6"], "ingested_on": [RUN_DATE],
        })], how="vertical_relaxed")
    # conform: columns the contract gained since this helper was written come as nulls.
    return schema.conform(frame, "articles")


def topic_mentions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "article_id": ["a0", "a1", "a1", "a2", "a3", "a4", "a4", "a5"],
            "topic_id": [
                "defense_spending", "air_missile_defense", "drones", "sanctions", "drones",
                "air_missile_defense", "drones", "drones",
            ],
            "mentions": [3, 4, 2, 1, 5, 2, 1, 5],
            "matched": [
                "spending", "Patriot", "drones", "sanctions", "drone", "air defence", "UAV",
                "drone",
            ],
            "evidence": [
                "Allies agreed to spend 5% of GDP on defence by 2035.",
                "Patriot batteries shot down 12 drones overnight.",
                "Drones hit the depot.",
                "The EU adopted a new sanctions package.",
                "A drone factory opened in the west.",
                "Air defence gaps remain over the east.",
                "A UAV was seen.",
                "A drone factory opened in the west.",
            ],
        },
        schema=schema.TOPIC_MENTIONS,
    )


def claims(snippet: str = "Allies agreed to spend 5% of GDP on defence by 2035.") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "article_id": ["a0", "a0", "a2"],
            "claim_type": ["defense_spending_gdp"] * 3,
            "value": [5.0, 3.5, 2.0],
            "unit": ["% of GDP"] * 3,
            "target_year": [2035, 2035, None],
            "actor": ["NATO allies", "NATO allies", None],
            "kind": ["pledge", "pledge", "target"],
            "snippet": [snippet, "Core spending of 3.5% by 2035.", "At least 2% of GDP."],
        },
        schema=schema.CLAIMS,
    )


def topic_trends() -> pl.DataFrame:
    weeks = [date(2025, 6, 2), date(2025, 6, 9), date(2025, 6, 16), date(2025, 6, 23)]
    rows = []
    for i, week in enumerate(weeks):
        for j, topic in enumerate(TOPIC_LABELS):
            n = (i * (j + 1) + j) % 4
            rows.append((week, "week", topic, n, n * 2, n / 5))
    return pl.DataFrame(rows, schema=schema.TOPIC_TRENDS, orient="row")


def themes() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "theme_id": [0, 1, -1],
            "label": ["air defence drones", "spending target", "outliers"],
            "top_terms": [
                ["air", "defence", "drones", "patriot"], ["spending", "gdp", "target"], [],
            ],
            "size": [3, 1, 1],
        },
        schema=schema.THEMES,
    )


def article_themes() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "article_id": ["a0", "a1", "a2", "a3", "a4"],
            "theme_id": [1, 0, -1, 0, 0],
            "weight": [0.9, 0.8, 0.0, 0.7, 0.6],
        },
        schema=schema.ARTICLE_THEMES,
    )


def emerging_topics() -> pl.DataFrame:
    """Latest week 2025-06-16: drones flagged, sanctions not."""
    return pl.DataFrame(
        {
            "topic_id": ["drones", "air_missile_defense", "sanctions"],
            "period_start": [date(2025, 6, 16)] * 3,
            "articles": [2, 1, 0],
            "share": [1.0, 0.5, 0.0],
            "baseline_share": [0.3, 0.5, 0.2],
            "z": [4.2, 0.0, -1.1],
            "emerging": [True, False, False],
        },
        schema=EMERGING,
    )


def cooccurrence() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "topic_a": ["air_missile_defense", "defense_spending"],
            "topic_b": ["drones", "sanctions"],
            "articles": [2, 1],
            "jaccard": [2 / 3, 0.5],
            "lift": [5 / 3, 2.5],
        },
        schema=COOCCURRENCE,
    )


def source_shares() -> pl.DataFrame:
    rows = [("wire", "defense_spending", 1, 3), ("wire", "air_missile_defense", 1, 3),
            ("wire", "drones", 1, 3), ("wire", "sanctions", 1, 3),
            ("agency", "drones", 2, 2), ("agency", "air_missile_defense", 1, 2)]
    return pl.DataFrame(
        [(date(2025, 6, 1), s, t, a, n, a / n) for s, t, a, n in rows],
        schema=SOURCE_SHARES, orient="row",
    )


def theme_terms() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "theme_id": [0, 0, 0, 1, 1],
            "term": ["air", "defence", "drones", "spending", "gdp"],
            "weight": [0.5, 0.4, 0.3, 0.6, 0.5],
        },
        schema=TERM_WEIGHTS,
    )


def theme_coords() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "article_id": ["a0", "a1", "a2", "a3", "a4"],
            "x": [-1.0, 0.8, 0.1, 1.0, 0.9],
            "y": [0.5, -0.2, 0.0, -0.3, -0.1],
        },
        schema=COORDS,
    )


def theme_trends() -> pl.DataFrame:
    weeks = [date(2025, 6, 2), date(2025, 6, 9), date(2025, 6, 16)]
    rows = [(weeks[0], 1, 1), (weeks[0], 0, 0), (weeks[0], -1, 0),
            (weeks[1], 1, 0), (weeks[1], 0, 1), (weeks[1], -1, 1),
            (weeks[2], 1, 0), (weeks[2], 0, 2), (weeks[2], -1, 0)]
    return pl.DataFrame(rows, schema=THEME_TRENDS, orient="row")


def quarantine() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["wire", "wire"],
            "location": ["feed.jsonl:7", "feed.jsonl:9"],
            "reason": ["missing text", "unparseable date"],
        },
        schema=schema.QUARANTINE,
    )


def bursts() -> pl.DataFrame:
    """A two-day air-defence burst (12 and 13 June) and a day to watch for drones."""
    rows = [("air_missile_defense", date(2025, 6, 12), 9, 40, "burst", 5.2),
            ("air_missile_defense", date(2025, 6, 13), 12, 44, "burst", 6.1),
            ("drones", date(2025, 6, 20), 4, 38, "watch", 1.8)]
    return schema.conform(pl.DataFrame(
        [{"topic_id": t, "period": "day", "period_start": d, "articles": a, "total": n,
          "share": a / n, "baseline_share": a / n / r, "expected": n * a / n / r, "ratio": r,
          "z": 5.0, "p_value": 1e-6, "sources": 2, "top_source": "wire",
          "top_source_share": 0.5, "level": level, "onset": date(2025, 6, 12)
          if t == "air_missile_defense" else d}
         for t, d, a, n, level, r in rows]), "bursts")


def burst_stories() -> pl.DataFrame:
    return schema.conform(pl.DataFrame([{
        "topic_id": "air_missile_defense", "period": "day", "period_start": date(2025, 6, 13),
        "onset": date(2025, 6, 12), "rank": 1,
        "label": "Patriot batteries shot down drones over the capital", "articles": 8,
        "sources": 2, "outlets": ["wire", "agency"], "urls": ["https://example.org/1"],
        "first_seen": _ts(13)}]), "burst_stories")


def tables(**overrides: pl.DataFrame) -> dict[str, pl.DataFrame]:
    frames = {
        "articles": articles(),
        "topic_mentions": topic_mentions(),
        "claims": claims(),
        "topic_trends": topic_trends(),
        "themes": themes(),
        "article_themes": article_themes(),
        "quarantine": quarantine(),
        "emerging_topics": emerging_topics(),
        "cooccurrence": cooccurrence(),
        "source_shares": source_shares(),
        "bursts": bursts(),
        "burst_stories": burst_stories(),
        "theme_terms": theme_terms(),
        "theme_coords": theme_coords(),
        "theme_trends": theme_trends(),
    }
    frames.update(overrides)
    return frames


def empty_tables() -> dict[str, pl.DataFrame]:
    names = ["articles", "topic_mentions", "claims", "topic_trends", "themes",
             "article_themes", "quarantine"]
    extra = {"emerging_topics": EMERGING, "cooccurrence": COOCCURRENCE,
             "source_shares": SOURCE_SHARES, "theme_terms": TERM_WEIGHTS,
             "theme_coords": COORDS, "theme_trends": THEME_TRENDS}
    return {**{name: schema.empty(name) for name in names},
            **{name: pl.DataFrame(schema=cols) for name, cols in extra.items()}}


def summary(**overrides: object) -> RunSummary:
    values: dict[str, object] = {
        "run_date": RUN_DATE,
        "corpus": "seeds/sources.toml",
        "parameters": {"period": "week", "min_articles_for_themes": "5"},
        "rows_read": 9,
        "new_articles": 5,
        "stored_articles": 5,
        "duplicates": 2,
        "near_duplicates": 1,
        "quarantined": 2,
        "quarantine_reasons": {"missing text": 1, "unparseable date": 1},
        "sources": (
            SourceOutcome("wire", "jsonl", "degraded", 9, "2 rows quarantined"),
            SourceOutcome("blog", "rss", "failed", 0, "HTTP 503"),
        ),
        "date_min": date(2025, 6, 2),
        "date_max": date(2025, 6, 22),
        "topics_found": 4,
    }
    values.update(overrides)
    return RunSummary(**values)  # type: ignore[arg-type]


def require_path(path, what: str = "shared corpus"):
    """``path`` if it exists; skip the test without it locally, fail under CI=true."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        reason = f"{what} not found at {path} (the shared folder sits beside the repository)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    return path


def fixture_header(data: bytes) -> tuple[str, dict[str, tuple[str, str]]]:
    """(description, {key: (operator, value)}) from a fixture's header comment.

    The comment reads ``Description: ... Expect: key=value; key>=value``; values are ASCII
    with ``\\uXXXX`` escapes, so the header reads the same whatever the file's encoding.
    """
    import re

    text = data.replace(b"\x00", b"").decode("latin-1")
    match = re.search(r"Description:\s*(.*?)\s*Expect:\s*(.*?)\s*-->", text, re.S)
    assert match, "fixture lacks its 'Description: ... Expect: ...' header comment"
    expect = {}
    for item in match.group(2).split(";"):
        key, op, value = re.match(r"\s*(\w+)\s*(>=|=)\s*(.*?)\s*$", item, re.S).groups()
        expect[key] = (op, value.encode("latin-1").decode("unicode_escape"))
    return " ".join(match.group(1).split()), expect
