"""HttpFetcher against a real loopback server: retries, timeouts, caps, redirects, SSRF."""

from __future__ import annotations

import datetime as dt
import gzip
import random
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from analytics.sources.http_fetch import (
    USER_AGENT,
    FetchConfig,
    HttpFetcher,
    retry_after_seconds,
)
from tests.helpers import require_module
from tests.loopback_server import LoopbackServer, Recorded, Reply

LOOPBACK_ONLY = ("127.0.0.1/32",)


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


def fetcher(**overrides) -> tuple[HttpFetcher, list[float]]:
    """A fetcher with small limits; its sleeps are recorded instead of slept."""
    settings = {
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "total_timeout": 5.0,
        "max_bytes": 64 * 1024,
        "max_attempts": 3,
        "backoff_base": 0.1,
        "allowed_networks": LOOPBACK_ONLY,
    }
    sleeps: list[float] = []
    config = FetchConfig(**{**settings, **overrides})
    return HttpFetcher(config, sleep=sleeps.append, rng=random.Random(0)), sleeps


def test_transient_5xx_is_retried_with_backoff_until_success(server: LoopbackServer) -> None:
    server.script("/flaky", 500, 500, Reply(200, b"<rss/>"))
    f, sleeps = fetcher()
    result = f.get(server.url("/flaky"))
    assert result.ok and result.status == 200 and result.content == b"<rss/>"
    assert result.attempts == 3
    assert len(server.hits("/flaky")) == 3
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2  # exponential, jittered


def test_persistent_5xx_gives_up_with_an_error_value(server: LoopbackServer) -> None:
    server.script("/down", 503)
    f, sleeps = fetcher()
    result = f.get(server.url("/down"))
    assert not result.ok and result.status == 503 and result.attempts == 3
    assert server.url("/down") in result.error and "HTTP 503" in result.error
    assert len(sleeps) == 2


def test_404_is_not_retried(server: LoopbackServer) -> None:
    server.script("/gone", 404)
    f, sleeps = fetcher()
    result = f.get(server.url("/gone"))
    assert result.status == 404 and result.attempts == 1 and "HTTP 404" in result.error
    assert len(server.hits("/gone")) == 1 and sleeps == []


def test_429_honours_retry_after_up_to_the_cap(server: LoopbackServer) -> None:
    server.script("/busy", Reply(429, headers={"Retry-After": "7"}),
                  Reply(429, headers={"Retry-After": "3600"}), Reply(200, b"ok"))
    f, sleeps = fetcher(retry_after_max=30.0)
    result = f.get(server.url("/busy"))
    assert result.ok and result.attempts == 3
    assert sleeps == [7.0, 30.0]


@pytest.mark.timeout(10)
def test_hanging_server_times_out_in_bounded_time(server: LoopbackServer) -> None:
    server.script("/hang", Reply(200, b"late", delay=5.0))
    f, _ = fetcher(read_timeout=0.3, max_attempts=2)
    start = time.monotonic()
    result = f.get(server.url("/hang"))
    assert time.monotonic() - start < 3.0
    assert not result.ok and "timed out" in result.error and result.attempts == 2


def test_etag_and_last_modified_give_not_modified(server: LoopbackServer) -> None:
    def conditional(request: Recorded) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, b"<rss>v1</rss>", headers={
            "ETag": '"v1"', "Last-Modified": "Wed, 04 Jun 2025 10:00:00 GMT"})

    server.route("/feed", conditional)
    f, _ = fetcher()
    first = f.get(server.url("/feed"))
    assert first.ok and not first.not_modified and first.etag == '"v1"'
    second = f.get(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert second.ok and second.not_modified and second.status == 304
    assert second.content == b"" and second.etag == '"v1"'
    sent = server.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 04 Jun 2025 10:00:00 GMT"


def test_user_agent_is_descriptive(server: LoopbackServer) -> None:
    server.script("/ua", Reply(200, b"x"))
    f, _ = fetcher()
    f.get(server.url("/ua"))
    assert server.hits("/ua")[0].headers["user-agent"] == USER_AGENT


def test_two_redirects_are_followed(server: LoopbackServer) -> None:
    server.script("/r1", Reply(301, headers={"Location": "/r2"}))
    server.script("/r2", Reply(302, headers={"Location": server.url("/final")}))
    server.script("/final", Reply(200, b"done"))
    f, _ = fetcher()
    result = f.get(server.url("/r1"))
    assert result.ok and result.content == b"done" and result.final_url == server.url("/final")


def test_redirect_loop_stops_after_two_redirects(server: LoopbackServer) -> None:
    server.script("/loop", Reply(302, headers={"Location": "/loop"}))
    f, _ = fetcher()
    result = f.get(server.url("/loop"))
    assert not result.ok and "more than 2 redirects" in result.error
    assert len(server.hits("/loop")) == 3  # the request and two redirects, no more
    assert result.attempts == 1


@pytest.mark.parametrize(
    "target",
    ["http://10.255.255.1/secret", "http://169.254.169.254/latest/meta-data/",
     "http://[::1]:9/x", "http://0.0.0.0:9/x", "http://192.168.1.1/"],
)
def test_redirect_to_a_private_address_is_refused(server: LoopbackServer, target: str) -> None:
    server.script("/jump", Reply(302, headers={"Location": target}))
    f, _ = fetcher(allow_private=False)
    result = f.get(server.url("/jump"))
    assert not result.ok and "refused" in result.error and result.attempts == 1
    assert result.final_url == target
    assert len(server.requests) == 1


def test_guard_refuses_loopback_and_private_hosts_before_connecting(
    server: LoopbackServer,
) -> None:
    server.script("/x", Reply(200, b"x"))
    f, _ = fetcher(allow_private=False, allowed_networks=())
    for url in (server.url("/x"), "http://10.255.255.1/", "http://localhost:9/"):
        result = f.get(url)
        assert not result.ok and "non-public address" in result.error, url
    assert server.requests == []


def test_guard_checks_resolved_addresses_of_names() -> None:
    def resolve(host, port, **kwargs):  # DNS for a name that points inside the network
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    f = HttpFetcher(FetchConfig(), sleep=lambda s: None, resolve=resolve)
    result = f.get("http://intranet.example/feed")
    assert "intranet.example resolves to non-public address 10.0.0.5" in result.error


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/",
            "javascript:alert(1)", "/relative/path"]
)
def test_only_http_and_https(url: str) -> None:
    f, _ = fetcher(allow_private=True)
    result = f.get(url)
    assert not result.ok and "not allowed" in result.error and result.status is None


