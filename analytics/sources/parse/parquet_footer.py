"""Row group sizes from a Parquet file's footer, read without decoding any data.

The footer (``FileMetaData``) is Thrift's compact protocol; this decodes just enough of it
to know, per row group, its rows and how many bytes its column chunks take once
decompressed, so a reader can refuse a row group before polars allocates it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"PAR1"
MAX_FOOTER_BYTES = 64 << 20  # a footer this large is an attack, not a schema
_MAX_DEPTH = 32  # FileMetaData nests 5 deep; more is a hostile footer
# Bytes polars holds per value besides the value itself (a string view, validity bits).
VALUE_OVERHEAD = 16


class FooterError(ValueError):
    """The footer is missing, truncated or not the Thrift Parquet expects."""


@dataclass(frozen=True)
class RowGroup:
    rows: int
    values: int  # over all column chunks
    uncompressed_bytes: int  # sum of the column chunks' ``total_uncompressed_size``
    # Per top-level column: the sum of its leaf chunks' ``total_uncompressed_size``.
    column_bytes: dict[str, int] = field(default_factory=dict)

    @property
    def decoded_bytes(self) -> int:
        """A lower bound of what the row group takes in memory once read."""
        return self.uncompressed_bytes + VALUE_OVERHEAD * self.values


def footer_length(tail: bytes) -> int:
    """The footer's length from the file's last 8 bytes (length, then ``PAR1``)."""
    if len(tail) != 8 or tail[4:] != MAGIC:
        raise FooterError("not a Parquet file (no PAR1 at its end)")
    (n,) = struct.unpack("<I", tail[:4])
    if n > MAX_FOOTER_BYTES:
        raise FooterError(f"Parquet footer of {n} bytes (over {MAX_FOOTER_BYTES})")
    return n


def row_groups(footer: bytes) -> list[RowGroup]:
    """Each row group of the ``FileMetaData`` in ``footer``, in file order."""
    try:
        meta = _Reader(footer).struct(0)
    except (IndexError, struct.error, RecursionError) as exc:
        raise FooterError(f"damaged Parquet footer ({type(exc).__name__})") from exc
    groups = []
    for rg in meta.get(4, []):  # FileMetaData.row_groups
        chunks = [c.get(3, {}) for c in rg.get(1, [])]  # ColumnChunk.meta_data
        columns: dict[str, int] = {}
        for m in chunks:
            path = m.get(3) or [b""]  # ColumnMetaData.path_in_schema
            name = path[0].decode("utf-8", "replace") if isinstance(path[0], bytes) else ""
            columns[name] = columns.get(name, 0) + int(m.get(6, 0))
        groups.append(RowGroup(
            rows=int(rg.get(3, 0)),  # RowGroup.num_rows
            values=sum(int(m.get(5, 0)) for m in chunks),  # ColumnMetaData.num_values
            uncompressed_bytes=sum(int(m.get(6, 0)) for m in chunks),  # total_uncompressed_size
            column_bytes=columns,
        ))
    return groups


class _Reader:
    """Thrift compact protocol: structs become {field id: value}."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise IndexError("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int, depth: int):
        if kind in (1, 2):  # booleans: the type is the value
            return kind == 1
        if kind == 3:
            return self.byte()
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            self.pos += 8
            return struct.unpack("<d", self.data[self.pos - 8:self.pos])[0]
        if kind == 8:
            n = self.varint()
            if self.pos + n > len(self.data):
                raise IndexError("binary past the footer's end")
            self.pos += n
            return self.data[self.pos - n:self.pos]
        if kind in (9, 10):
            head = self.byte()
            n, elem = head >> 4, head & 0x0F
            if n == 15:
                n = self.varint()
            if n > len(self.data) - self.pos:  # each element takes a byte at least
                raise IndexError("list longer than the footer")
            if elem in (1, 2):  # booleans in a list: one byte each
                return [self.byte() == 1 for _ in range(n)]
            return [self.value(elem, depth + 1) for _ in range(n)]
        if kind == 11:
            n = self.varint()
            if n == 0:
                return {}
            types = self.byte()
            return {self._key(types >> 4, depth): self.value(types & 0x0F, depth + 1)
                    for _ in range(n)}
        if kind == 12:
            return self.struct(depth + 1)
        raise IndexError(f"unknown Thrift type {kind}")

    def _key(self, kind: int, depth: int):
        key = self.value(kind, depth + 1)
        return key if isinstance(key, int | bytes | bool | float) else repr(key)

    def struct(self, depth: int) -> dict:
        if depth > _MAX_DEPTH:
            raise IndexError("footer nested too deeply")
        fields: dict[int, object] = {}
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return fields
            delta, kind = head >> 4, head & 0x0F
            last = last + delta if delta else self.zigzag()
            fields[last] = self.value(kind, depth)
