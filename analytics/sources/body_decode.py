"""An HTTP body's Content-Encoding, decoded as it arrives, capped, and forgiving.

What feedparser and browsers do with a body that is not in its declared encoding (a
server that says gzip and sends plain XML): read it as sent. ``BodyDecoder`` keeps the
raw bytes (capped like the decoded ones) next to the decoded ones, so when decoding
fails the body is still there, with a warning naming the encoding:

- the stream never started (no gzip magic, no zlib header, no valid raw deflate): the
  body as sent;
- the stream started and broke later (damaged data, a wrong checksum, cut short): what
  decoded before the break, since the raw bytes are compressed data no parser reads.

The cap holds on both: decoded output is inflated no further than ``cap`` + 1 bytes
(``max_length``), so a gzip bomb costs ``cap`` bytes at most, however it is chunked.
Codings other than gzip and deflate are left as they are, as httpx does.
"""

from __future__ import annotations

import zlib

_GZIP = 16 + zlib.MAX_WBITS
_SLICE = 16 * 1024  # inflated per call: a fault loses at most one slice's output
_TRAILER = 8  # gzip's CRC32 + size, held back so a checksum fault loses no data


class BodyTooLarge(Exception):
    """The body, raw or decoded, passed the cap."""


class _Broken(Exception):
    def __init__(self, reason: str, started: bool) -> None:
        super().__init__(reason)
        self.started = started


class _Inflater:
    """One gzip or deflate stage. Deflate is tried zlib-wrapped, then raw (RFC 1950 or
    1951: servers send both); raw deflate has no header to prove the stream started, so
    any fault in it means "not deflate"."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._wbits = _GZIP if coding != "deflate" else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._started = False  # produced output under a checked header
        self._seen: list[bytes] = []  # input before that, to retry as raw deflate
        self._held = b""

    def decode(self, data: bytes, room: int, *, final: bool = False) -> bytes:
        data = self._held + data
        cut = len(data) if final else max(0, len(data) - _TRAILER)
        data, self._held = data[:cut], data[cut:]
        out = bytearray()
        for i in range(0, len(data), _SLICE):
            out += self._inflate(data[i:i + _SLICE], room - len(out))
        if final and not self._d.eof and (out or self._started or data):
            raise _Broken(f"{self.coding} stream cut short", self._started)
        return bytes(out)

    def _inflate(self, piece: bytes, room: int) -> bytes:
        if self._wbits == zlib.MAX_WBITS and not self._started:
            self._seen.append(piece)
        try:
            out = self._d.decompress(piece, room + 1)
        except zlib.error as exc:
            if self._wbits == zlib.MAX_WBITS and not self._started:
                self._wbits = -zlib.MAX_WBITS
                self._d = zlib.decompressobj(self._wbits)
                seen, self._seen = b"".join(self._seen), []
                return self._inflate(seen, room)
            raise _Broken(str(exc), self._started) from exc
        if len(out) > room:
            raise BodyTooLarge(f"decoded body exceeds {room} bytes")
        if out and self._wbits != -zlib.MAX_WBITS:
            self._started, self._seen = True, []
        return out


class BodyDecoder:
    """Feed the raw chunks, then ``finish()`` for (body, warning or None). Raises
    ``BodyTooLarge`` as soon as raw or decoded bytes pass ``cap``."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        self._stages = [_Inflater("gzip" if c == "x-gzip" else c) for c in reversed(codings)
                        if c in ("gzip", "x-gzip", "deflate")]
        self._names = ", ".join(s.coding for s in reversed(self._stages))
        self._cap = cap
        self._raw: list[bytes] = []
        self._raw_size = 0
        self._out: list[bytes] = []
        self._size = 0
        self._fault: _Broken | None = None

    def feed(self, chunk: bytes) -> None:
        self._raw_size += len(chunk)
        if self._raw_size > self._cap:
            raise BodyTooLarge(f"body exceeds {self._cap} bytes")
        self._raw.append(chunk)  # kept: the body as sent if decoding fails
        if self._stages and self._fault is None:
            self._decode(chunk, final=False)

    def finish(self) -> tuple[bytes, str | None]:
        if not self._stages:
            return b"".join(self._raw), None
        if self._fault is None:
            self._decode(b"", final=True)
        fault = self._fault
        if fault is None:
            return b"".join(self._out), None
        if fault.started:
            return b"".join(self._out), (
                f"{self._names} body damaged ({fault}): read the {self._size} bytes "
                "decoded before the fault")
        return b"".join(self._raw), (
            f"body is not {self._names} as its Content-Encoding says ({fault}): read as sent")

    def _decode(self, data: bytes, *, final: bool) -> None:
        try:
            for stage in self._stages:
                data = stage.decode(data, self._cap - self._size, final=final)
        except _Broken as exc:
            self._fault = exc
            return
        except BodyTooLarge:
            raise BodyTooLarge(f"decoded body exceeds {self._cap} bytes") from None
        self._size += len(data)
        self._out.append(data)
