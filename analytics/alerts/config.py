"""``alerts.toml``: where notifications go and which events send one, typed.

::

    [notify]
    kind = "slack"                 # "webhook", "slack" (Slack-compatible), "email" or "block"
    url_env = "TOPICWATCH_ALERTS_URL"   # or url = "https://..." (webhook, slack)
    # email (SendGrid): api_key_env = "SENDGRID_API_KEY", sender = "...", to = ["..."]
    # block: block = "slack-webhook/newsroom" (an existing notification block, type/name)
    events = ["topicwatch.topic.burst", "topicwatch.claim.new", "topicwatch.source.failed"]
    name = "topicwatch"            # names the automations and the block the command saves

Errors name the file, the line and the key (``AlertsConfigError``). Pure: text in; the
environment is passed in, never read here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from analytics.alerts.events import EVENTS
from analytics.contracts.toml_lines import did_you_mean, table_line, top_key_line

KINDS = ("webhook", "slack", "email", "block")
_KEYS = {"kind", "url", "url_env", "api_key_env", "sender", "to", "block", "events", "name"}


class AlertsConfigError(ValueError):
    """``alerts.toml`` is invalid; the message names the file, line and key."""


@dataclass(frozen=True)
class AlertsConfig:
    kind: str
    url: str = ""  # webhook, slack
    api_key: str = ""  # email
    sender: str = ""
    to: tuple[str, ...] = ()
    block: str = ""  # kind "block": "<block type slug>/<block name>"
    events: tuple[str, ...] = EVENTS
    name: str = "topicwatch"
    path: str = "<memory>"


def parse_alerts_config(text: str, path: str = "<memory>",
                        environ: Mapping[str, str] | None = None) -> AlertsConfig:
    """The ``[notify]`` table of ``text``; ``*_env`` keys are looked up in ``environ``."""
    env = environ or {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AlertsConfigError(f"{path}: invalid TOML: {exc}") from exc
    for key in data:
        if key != "notify":
            line = top_key_line(text, key)
            raise AlertsConfigError(f"{path}{f':{line}' if line else ''}: unknown top-level "
                                    f"key {key!r}{did_you_mean(key, ['notify'])} (one: [notify])")
    raw = data.get("notify")
    if not isinstance(raw, dict):
        raise AlertsConfigError(f"{path}: no [notify] table")

    def where(key: str) -> str:
        line = table_line(text, "notify", key)
        return f"{path}{f':{line}' if line else ''}: [notify], key {key!r}"

    for key in raw:
        if key not in _KEYS:
            raise AlertsConfigError(f"{where(key)}: unknown key{did_you_mean(key, _KEYS)}")

    def string(key: str, required: bool = False) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise AlertsConfigError(f"{where(key)}: expected a non-empty string, got {value!r}")
        return value.strip()

    def from_env(key: str) -> str:
        """``key`` itself, else the variable ``<key>_env`` names."""
        if raw.get(key):
            return string(key)
        name = string(f"{key}_env")
        if name and not env.get(name):
            raise AlertsConfigError(f"{where(key + '_env')}: the variable {name} is not set")
        return env.get(name, "") if name else ""

    kind = string("kind", required=True)
    if kind not in KINDS:
        raise AlertsConfigError(f"{where('kind')}: expected one of {', '.join(KINDS)}, got "
                                f"{kind!r}{did_you_mean(kind, KINDS)}")
    events = raw.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise AlertsConfigError(f"{where('events')}: expected a list of {', '.join(EVENTS)}, "
                                f"got {events!r}")
    name = string("name") or "topicwatch"
    config = AlertsConfig(kind=kind, events=tuple(dict.fromkeys(events)), name=name, path=path)
    if kind in ("webhook", "slack"):
        url = from_env("url")
        if not url.startswith(("http://", "https://")):
            raise AlertsConfigError(f"{where('url')}: kind {kind!r} needs an http(s) url "
                                    "(url or url_env)")
        return AlertsConfig(**{**config.__dict__, "url": url})
    if kind == "email":
        api_key = env.get(string("api_key_env", required=True), "")
        if not api_key:
            raise AlertsConfigError(f"{where('api_key_env')}: the variable "
                                    f"{raw['api_key_env']} is not set")
        to = raw.get("to")
        if not isinstance(to, list) or not to or not all(isinstance(a, str) and "@" in a
                                                         for a in to):
            raise AlertsConfigError(f"{where('to')}: expected a list of email addresses")
        return AlertsConfig(**{**config.__dict__, "api_key": api_key,
                               "sender": string("sender", required=True), "to": tuple(to)})
    block = string("block", required=True)
    if block.count("/") != 1 or not all(block.split("/")):
        raise AlertsConfigError(f"{where('block')}: expected '<block type>/<block name>', "
                                f"got {block!r}")
    return AlertsConfig(**{**config.__dict__, "block": block})
