"""HTML fragment -> plain text (feed titles and entry bodies).

Only character data is kept: attributes (``on*`` handlers, ``javascript:`` URLs) are never
emitted, and the contents of script-like elements are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({  # elements whose contents are code, styling or markup, not text
    "script", "style", "iframe", "frameset", "noscript", "template", "svg", "math", "head",
})
# Void elements have no contents: dropped, they must not start skipping (text after an
# <embed> or a <frame> was lost). <object> and <applet> hold fallback content, which is
# text meant for the reader; their <param>s carry none.
_VOID = frozenset({"embed", "frame", "param", "source", "track", "img", "input", "wbr"})
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_TAG_LIKE = re.compile(r"<[a-zA-Z!/?][^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_MAX_UNESCAPE_PASSES = 3


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _VOID:
            return
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def _one_pass(html: str) -> str:
    parser = _TextCollector()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def normalise_space(text: str) -> str:
    """Collapse runs of blanks, strip lines and drop empty ones."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment, one block element per line.

    Escaped markup inside the HTML (``&lt;script&gt;``) is unwrapped a few times, and
    whatever still looks like a tag is then removed, so no tag reaches analysis or reports.
    """
    if not html:
        return ""
    text = html
    for _ in range(_MAX_UNESCAPE_PASSES):
        text = _one_pass(text)
        if not _TAG_LIKE.search(text):
            break
    return normalise_space(_TAG_LIKE.sub(" ", text))


def has_markup(text: str) -> bool:
    """Whether ``text`` contains something that looks like an HTML tag."""
    return bool(_TAG_LIKE.search(text))
