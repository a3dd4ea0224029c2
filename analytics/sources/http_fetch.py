"""HTTP GET for feeds and pages: bounded, retried, SSRF-guarded; failures are values.

``Fetcher`` is the interface the flows depend on; ``HttpFetcher`` is the real one (httpx).
Network faults never raise: they come back as ``FetchResult.error`` naming URL and reason.

Two things httpx does not do are done in its network backend (``_GuardedBackend``): a
host name is resolved once, checked by the private-address guard, and the connection goes
to the checked address (no second lookup a rebinding DNS server could answer otherwise;
TLS SNI and the Host header still carry the name); and every socket operation is held to
the attempt's wall-clock deadline, so headers or a body trickled a byte at a time, which
reset httpx's per-read timeout, still end at the deadline.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import ipaddress
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from analytics.sources.body_decode import BodyDecoder, BodyTooLarge

USER_AGENT = "topicwatch/0.1 (+https://github.com/topicwatch)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/html;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchConfig:
    """Limits for one fetch. ``total_timeout`` is one attempt's wall-clock deadline:
    connect, TLS, headers, every redirect hop and the whole body."""

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
    # Failed on timeouts, connection errors, 429 or 5xx to the end, with time left to try
    # again later; a deadline or an exhausted time budget is not transient (a trickling
    # host must not hold the run once per retry).
    transient: bool = False
    # A body not in its declared Content-Encoding, read as sent (or up to its damage).
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Fetcher(Protocol):
    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        deadline: float | None = None,
    ) -> FetchResult:
        """``deadline``: a ``time.monotonic()`` instant no attempt, retry or wait may pass
        (the source's time budget)."""
        ...


class _Transient(Exception):
    """A failure worth retrying (timeout, connection error, 429, 5xx)."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None,
                 *, deadline: bool = False):
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after
        self.deadline = deadline


class _Refused(Exception):
    """The guard refused the address a host name resolved to (raised while connecting)."""


Resolver = Callable[..., list]
# The wall-clock deadline (time.monotonic) of the attempt running in this thread or task.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "topicwatch_fetch_deadline", default=None)


def _left(timeout: float | None, exc: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left before the deadline; ``exc`` once it passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise exc("deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        # The handshake's reads each get the whole timeout: a watchdog ends a trickled one.
        sock = self._inner.get_extra_info("socket")
        watchdog = threading.Timer(left or 0, _shutdown, (sock,)) if left and sock else None
        if watchdog:
            watchdog.start()
        try:
            return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))
        finally:
            if watchdog:
                watchdog.cancel()

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses ``addresses`` checked."""

    def __init__(self, addresses: Callable[[str, int], list[str]]) -> None:
        self._addresses = addresses

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self._addresses(host, port):
            try:
                stream = super().connect_tcp(address, port, _left(timeout,
                                             httpcore.ConnectTimeout), local_address,
                                             socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next checked address, as create_connection would
                continue
            return _DeadlineStream(stream)
        raise error or httpcore.ConnectError(f"no address for {host}")


class _GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` over ``_GuardedBackend`` (httpx has no backend argument,
    so its pool is rebuilt with the same settings and the backend)."""

    def __init__(self, backend: _GuardedBackend, verify: ssl.SSLContext | bool) -> None:
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


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
    """``Fetcher`` on httpx.Client. ``sleep``, ``resolve`` (``socket.getaddrinfo``'s
    signature: the one lookup of each connection) and ``rng`` are injectable so tests run
    the real retry and guard logic without waiting or touching DNS; ``verify`` is httpx's
    (an ``ssl.SSLContext`` trusting a test certificate); ``transport`` replaces the
    network altogether (and with it the guard's connect-time check: in-memory only)."""

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        resolve: Resolver = socket.getaddrinfo,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.config = config or FetchConfig()
        self._sleep = sleep
        self._resolve = resolve
        self._rng = rng or random.Random()
        self._allowed = [ipaddress.ip_network(n) for n in self.config.allowed_networks]
        if transport is None:
            transport = _GuardedTransport(_GuardedBackend(self._checked_addresses), verify)
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            # Only what BodyDecoder decodes (httpx would add br and zstd when installed).
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT,
                     "Accept-Encoding": ACCEPT_ENCODING},
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
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        deadline: float | None = None,
    ) -> FetchResult:
        """GET ``url`` with retries for transient faults; a 304 gives ``not_modified``.
        Nothing runs past ``deadline`` (monotonic): a retry or a Retry-After wait that
        would is not made."""
        attempts = 0
        while True:
            attempts += 1
            start = time.monotonic()
            if deadline is not None and start >= deadline:
                return FetchResult(url, None, attempts=attempts - 1,
                                   error=f"{url}: time budget spent before the request")
            end = start + self.config.total_timeout
            end = end if deadline is None else min(end, deadline)
            token = _DEADLINE.set(end)
            try:
                return self._attempt(url, etag, last_modified, attempts)
            except _Transient as exc:
                gave_up = f"{url}: {exc} (gave up after {attempts} attempts"
                if exc.deadline and deadline is not None and end >= deadline:
                    return FetchResult(url, exc.status, attempts=attempts,
                                       error=f"{gave_up}: time budget spent)")
                if attempts >= self.config.max_attempts:
                    return FetchResult(url, exc.status, attempts=attempts,
                                       transient=not exc.deadline, error=gave_up + ")")
                delay = self._delay(attempts, exc.retry_after)
                if deadline is not None and time.monotonic() + delay >= deadline:
                    wait = f"Retry-After {exc.retry_after:.0f}s" if exc.retry_after else \
                        f"the next retry in {delay:.1f}s"
                    return FetchResult(url, exc.status, attempts=attempts,
                                       error=f"{gave_up}: {wait} would pass the time budget)")
                self._sleep(delay)
            finally:
                _DEADLINE.reset(token)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.config.retry_after_max)
        delay = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + self._rng.random() / 2)  # jitter: spread retries of many sources

    def refusal(self, url: str) -> str | None:
        """Why the guard refuses ``url`` before any lookup (scheme, no host), else None.
        The addresses are checked when connecting (``_checked_addresses``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme or '(none)'!r} not allowed, only http and https"
        if not parts.hostname:
            return "URL has no host"
        return None

    def _checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``: looked up once, each one checked by
        the guard (``_Refused`` when any is not public, ``_Transient`` when the lookup
        fails). Without the guard the name is looked up the same way, unchecked."""
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            raise _Transient(f"cannot resolve {host}: {exc}") from exc
        addresses = []
        for info in infos:
            address = str(info[4][0]).split("%")[0]
            ip = ipaddress.ip_address(address)
            ip = getattr(ip, "ipv4_mapped", None) or ip
            if not self.config.allow_private and not any(ip in net for net in self._allowed) \
                    and (not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_private):
                raise _Refused(f"refused: {host} resolves to non-public address {ip}")
            addresses.append(address)
        return list(dict.fromkeys(addresses))

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
            except _Refused as exc:
                return FetchResult(url, None, attempts=attempts, error=f"{url}: {exc}",
                                   final_url=current)
            except httpx.TimeoutException as exc:
                deadline = _DEADLINE.get()
                if deadline is not None and time.monotonic() >= deadline - 1e-3:
                    raise _Transient(f"deadline: no complete response within "
                                     f"{self.config.total_timeout:g}s or the time budget "
                                     f"({type(exc).__name__})", deadline=True) from exc
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
        try:
            body, warning = self._read_capped(resp)
        except BodyTooLarge as exc:
            return FetchResult(url, status, error=f"{url}: too large: {exc}", **meta)
        return FetchResult(url, status, content=body, warning=warning and f"{url}: {warning}",
                           **meta)

    def _read_capped(self, resp: httpx.Response) -> tuple[bytes, str | None]:
        """(body, warning) decoded by ``BodyDecoder``; ``BodyTooLarge`` as soon as the raw
        or decoded bytes exceed ``max_bytes`` (the rest is never read)."""
        cap = self.config.max_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"Content-Length {declared} > {cap} bytes")
        decoder = BodyDecoder(resp.headers.get("content-encoding"), cap)
        for chunk in resp.iter_raw():  # decoded by us: httpx's decoder raises, ours falls back
            decoder.feed(chunk)
        return decoder.finish()
