"""A real HTTP server on 127.0.0.1 (port 0) with scripted replies per path.

The local twin of the web for fetcher tests: a path gets a sequence of replies (the last
one repeats) or a function of the request; every request is recorded, and so are the
bytes a streamed body managed to send before the client hung up. ``tls=(cert, key)``
serves HTTPS and records the name each client asked for in its TLS hello (SNI).
"""

from __future__ import annotations

import contextlib
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar


@dataclass(frozen=True)
class Reply:
    """``delay``: seconds before answering (a hang); ``stream_bytes``: a body of that many
    bytes sent in chunks without Content-Length (for size caps); ``trickle``: seconds
    between single bytes of the status line, headers and body (a slowloris server)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream_bytes: int = 0
    trickle: float = 0.0


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]


Route = list[Reply] | Callable[[Recorded], Reply]
CHUNK = 64 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()})
        reply = self.server.owner.reply_for(request)
        if reply.delay and self.server.owner.stopping.wait(reply.delay):
            return
        if reply.trickle:
            self._trickle(reply)
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if not reply.stream_bytes:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.stream_bytes:
                self._stream(reply.stream_bytes)
            else:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout or size cap): that is what the test wants

    def _trickle(self, reply: Reply) -> None:
        head = [f"HTTP/1.0 {reply.status} Trickling", f"Content-Length: {len(reply.body)}"]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                self.server.owner.record_sent(self.path, i + 1)
                if self.server.owner.stopping.wait(reply.trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stream(self, total: int) -> None:
        sent = 0
        while sent < total:
            n = min(CHUNK, total - sent)
            self.wfile.write(b"x" * n)
            sent += n
            self.server.owner.record_sent(self.path, sent)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer


class LoopbackServer:
    """Use as a context manager; ``url(path)`` gives the address to fetch."""

    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        self._routes: dict[str, Route] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.sent_bytes: dict[str, int] = {}
        self.stopping = threading.Event()
        self.server_names: list[str | None] = []  # SNI of each TLS handshake
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def script(self, path: str, *replies: Reply | int) -> None:
        """Replies for ``path`` in order (an int is a bare status); the last repeats."""
        self._routes[path] = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def route(self, path: str, handler: Callable[[Recorded], Reply]) -> None:
        self._routes[path] = handler

    def hits(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def reply_for(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path)
            if route is None:
                return Reply(404, b"no such path")
            if callable(route):
                return route(request)
            n = self._served.get(request.path, 0)
            self._served[request.path] = n + 1
            return route[min(n, len(route) - 1)]

    def record_sent(self, path: str, sent: int) -> None:
        with self._lock:
            self.sent_bytes[path] = sent

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


@contextlib.contextmanager
def serving(server: ServerT) -> Iterator[ServerT]:
    """Serve ``server`` from a thread for the block, then shut it down and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