@pytest.mark.timeout(20)
def test_oversized_streamed_body_is_cut_off(server: LoopbackServer) -> None:
    total = 200 * 2**20
    server.script("/big", Reply(200, stream_bytes=total))
    f, _ = fetcher()
    result = f.get(server.url("/big"))
    assert not result.ok and "too large" in result.error and result.content == b""
    assert result.attempts == 1
    time.sleep(0.2)
    assert server.sent_bytes.get("/big", 0) < total // 4  # the server was stopped early


def test_declared_oversize_is_refused_from_the_headers(server: LoopbackServer) -> None:
    server.script("/declared", Reply(200, b"x" * (100 * 1024)))
    f, _ = fetcher()
    result = f.get(server.url("/declared"))
    assert not result.ok and "Content-Length" in result.error


def test_connection_refused_is_transient_and_retried() -> None:
    with socket.socket() as s:  # a free port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f, sleeps = fetcher()
    result = f.get(f"http://127.0.0.1:{port}/")
    assert not result.ok and "connection failed" in result.error
    assert result.attempts == 3 and len(sleeps) == 2


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 04 Jun 2025 10:01:00 GMT", now=1749031200.0) == 60.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


# Issue 16, case 8: a slow server held the run (each trickled byte reset the read timeout,
# and the overall deadline started after the headers).
TRICKLED = Reply(200, b"<rss/>", headers={"X-Padding": "p" * 200}, trickle=1.0)


@pytest.mark.timeout(30)
def test_headers_trickled_a_byte_a_second_end_at_the_deadline(server: LoopbackServer) -> None:
    server.script("/slowloris", TRICKLED)
    f, sleeps = fetcher(read_timeout=3.0, total_timeout=2.0, max_attempts=1)
    result = f.get(server.url("/slowloris"))
    assert not result.ok and "deadline" in result.error and result.attempts == 1
    assert not result.transient  # the flow must not read the source again for it
    assert 0 < server.sent_bytes["/slowloris"] < 40  # still in the status line or headers


@pytest.mark.timeout(30)
def test_the_source_budget_bounds_retries_of_a_trickling_server(
    server: LoopbackServer,
) -> None:
    server.script("/slowloris", TRICKLED)
    f, _ = fetcher(read_timeout=3.0, total_timeout=60.0, max_attempts=5)
    result = f.get(server.url("/slowloris"), deadline=time.monotonic() + 2.0)
    assert not result.ok and "deadline" in result.error and "time budget" in result.error
    assert result.attempts == 1 and not result.transient


def test_retry_after_beyond_the_budget_is_not_waited_for(server: LoopbackServer) -> None:
    server.script("/busy", Reply(429, headers={"Retry-After": "3600"}), Reply(200, b"ok"))
    f, sleeps = fetcher(retry_after_max=7200.0)
    result = f.get(server.url("/busy"), deadline=time.monotonic() + 60.0)
    assert not result.ok and "HTTP 429" in result.error and "time budget" in result.error
    assert sleeps == [] and result.attempts == 1 and not result.transient
    assert len(server.hits("/busy")) == 1


def test_retry_after_within_the_budget_is_honoured(server: LoopbackServer) -> None:
    server.script("/busy", Reply(429, headers={"Retry-After": "7"}), Reply(200, b"ok"))
    f, sleeps = fetcher()
    result = f.get(server.url("/busy"), deadline=time.monotonic() + 60.0)
    assert result.ok and sleeps == [7.0]


