"""Bytes -> str for every parser: BOM, declared charset, detection, then lossy UTF-8.

The result is always a valid Unicode string (no surrogates), so it survives a polars /
Parquet round trip; U+FFFD replacement characters are counted so callers can report them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

REPLACEMENT = "\ufffd"

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers (WHATWG) read these labels as windows-1252; so do we: servers mislabel cp1252.
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "cp1252"}
# cp1252's characters for bytes 0x80-0x9F, back to those bytes (the other bytes are latin-1).
_CP1252_TO_BYTE = {
    ord(bytes([b]).decode("cp1252")): b
    for b in range(0x80, 0xA0)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
# A UTF-8 lead byte (C2-F4) then a continuation byte (80-BF), both read as cp1252: the
# mark of double encoding. Checked first because translating a large text is slow.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u00a0-\u00bf"
                       + "".join(sorted(chr(c) for c in _CP1252_TO_BYTE)) + "]")
_SLOW_REPAIR_LIMIT = 1_000_000  # characters; str.translate costs ~0.1 us per character
_EAST_ASIAN = frozenset({  # codecs.lookup() names
    "big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jp", "euc_kr",
    "gb18030", "gb2312", "gbk", "johab", "shift_jis", "shift_jis_2004",
})
# XML 1.0 appendix F: without a byte-order mark, the first bytes of "<?xml" (or of any
# "<" that starts a document) give the width and byte order of UTF-16 and UTF-32.
_XML_START = (
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00", "utf-16-be"),
    (b"\x3c\x00", "utf-16-le"),
)
# "<?xm" in EBCDIC (appendix F again): the declaration, read as cp037 (its characters are
# the same in every EBCDIC code page), names the code page.
_EBCDIC_START = b"\x4c\x6f\xa7\x94"
_EBCDIC_DECL = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


@dataclass(frozen=True)
class Decoded:
    """``text``; the ``encoding`` used; ``replacements``: U+FFFD count in ``text``."""

    text: str
    encoding: str
    replacements: int
    repaired: bool = False  # double-encoded UTF-8 ("CafÃ©") was undone


def sniff_declared(data: bytes) -> str | None:
    """The charset an XML declaration or HTML ``<meta>`` declares in the first 4 KB."""
    head = data[:4096]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def _repair_double_utf8(text: str) -> str | None:
    """Undo UTF-8 bytes that were decoded as cp1252/latin-1 and re-encoded ("CafÃ©").

    Only when the *whole* text maps back to valid UTF-8: legitimate accented text almost
    never does, so this does not mangle correct input.
    """
    if text.isascii() or not _MOJIBAKE.search(text):
        return None
    try:  # the C codec first: fast, and it fails at the first character it cannot map
        fixed = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        if len(text) > _SLOW_REPAIR_LIMIT:
            return None
        try:  # bytes cp1252 leaves undefined (0x81, 0x8D, ...) were read as latin-1
            fixed = text.translate(_CP1252_TO_BYTE).encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
    return fixed if fixed != text else None


def repair_double_utf8(text: str) -> str:
    """``text`` with double-encoded UTF-8 undone where the whole of it maps back (one value
    of a table read line by line); else ``text`` as it is."""
    return _repair_double_utf8(text) or text


def _done(text: str, encoding: str) -> Decoded:
    repaired = False
    if encoding.startswith("utf-8") and (fixed := _repair_double_utf8(text)) is not None:
        text, repaired = fixed, True
    return Decoded(text, encoding, text.count(REPLACEMENT), repaired)


def _detect(data: bytes) -> str | None:
    """charset-normalizer's guess, preferring cp1252 among equally clean candidates.

    Its language coherence score ranks cp1257 above cp1252 for undeclared Portuguese
    Latin-1 text (UOL feed); the web's default single-byte charset is the better tie-break.
    """
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    tied = [m for m in matches if m.chaos <= matches[0].chaos + 0.01]
    names = ["cp1252" for m in tied if "cp1252" in m.could_be_from_charset]
    names += [m.encoding for m in matches]
    for name in names:
        if (codec := _codec_name(name)) is not None:
            try:
                data.decode(codec)
            except UnicodeError:
                continue
            return codec
    return None


def decode_bytes(data: bytes, *, declared: str | None = None) -> Decoded:
    """Decode ``data``: BOM, else ``declared`` if it decodes cleanly, else detection.

    Falls back to UTF-8 with replacement characters; never raises on bad bytes.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _done(data[len(bom) :].decode(encoding, errors="replace"), encoding)
    for start, encoding in _XML_START:
        if data.startswith(start):
            try:
                return _done(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                return _done(data.decode(encoding, errors="replace"), encoding)
    if data.startswith(_EBCDIC_START):
        return _ebcdic(data)
    candidates = []
    name = _codec_name(declared)
    # A UTF-16/32 label on bytes without a BOM was read as ASCII, so the label is wrong.
    if name is not None and not name.startswith(("utf-16", "utf-32")):
        candidates.append("cp1252" if name in _AS_CP1252 else name)
        candidates.append(name)
    for encoding in dict.fromkeys(candidates):
        try:
            return _done(data.decode(encoding), encoding)
        except (UnicodeError, LookupError):
            continue
    try:
        return _done(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        lossy = data.decode("utf-8", errors="replace")
    # Valid multi-byte sequences beside the bad bytes mean UTF-8 with some corruption:
    # a single-byte guess would garble every correct character to save a few bad ones. A
    # multi-byte East Asian encoding that decodes cleanly is taken all the same when the
    # lossy UTF-8 holds more replacements than valid characters: its "valid" ones are
    # byte pairs of that encoding that happen to form UTF-8.
    name = _detect(data)
    if name is not None and (not _has_valid_multibyte(lossy)
                             or (name in _EAST_ASIAN and _mostly_replaced(lossy))):
        return _done(data.decode(name), name)
    return _done(lossy, "utf-8")


def _ebcdic(data: bytes) -> Decoded:
    label = _EBCDIC_DECL.match(data[:512].decode("cp037"))
    name = _codec_name(label.group(1)) if label else None
    try:
        return _done(data.decode(name or "cp037"), name or "cp037")
    except (UnicodeError, LookupError):  # a label naming no EBCDIC code page
        return _done(data.decode("cp037"), "cp037")


def _has_valid_multibyte(text: str) -> bool:
    return any(ord(c) > 127 and c != REPLACEMENT for c in text)


def _mostly_replaced(text: str) -> bool:
    valid = sum(1 for c in text if ord(c) > 127 and c != REPLACEMENT)
    return text.count(REPLACEMENT) > valid
