"""Alerts end to end: real ``prefect server start``, real automations from ``alerts.toml``
and a real HTTP receiver on 127.0.0.1 standing in for the chat webhook.

The corpus replays real articles (``../shared``: five weeks of two outlets of the RSS
corpus, July 2022) with a planted burst: the drone articles of 17 Oct 2022 (Iranian
kamikaze drones hit Kyiv) moved to the last day, plus one hostile headline carried by five
outlets. The sources file also names a table that does not exist (a failing source). The
seed taxonomy's default rules apply: only the drones burst alerts (terrorism is a day to
watch that week, and its rule is "burst").
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

from tests.flows.server_fixture import BIN, keep_screenshot, screenshot
from tests.helpers import require_path
from tests.loopback_server import serving

REPO = Path(__file__).resolve().parents[2]
RSS = REPO.parent / "shared" / "corpora" / "rss-world-news-2022-2023" / "world_news_rss_2022_2023.csv.gz"
RUN_DATE = date(2022, 8, 5)
EVENT_DAY = date(2022, 10, 17)
OUTLETS = ["BBC News", "New York Times (World)"]
# Markup for HTML, Slack (a user mention), Jinja and the webhook block's {{name}}; ingest
# already drops the HTML element, the rest reaches the message and must stay text.
HOSTILE = ("Drone strike <script>alert(1)</script> <@U024BE7LH> {{name}} {{ 7*7 }} "
           "{% if 1 %}x{% endif %} 1 < 2 & 3 > 2")
DELIVERY_TIMEOUT = 90  # s: the server's trigger and action services, on 2 loaded cores

pytestmark = pytest.mark.e2e


class Receiver(ThreadingHTTPServer):
    """Records the JSON body of every POST."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def wait_for(self, n: int, timeout: float = DELIVERY_TIMEOUT) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.5)
        pytest.fail(f"{len(self.messages)} webhook messages after {timeout} s, "
                    f"expected {n}: {self.messages}")


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.messages.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def receiver():
    with serving(Receiver()) as server:
        yield server


def replay_corpus(folder: Path) -> Path:
    """The replayed corpus as a CSV table and a sources file naming it and a missing table."""
    rss = pl.read_csv(require_path(RSS, "the shared RSS corpus"),
                      columns=["published_utc", "outlet", "title", "description", "link"],
                      infer_schema_length=0)
    ts = pl.col("published_utc").str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S",
                                                                    time_zone="UTC")
    rss = rss.with_columns(ts=ts)
    day = pl.col("ts").dt.date()
    background = rss.filter(pl.col("outlet").is_in(OUTLETS)
                            & day.is_between(RUN_DATE - timedelta(days=34), RUN_DATE))
    drones = rss.filter((day == EVENT_DAY) & (pl.col("title") + " " + pl.col("description")
                                              .fill_null("")).str.contains(r"(?i)kamikaze|drone"))
    planted = drones.with_columns(ts=pl.col("ts") + (RUN_DATE - EVENT_DAY))
    noon = datetime(RUN_DATE.year, RUN_DATE.month, RUN_DATE.day, 12, tzinfo=UTC)
    hostile = pl.DataFrame({
        "outlet": [f"Example Wire {i}" for i in range(1, 6)],
        "title": [HOSTILE] * 5,
        "description": [f"Report {i}: a drone strike hit a depot, officials said on day {i}."
                        for i in range(1, 6)],
        "link": [f"https://example.org/drone-{i}" for i in range(1, 6)],
        "ts": [noon + timedelta(minutes=i) for i in range(1, 6)],
    })
    rows = pl.concat([background.select(hostile.columns), planted.select(hostile.columns),
                      hostile]).sort("ts")
    table = folder / "replay.csv"
    rows.with_columns(published_utc=pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).drop(
        "ts").write_csv(table)
    sources = folder / "sources.toml"
    sources.write_text(
        '[[source]]\nid = "replay"\nkind = "table"\npath = "replay.csv"\n'
        'columns = { text = ["title", "description"], title = "title", '
        'date = "published_utc", url = "link", source = "outlet" }\n\n'
        '[[source]]\nid = "wire-archive"\nkind = "table"\npath = "wire-archive.csv"\n'
        'columns = { text = "body", title = "headline" }\n', encoding="utf-8")
    return sources


