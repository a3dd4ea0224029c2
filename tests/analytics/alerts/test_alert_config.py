"""alerts.toml: kinds, URLs from the environment, errors with file and line."""

from __future__ import annotations

import pytest

from analytics.alerts.config import AlertsConfigError, parse_alerts_config
from analytics.alerts.events import EVENTS


def test_a_slack_webhook_from_the_environment_with_all_events_by_default():
    config = parse_alerts_config('[notify]\nkind = "slack"\nurl_env = "HOOK"\n', "a.toml",
                                 {"HOOK": "https://hooks.example.com/T1"})
    assert (config.kind, config.url, config.events, config.name) == (
        "slack", "https://hooks.example.com/T1", EVENTS, "topicwatch")


def test_email_and_an_existing_block():
    email = parse_alerts_config(
        '[notify]\nkind = "email"\napi_key_env = "KEY"\nsender = "tw@example.org"\n'
        'to = ["desk@example.org"]\nevents = ["topicwatch.topic.burst"]\n', "a.toml",
        {"KEY": "secret"})
    assert (email.api_key, email.to, email.events) == (
        "secret", ("desk@example.org",), ("topicwatch.topic.burst",))
    block = parse_alerts_config('[notify]\nkind = "block"\nblock = "slack-webhook/desk"\n')
    assert block.block == "slack-webhook/desk"


@pytest.mark.parametrize(("text", "message"), [
    ('[notify]\nkind = "slak"\n', "a.toml:2: [notify], key 'kind': expected one of webhook, "
     "slack, email, block, got 'slak'; did you mean 'slack'?"),
    ('[notify]\nkind = "webhook"\nurl = "ftp://x"\n',
     "a.toml:3: [notify], key 'url': kind 'webhook' needs an http(s) url"),
    ('[notify]\nkind = "webhook"\nurl_env = "NOPE"\n',
     "a.toml:3: [notify], key 'url_env': the variable NOPE is not set"),
    ('[notify]\nkind = "webhook"\nurl = "https://x"\nevents = ["topicwatch.burst"]\n',
     "a.toml:4: [notify], key 'events': expected a list of"),
    ('[notify]\nkind = "block"\nblock = "desk"\n',
     "a.toml:3: [notify], key 'block': expected '<block type>/<block name>'"),
    ('[notify]\nkind = "webhook"\nurls = "https://x"\n',
     "a.toml:3: [notify], key 'urls': unknown key; did you mean 'url'?"),
    ("[notfy]\n", "a.toml:1: unknown top-level key 'notfy'; did you mean 'notify'?"),
    ("kind = ", "a.toml: invalid TOML"),
])
def test_errors_name_file_line_and_key(text, message):
    with pytest.raises(AlertsConfigError) as err:
        parse_alerts_config(text, "a.toml", {})
    assert str(err.value).startswith(message)
