"""HTTP GET for feeds and pages: bounded, retried, SSRF-guarded; failures are values.

``Fetcher`` is the interface the flows depend on; ``HttpFetcher`` is the real one (httpx).
Network faults never raise: they come back as ``FetchResult.error`` naming URL and reason.
"""

from __future__ import annotations

import email.utils
import ipaddress
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

USER_AGENT = "topicwatch/0.1 (+https://github.com/topicwatch)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/html;q=0.8, */*;q=0.5"
)
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchConfig:
    """Limits for one fetch; ``total_timeout`` bounds one attempt's whole body download."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 2**20
    max_redirects: int = 2
    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    user_agent: str = USER_AGENT
    allow_private: bool = False  # True turns the SSRF guard off (tests, intranet sources)
    allowed_networks: tuple[str, ...] = ()  # CIDRs exempt from the guard, e.g. "127.0.0.1/32"


@dataclass(frozen=True)
class FetchResult:
    """Outcome of ``get``: ``status`` is the last HTTP status (None if none came back)."""

    url: str
    status: int | None
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    attempts: int = 0
    error: str | None = None
    final_url: str | None = None
    content_type: str | None = None
    transient: bool = False  # failed on timeouts, connection errors, 429 or 5xx to the end

    @property
    def ok(self) -> bool:
        return self.error is None


class Fetcher(Protocol):
    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class _Transient(Exception):
    """A failure worth retrying (timeout, connection error, 429, 5xx)."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpFetcher:
    """``Fetcher`` on httpx.Client. ``sleep``, ``resolve`` and ``rng`` are injectable so
    tests run the real retry and guard logic without waiting or touching DNS."""

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        resolve: Callable[..., list] = socket.getaddrinfo,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or FetchConfig()
        self._sleep = sleep
        self._resolve = resolve
        self._rng = rng or random.Random()
        self._allowed = [ipaddress.ip_network(n) for n in self.config.allowed_networks]
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT},
            follow_redirects=False,  # followed by hand: each hop passes the SSRF guard
            trust_env=False,  # no proxy from the environment: the guard checks the real peer
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` with retries for transient faults; a 304 gives ``not_modified``."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._attempt(url, etag, last_modified, attempts)
            except _Transient as exc:
                if attempts >= self.config.max_attempts:
                    return FetchResult(url, exc.status, attempts=attempts, transient=True,
                                       error=f"{url}: {exc} (gave up after {attempts} attempts)")
                self._sleep(self._delay(attempts, exc.retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.config.retry_after_max)
        delay = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + self._rng.random() / 2)  # jitter: spread retries of many sources

    def refusal(self, url: str) -> str | None:
        """Why the guard refuses ``url`` (scheme, or a non-public address), else None."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme or '(none)'!r} not allowed, only http and https"
        host = parts.hostname
        if not host:
            return "URL has no host"
        if self.config.allow_private:
            return None
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            raise _Transient(f"cannot resolve {host}: {exc}") from exc
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            ip = getattr(ip, "ipv4_mapped", None) or ip
            if any(ip in net for net in self._allowed):
                continue
            if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_private:
                return f"refused: {host} resolves to non-public address {ip}"
        return None

    def _attempt(
        self, url: str, etag: str | None, last_modified: str | None, attempts: int
    ) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, status = url, None
        for _hop in range(self.config.max_redirects + 1):
            if reason := self.refusal(current):
                return FetchResult(url, None, attempts=attempts, error=f"{url}: {reason}",
                                   final_url=current)
            try:
                with self._client.stream("GET", current, headers=headers) as resp:
                    status = resp.status_code
                    location = resp.headers.get("location")
                    if status in _REDIRECTS and location:
                        current = urljoin(current, location)
                        continue
                    return self._response(url, current, resp, etag, last_modified, attempts)
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out ({type(exc).__name__})") from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise _Transient(f"connection failed ({type(exc).__name__}: {exc})") from exc
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                return FetchResult(url, status, attempts=attempts, final_url=current,
                                   error=f"{url}: {type(exc).__name__}: {exc}")
        return FetchResult(url, status, attempts=attempts, final_url=current,
                           error=f"{url}: more than {self.config.max_redirects} redirects")

    def _response(
        self,
        url: str,
        current: str,
        resp: httpx.Response,
        etag: str | None,
        last_modified: str | None,
        attempts: int,
    ) -> FetchResult:
        status = resp.status_code
        meta = {
            "etag": resp.headers.get("etag") or etag,
            "last_modified": resp.headers.get("last-modified") or last_modified,
            "attempts": attempts,
            "final_url": current,
            "content_type": resp.headers.get("content-type"),
        }
        if status == 304:
            return FetchResult(url, status, not_modified=True, **meta)
        if status == 429 or status >= 500:
            wait = retry_after_seconds(resp.headers.get("retry-after"))
            raise _Transient(f"HTTP {status}", status, wait)
        if status >= 400:
            return FetchResult(url, status, error=f"{url}: HTTP {status}", **meta)
        body, error = self._read_capped(resp)
        if error:
            return FetchResult(url, status, error=f"{url}: {error}", **meta)
        return FetchResult(url, status, content=body, **meta)

    def _read_capped(self, resp: httpx.Response) -> tuple[bytes, str | None]:
        """The body, or an error as soon as it exceeds ``max_bytes`` (rest never read)."""
        cap = self.config.max_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return b"", f"too large: Content-Length {declared} > {cap} bytes"
        deadline = time.monotonic() + self.config.total_timeout
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > cap:
                return b"", f"too large: body exceeds {cap} bytes"
            if time.monotonic() > deadline:
                raise _Transient(f"timed out: body not complete after {self.config.total_timeout}s")
            chunks.append(chunk)
        return b"".join(chunks), None
