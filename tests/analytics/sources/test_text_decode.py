"""decode_bytes: BOMs, declared charsets, detection, lossy fallback, mojibake repair."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.sources.parse.text_decode import decode_bytes, sniff_declared

TEXT = "Caf\u00e9 \u201cna\u00efve\u201d \u2013 \u20ac5"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
     (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le")],
)
def test_bom_wins_over_a_wrong_declaration(bom: bytes, codec: str) -> None:
    decoded = decode_bytes(bom + TEXT.encode(codec), declared="iso-8859-1")
    assert (decoded.text, decoded.encoding, decoded.replacements) == (TEXT, codec, 0)


def test_declared_charset_used_when_it_decodes_cleanly() -> None:
    text = "\u041d\u043e\u0432\u043e\u0441\u0442\u0438"
    assert decode_bytes(text.encode("koi8-r"), declared="koi8-r").text == text


def test_latin1_label_reads_as_windows_1252() -> None:
    decoded = decode_bytes("\u201cok\u201d".encode("cp1252"), declared="ISO-8859-1")
    assert decoded.text == "\u201cok\u201d" and decoded.encoding == "cp1252"


@pytest.mark.parametrize("declared", ["utf-8", None, "no-such-charset", "utf-16"])
def test_wrong_or_missing_declaration_falls_back_to_detection(declared: str | None) -> None:
    data = ("Not\u00edcias: a elei\u00e7\u00e3o ser\u00e1 dif\u00edcil, " * 5).encode("latin-1")
    decoded = decode_bytes(data, declared=declared)
    assert decoded.text.startswith("Not\u00edcias: a elei\u00e7\u00e3o") and not decoded.replacements


def test_invalid_bytes_in_utf8_are_replaced_and_counted() -> None:
    decoded = decode_bytes("Z\u00fcrich ".encode() + b"\xff\xfe ok \xc3")
    assert decoded.text == "Z\u00fcrich \ufffd\ufffd ok \ufffd"
    assert decoded.replacements == 3 and decoded.encoding == "utf-8"


def test_double_encoded_utf8_is_repaired_but_correct_text_is_not_touched() -> None:
    for wrong in ("latin-1", "cp1252"):
        text = TEXT if wrong == "latin-1" else "Caf\u00e9 \u201cna\u00efve \u2013 \u20ac5"
        repaired = decode_bytes(text.encode("utf-8").decode(wrong).encode("utf-8"))
        assert repaired.text == text and repaired.repaired
    for text in (TEXT, "Gr\u00f6\u00dfe \u00c4nderung", "plain ascii", "\u00c3 alone"):
        assert decode_bytes(text.encode()).text == text


def test_sniff_declared() -> None:
    assert sniff_declared(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss/>') == "ISO-8859-1"
    assert sniff_declared(b'<html><head><meta charset="windows-1252">') == "windows-1252"
    assert sniff_declared(
        b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">') == "koi8-r"
    assert sniff_declared(b"<rss/>") is None


def test_arbitrary_bytes_always_give_valid_text_that_survives_parquet(tmp_path: Path) -> None:
    rng = random.Random(7)
    blobs = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(200)]
    blobs += [b"", b"\xef\xbb\xbf", b"\xff\xfe\x00", b"\x00" * 10]
    texts = []
    for blob in blobs:
        decoded = decode_bytes(blob, declared=rng.choice([None, "utf-8", "latin-1", "utf-16"]))
        decoded.text.encode("utf-8")  # strict: raises on lone surrogates
        assert decoded.replacements == decoded.text.count("\ufffd")
        texts.append(decoded.text)
    frame = pl.DataFrame({"text": texts})
    frame.write_parquet(tmp_path / "t.parquet")
    assert_frame_equal(pl.read_parquet(tmp_path / "t.parquet"), frame)


EAST_ASIAN = {
    "big5": "北約國防部長會議在布魯塞爾舉行，各國同意提高國防開支至國內生產總值的百分之五。",
    "euc_kr": "북대서양조약기구 국방장관 회의가 브뤼셀에서 열렸으며 회원국들은 국방비를 늘리기로 합의했다.",
    "gb2312": "北约国防部长会议在布鲁塞尔举行，各国同意将国防开支提高到国内生产总值的百分之五。",
    "shift_jis": "北大西洋条約機構の国防相会合がブリュッセルで開かれ、加盟国は国防費の引き上げで合意した。",
}


@pytest.mark.parametrize("encoding", sorted(EAST_ASIAN))
def test_undeclared_east_asian_text_is_detected_not_replaced(encoding):
    """Issue 16, case 12: detection was skipped whenever the lossy UTF-8 decode held any
    valid multi-byte character, and these came out with dozens of U+FFFD."""
    text = EAST_ASIAN[encoding]
    decoded = decode_bytes(text.encode(encoding))
    assert decoded.replacements == 0 and decoded.text == text


def test_utf8_with_a_few_bad_bytes_stays_utf8():
    text = "Київ: ППО збила ракети над містом. " * 4
    raw = text.encode()
    decoded = decode_bytes(raw[:40] + b"\xff" + raw[40:])
    assert decoded.encoding == "utf-8" and decoded.replacements == 1
    assert decoded.text.replace("\ufffd", "") == text


@pytest.mark.parametrize(("label", "codec"), [("cp037", "cp037"), ("ebcdic-cp-ch", "cp500"),
                                              ("cp875", "cp875"), ("unknown-ebcdic", "cp037")])
def test_ebcdic_xml_is_read_from_its_declaration(label: str, codec: str) -> None:
    """XML 1.0 appendix F: 4C 6F A7 94 is "<?xm" in EBCDIC (feedparser's test suite)."""
    text = f'<?xml version="1.0" encoding="{label}"?><feed><title>Caf\u00e9 news</title></feed>'
    decoded = decode_bytes(text.encode(codec, errors="replace"))
    assert decoded.encoding == codec and "<title>Caf" in decoded.text
    assert decoded.text.startswith('<?xml version="1.0"')
