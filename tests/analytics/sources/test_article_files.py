import pytest

from analytics.sources.parse.article_files import (
    ArticleParseError,
    first_sentence,
    parse_article_text,
)


def test_seed_format_with_leading_blanks():
    fields = parse_article_text("  date 2025-06-04 NATO ministers meet. Second sentence.\nMore.")
    assert fields.date == "2025-06-04"
    assert fields.title == "NATO ministers meet."
    assert fields.text.startswith("NATO ministers meet.") and fields.text.endswith("More.")


def test_front_matter():
    raw = "---\ntitle: Drones over the Baltic\ndate: 2024-05-01\nurl: https://x.org/a\n---\nBody text."
    fields = parse_article_text(raw)
    assert (fields.title, fields.date, fields.url, fields.text) == (
        "Drones over the Baltic", "2024-05-01", "https://x.org/a", "Body text.")


def test_markdown_heading_is_title():
    fields = parse_article_text("# Sanctions widen\n\nThe EU adopted a package.")
    assert fields.title == "Sanctions widen" and fields.text == "The EU adopted a package."
    assert fields.date is None


@pytest.mark.parametrize("raw", ["", "   \n", "date 2025-01-01   ", "---\ntitle: x\n---\n"])
def test_no_text_is_an_error(raw):
    with pytest.raises(ArticleParseError):
        parse_article_text(raw)


def test_first_sentence_keeps_decimals_and_cuts_long_text():
    assert first_sentence("Allies spend 2.5 per cent now. Then more.") == "Allies spend 2.5 per cent now."
    assert len(first_sentence("word " * 200)) <= 200