def _topicwatch(server, cwd: Path, *args: str, timeout: float = 300) -> str:
    result = subprocess.run([str(BIN / "topicwatch"), *args], env=server.env(), cwd=cwd,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _events(server, since: datetime) -> list[dict]:
    with server.client() as client:
        found = client.post("/events/filter", json={
            "filter": {"event": {"prefix": ["topicwatch."]},
                       "occurred": {"since": since.isoformat()}},
            "limit": 50}).raise_for_status().json()
    return found["events"]


@pytest.fixture(scope="module")
def alerts_setup(prefect_server, receiver, tmp_path_factory):
    """The corpus, ``alerts.toml`` applied twice, then one run: (root, apply outputs,
    the first run's start, the messages it delivered)."""
    root = tmp_path_factory.mktemp("alerts-run")
    sources = replay_corpus(root)
    (root / "alerts.toml").write_text(
        f'[notify]\nkind = "slack"\nurl = "{receiver.url}"\nname = "newsroom"\n',
        encoding="utf-8")
    applied = [_topicwatch(prefect_server, root, "alerts", "apply"),
               _topicwatch(prefect_server, root, "alerts", "apply")]
    started = datetime.now(UTC) - timedelta(seconds=5)
    _topicwatch(prefect_server, root, "run", "--run-date", RUN_DATE.isoformat(),
                "--sources", str(sources), "--taxonomy", str(REPO / "seeds" / "taxonomy.toml"),
                "--data-dir", "data", "--reports-dir", "reports", "--themes", "3")
    messages = receiver.wait_for(2)
    return root, applied, started, messages


def test_apply_creates_one_automation_per_event_and_again_changes_nothing(
        alerts_setup, prefect_server):
    _, applied, _, _ = alerts_setup
    assert applied[0].count("created automation") == 3
    assert applied[1].count("unchanged automation") == 3, applied[1]
    with prefect_server.client() as client:
        autos = client.post("/automations/filter", json={}).raise_for_status().json()
    mine = sorted(a["name"] for a in autos if a["name"].startswith("newsroom: "))
    assert mine == ["newsroom: topicwatch.claim.new", "newsroom: topicwatch.source.failed",
                    "newsroom: topicwatch.topic.burst"]
    burst = next(a for a in autos if a["name"] == "newsroom: topicwatch.topic.burst")
    assert burst["trigger"]["expect"] == ["topicwatch.topic.burst"]
    assert burst["actions"][0]["type"] == "send-notification"
    assert burst["actions"][0]["body"] == "{{ event.payload.message }}"


def test_one_burst_event_for_the_planted_topic(alerts_setup, prefect_server):
    _, _, started, _ = alerts_setup
    bursts = [e for e in _events(prefect_server, started) if e["event"] == "topicwatch.topic.burst"]
    assert len(bursts) == 1, bursts
    event = bursts[0]
    assert event["resource"]["prefect.resource.id"] == "topicwatch.topic.drones"
    assert event["resource"]["prefect.resource.name"] == "Drones and unmanned systems"
    payload = event["payload"]
    assert payload["level"] == "burst" and payload["day"] == RUN_DATE.isoformat()
    assert payload["articles"] >= 18 and payload["usual"] < 1
    assert payload["stories"] and all(s["url"].startswith("https://") for s in payload["stories"])
    # related to the flow run that emitted it
    roles = {r.get("prefect.resource.role") for r in event["related"]}
    assert "flow-run" in roles


def test_one_burst_message_with_topic_counts_and_links(alerts_setup, prefect_server):
    _, _, started, messages = alerts_setup
    bursts = [m for m in messages if "Drones and unmanned systems, burst" in m["text"]]
    assert len(bursts) == 1, messages
    text = bursts[0]["text"]
    event = next(e for e in _events(prefect_server, started)
                 if e["event"] == "topicwatch.topic.burst")
    payload = event["payload"]
    assert text.startswith("*topicwatch: Drones and unmanned systems, burst*\n")
    assert f"{payload['articles']} articles, usually {payload['usual']:.1f}" in text
    assert "on 5 Aug 2022" in text
    for story in payload["stories"]:
        assert story["url"] in text


def test_hostile_title_arrives_as_text(alerts_setup):
    _, _, _, messages = alerts_setup
    text = next(m["text"] for m in messages if "burst" in m["text"])
    assert ("- Drone strike &lt;@U024BE7LH&gt; { {name}} { { 7*7 }} { % if 1 %}x{ % endif %} "
            "1 &lt; 2 &amp; 3 &gt; 2 (5 articles: Example Wire 1, Example Wire 2, Example "
            "Wire 3) https://example.org/drone-1") in text
    assert "<@U024BE7LH>" not in text and "script" not in text
    assert "newsroom" not in text  # the block did not substitute its {{name}} into it


def test_failing_source_delivers_its_own_alert(alerts_setup):
    _, _, _, messages = alerts_setup
    failed = [m for m in messages if "source wire-archive failed" in m["text"]]
    assert len(failed) == 1, messages
    assert "file not found" in failed[0]["text"]


def test_quiet_topics_deliver_nothing(alerts_setup):
    _, _, _, messages = alerts_setup
    # the two messages are the burst and the failed source: no other topic (terrorism had
    # days to watch, its rule is "burst"; every other topic was quiet)
    assert len(messages) == 2
    assert sorted(m["text"].split("\n")[0] for m in messages) == [
        "*topicwatch: Drones and unmanned systems, burst*",
        "*topicwatch: source wire-archive failed*"]


def test_summary_and_its_artifact_list_what_was_alerted_and_why(alerts_setup, prefect_server):
    root, _, _, _ = alerts_setup
    with prefect_server.client() as client:
        artifacts = client.post("/artifacts/filter", json={
            "artifacts": {"key": {"any_": ["topic-report-summary"]}}}).raise_for_status().json()
    assert any("## Alerts" in a["data"] and "Drones and unmanned systems: burst on 5 Aug 2022"
               in a["data"] for a in artifacts)
    summary = (root / "reports" / RUN_DATE.isoformat() / "summary.md").read_text()
    section = summary.split("## Alerts", 1)[1].split("## ", 1)[0]
    assert "2 alerts of 5 Aug 2022 sent as Prefect events" in section
    assert "held back" not in section
    assert ("- Drones and unmanned systems: burst on 5 Aug 2022: 18 articles, usually 0.4; "
            'rule alert = "burst" \\(topicwatch.topic.burst\\).') in section
    assert "- source wire-archive failed:" in section and "file not found" in section


def test_second_run_of_the_day_delivers_nothing_new(alerts_setup, prefect_server, receiver):
    root, _, _, _ = alerts_setup
    summary = root / "reports" / RUN_DATE.isoformat() / "summary.md"
    first = summary.read_text()
    before = len(receiver.messages)
    started = datetime.now(UTC)
    _topicwatch(prefect_server, root, "run", "--run-date", RUN_DATE.isoformat(),
                "--sources", str(root / "sources.toml"),
                "--taxonomy", str(REPO / "seeds" / "taxonomy.toml"),
                "--data-dir", "data", "--reports-dir", "reports", "--themes", "3")
    assert _events(prefect_server, started) == []
    time.sleep(5)  # an action would have been delivered in this time
    assert len(receiver.messages) == before
    # the report says what the day alerted, as the first run's did
    assert summary.read_text() == first
    state = json.loads((root / "data" / "alerts" / "state.json").read_text())
    assert state["sent"] == {"burst:drones:2022-08-05:burst": "2022-08-05",
                             "source:wire-archive:failed:2022-08-05": "2022-08-05"}


def test_event_feed_shows_the_events(alerts_setup, prefect_server, receiver, tmp_path):
    """The UI's event feed, filtered to topicwatch events (the feed's own ?events= query);
    kept with the delivered messages in $UI_SCREENSHOTS for a person to look at."""
    shot = screenshot(f"{prefect_server.url}/events?events=topicwatch.*",
                      tmp_path / "alerts-event-feed.png", tmp=tmp_path, size="1400,1100")
    keep_screenshot(shot)
    messages = tmp_path / "alerts-webhook-messages.json"
    messages.write_text(json.dumps(receiver.messages, indent=1, ensure_ascii=False))
    keep_screenshot(messages)


def test_alerts_test_sends_one_sample_message(alerts_setup, prefect_server, receiver):
    root, _, _, _ = alerts_setup
    before = len(receiver.messages)
    out = _topicwatch(prefect_server, root, "alerts", "test")
    assert out.startswith("sent: topicwatch: Air and missile defence (test), burst")
    [message] = receiver.wait_for(before + 1)[before:]
    assert message["text"].startswith("*topicwatch: Air and missile defence (test), burst*\n")
    assert "topicwatch test message" in message["text"]
    assert "https://example.org/topicwatch-test" in message["text"]