# Issue 16, case 9: the guard resolved the name and httpx resolved it again, so a DNS
# server answering a public address first and an inner one next reached the inside.
class RebindingResolver:
    """``socket.getaddrinfo`` for one name: ``first`` on the first lookup, ``then`` on
    every later one (a rebinding DNS server with a zero TTL)."""

    def __init__(self, name: str, first: str, then: str) -> None:
        self.name, self.first, self.then = name, first, then
        self.lookups: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int, *args, **kwargs) -> list:
        assert host == self.name, host
        with self._lock:
            address = self.then if self.lookups else self.first
            self.lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_the_connection_goes_to_the_address_the_guard_checked(server: LoopbackServer) -> None:
    # 127.0.0.1 is exempt here: it plays the public address, 10.255.255.1 the inner one.
    server.script("/feed", Reply(200, b"<rss/>"))
    resolver = RebindingResolver("feeds.rebind.example", "127.0.0.1", "10.255.255.1")
    f = HttpFetcher(FetchConfig(allowed_networks=LOOPBACK_ONLY, max_attempts=2,
                                read_timeout=2.0), sleep=lambda s: None, resolve=resolver)
    result = f.get(server.url("/feed", host="feeds.rebind.example"))
    assert result.ok and result.content == b"<rss/>", result.error
    assert resolver.lookups == ["127.0.0.1"]  # resolved once, by the guard
    assert server.hits("/feed")[0].headers["host"] == f"feeds.rebind.example:{server.port}"


def test_a_rebound_name_is_refused_on_the_next_connection(server: LoopbackServer) -> None:
    server.script("/feed", Reply(200, b"<rss/>"))
    resolver = RebindingResolver("feeds.rebind.example", "127.0.0.1", "10.255.255.1")
    f = HttpFetcher(FetchConfig(allowed_networks=LOOPBACK_ONLY), sleep=lambda s: None,
                    resolve=resolver)
    url = server.url("/feed", host="feeds.rebind.example")
    assert f.get(url).ok
    second = f.get(url)  # the server closed the connection (HTTP/1.0): a new lookup
    assert not second.ok and "non-public address 10.255.255.1" in second.error
    assert len(server.hits("/feed")) == 1


def _certificate(tmp_path: Path, name: str) -> tuple[str, str]:
    require_module("cryptography", "cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_to_the_checked_address_keeps_sni_and_host(tmp_path: Path) -> None:
    name = "feeds.rebind.example"
    cert, key = _certificate(tmp_path, name)
    with LoopbackServer(tls=(cert, key)) as server:
        server.script("/feed", Reply(200, b"<rss/>"))
        resolver = RebindingResolver(name, "127.0.0.1", "10.255.255.1")
        f = HttpFetcher(FetchConfig(allowed_networks=LOOPBACK_ONLY, max_attempts=1),
                        resolve=resolver, verify=ssl.create_default_context(cafile=cert))
        result = f.get(server.url("/feed", host=name))
        assert result.ok and result.content == b"<rss/>", result.error
        assert server.server_names == [name]  # SNI: the name, not the address
        assert server.hits("/feed")[0].headers["host"] == f"{name}:{server.port}"
        assert resolver.lookups == ["127.0.0.1"]


def test_a_gzip_bomb_is_cut_off_at_the_cap_decoded(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20))  # 64 MiB in about 64 KB
    server.script("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    f, _ = fetcher(max_bytes=2**20)
    result = f.get(server.url("/bomb"))
    assert not result.ok and result.content == b"" and result.attempts == 1
    assert result.error == f"{server.url('/bomb')}: too large: decoded body exceeds " \
                           f"{2**20} bytes"


def test_a_body_not_in_its_content_encoding_comes_back_as_sent(server: LoopbackServer) -> None:
    server.script("/plain", Reply(200, b"<rss/>", {"Content-Encoding": "gzip"}))
    cut = gzip.compress(b"<rss>" + bytes(range(256)) * 400 + b"</rss>")
    server.script("/cut", Reply(200, cut[:len(cut) // 2], {"Content-Encoding": "gzip"}))
    f, _ = fetcher()
    plain = f.get(server.url("/plain"))
    assert plain.ok and plain.content == b"<rss/>"
    assert plain.warning == (f"{server.url('/plain')}: body is not gzip as its Content-"
                             "Encoding says (Error -3 while decompressing data: incorrect "
                             "header check): read as sent")
    damaged = f.get(server.url("/cut"))  # a stream cut short keeps what decoded
    assert damaged.ok and damaged.content.startswith(b"<rss>\x00\x01")
    assert 0 < len(damaged.content) < 5 + 256 * 400
    assert "gzip body damaged (gzip stream cut short)" in damaged.warning
    assert server.hits("/plain")[0].headers["accept-encoding"] == "gzip, deflate"
