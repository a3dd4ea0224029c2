"""Untrusted text (titles, sentences, source messages) made safe for a chat message.

A message goes through a Prefect action template and a notification block before a chat
window shows it: the text must reach the reader as text. :func:`plain` keeps one line,
escapes ``& < >`` (Slack's and Mattermost's markup and every HTML renderer's: ``<!channel>``
and ``<url|label>`` links cannot be forged) and breaks ``{{``, ``{%`` and ``{#`` apart, so
no template engine on the way reads a title as a placeholder (a custom webhook block
fills its placeholders, secrets among them, into its template one after another).
:func:`link` does the same for a URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TEMPLATE = re.compile(r"\{(?=[{%#])")
_URL_UNSAFE = set('<>|{}"\'`\\^ ')
MAX_CHARS = 200


def plain(value: object, limit: int = MAX_CHARS) -> str:
    """``value`` as one line of inert text, at most ``limit`` characters (an ellipsis
    marks a cut)."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _TEMPLATE.sub("{ ", text)


def link(url: object) -> str:
    """An http(s) URL as inert text ("" for anything else: ``javascript:``, a path): the
    characters that could end it or start markup or a placeholder (``< > | { }``, quotes,
    spaces) percent-encoded; ``&`` kept, so the link still opens."""
    text = _CONTROL.sub("", str(url or "").strip())
    if not re.match(r"https?://\S+$", text, re.IGNORECASE):
        return ""
    return "".join(quote(c) if c in _URL_UNSAFE else c for c in text[:500])
