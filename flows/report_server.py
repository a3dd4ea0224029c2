"""``topicwatch reports serve``: the reports folder over HTTP, read-only, for the links of
the Prefect artifacts (``--reports-url``).

GET and HEAD only; the report's own file kinds only (PDF, PNG, CSV, Parquet, Markdown,
JSON), each with its content type; no path outside the folder (``..``, encoded or not, and
symbolic links leading out are refused); no hidden files (a ``.tmp`` being written). A
folder lists its entries. Binds loopback unless told otherwise: the reports hold article
titles and links, which are not for every network.
"""

from __future__ import annotations

import html
import shutil
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
}


class ReportHandler(BaseHTTPRequestHandler):
    """Serves ``server.root`` (a resolved folder)."""

    server: ReportServer
    server_version = "topicwatch-reports"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _target(self) -> Path | None:
        """The file or folder the request names, None when it is not one to serve."""
        parts = unquote(urlsplit(self.path).path).split("/")
        if any(p.startswith(".") or "\\" in p or "\x00" in p for p in parts if p):
            return None  # "..", "." and hidden names, also when percent-encoded
        target = self.server.root.joinpath(*(p for p in parts if p)).resolve()
        if not target.is_relative_to(self.server.root) or not target.exists():
            return None  # a symbolic link that leads out of the folder, or nothing
        if target.is_file() and target.suffix.lower() not in CONTENT_TYPES:
            return None
        return target

    def _answer(self, *, body: bool) -> None:
        target = self._target()
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        if target.is_dir():
            path = urlsplit(self.path).path
            if not path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = _listing(target, path).encode("utf-8")
            self._headers("text/html; charset=utf-8", len(data))
            if body:
                self.wfile.write(data)
            return
        self._headers(CONTENT_TYPES[target.suffix.lower()], target.stat().st_size)
        if body:
            with target.open("rb") as f:
                shutil.copyfileobj(f, self.wfile)

    def _headers(self, content_type: str, length: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        # A rerun of a date replaces its files: always ask again.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()


def _listing(folder: Path, path: str) -> str:
    """A folder's entries as links: folders first (newest run date first), then files."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    dirs = sorted((p for p in entries if p.is_dir()), reverse=True)
    files = sorted(p for p in entries if p.is_file() and p.suffix.lower() in CONTENT_TYPES)
    items = [f'<li><a href="{quote(p.name)}/">{html.escape(p.name)}/</a></li>' for p in dirs]
    items += [f'<li><a href="{quote(p.name)}">{html.escape(p.name)}</a></li>' for p in files]
    title = html.escape(f"topicwatch reports {unquote(path)}")
    up = '<p><a href="../">..</a></p>' if path != "/" else ""
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"</head><body><h1>{title}</h1>{up}<ul>{''.join(items)}</ul></body></html>\n")


class ReportServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, host: str, port: int) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError("no such folder")
        super().__init__((host, port), ReportHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"
