"""HTML fragment -> plain text (feed titles and entry bodies).

Only character data is kept: attributes (``on*`` handlers, ``javascript:`` URLs) are never
emitted, and the contents of script-like elements are dropped.

Markup or a mention of it? A feed value is HTML escaped once (RSS) or plain text that
may quote a tag ("the <blink> tag"). A start tag counts as markup when it is closed, is a
void element or one whose end tag HTML makes optional (``<p>``, ``<li>``), carries
attributes, or starts a script or style (whose unclosed content is dropped, never
shown). An attribute-less start tag that is never closed is a mention: it stays in the
text as written. Escaped markup inside the HTML (``&lt;script&gt;…&lt;/script&gt;``) is
unwrapped by the same rule, a few times at most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_SKIP = frozenset({  # elements whose contents are code, styling or markup, not text
    "script", "style", "iframe", "frameset", "noscript", "template", "svg", "math", "head",
})
_RAW = frozenset({"script", "style"})  # the parser reads their content as raw text
# Void elements have no contents: dropped, they must not start skipping (text after an
# <embed> or a <frame> was lost). <object> and <applet> hold fallback content, which is
# text meant for the reader; their <param>s carry none.
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "frame", "hr", "img", "input", "link", "meta",
    "param", "source", "track", "wbr",
})
_OPTIONAL_END = frozenset({  # end tag optional in HTML: an unclosed one is still markup
    "body", "caption", "colgroup", "dd", "dt", "html", "li", "optgroup", "option", "p",
    "rb", "rp", "rt", "rtc", "tbody", "td", "tfoot", "th", "thead", "tr",
})
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_TAG_LIKE = re.compile(r"<[a-zA-Z!/?][^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_MAX_UNESCAPE_PASSES = 3


@dataclass
class _Start:
    tag: str
    raw: str  # the tag as written, kept when it turns out to be a mention
    attrs: bool
    closed: bool = False
    empty: bool = False  # <x/>: no contents


@dataclass
class _End:
    tag: str
    closes: int = 0  # how many skipped elements (script, iframe, ...) it closes


class _Tokens(HTMLParser):
    """The fragment as start tags, end tags and text, each start tag told whether an end
    tag closes it (the nearest open one of its name, closing those opened after it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[_Start | _End | str] = []
        self._open: list[_Start] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        start = _Start(tag, self.get_starttag_text() or "", bool(attrs))
        self.items.append(start)
        if tag not in _VOID:
            self._open.append(start)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.items.append(_Start(tag, "", True, closed=True, empty=True))

    def handle_endtag(self, tag: str) -> None:
        end = _End(tag)
        self.items.append(end)
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                self._open[i].closed = True
                end.closes = sum(s.tag in _SKIP and not _mention(s) for s in self._open[i:])
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        self.items.append(data)


def _mention(start: _Start) -> bool:
    return not (start.closed or start.attrs or start.tag in _VOID
                or start.tag in _OPTIONAL_END or start.tag in _RAW)


def _one_pass(html: str) -> str:
    tokens = _Tokens()
    tokens.feed(html)
    tokens.close()
    parts: list[str] = []
    skip = 0
    for item in tokens.items:
        if isinstance(item, str):
            if not skip:
                parts.append(item)
        elif isinstance(item, _End):
            skip = max(0, skip - item.closes)
            if item.tag in _BLOCK:
                parts.append("\n")
        elif _mention(item):
            if not skip:
                parts.append(item.raw)
        elif item.tag in _SKIP and not item.empty:
            skip += 1
        elif item.tag in _BLOCK:
            parts.append("\n")
    return "".join(parts)


def normalise_space(text: str) -> str:
    """Collapse runs of blanks, strip lines and drop empty ones."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment, one block element per line.

    Escaped markup inside the HTML (``&lt;script&gt;``) is unwrapped a few times; a tag
    mentioned in prose stays as written (module docstring); escapes nested deeper than
    the passes reach are removed, so no markup reaches analysis or reports.
    """
    if not html:
        return ""
    text = html
    for _ in range(_MAX_UNESCAPE_PASSES):
        unwrapped = _one_pass(text)
        if unwrapped == text or not _TAG_LIKE.search(unwrapped):
            return normalise_space(unwrapped)
        text = unwrapped
    return normalise_space(_TAG_LIKE.sub(" ", text))


def has_markup(text: str) -> bool:
    """Whether ``text`` contains something that looks like an HTML tag."""
    return bool(_TAG_LIKE.search(text))
