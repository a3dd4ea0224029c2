"""The notification blocks and automations ``topicwatch alerts apply`` writes, as objects
(the server round trip is in test_alerts_server.py)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from prefect.blocks.notifications import CustomWebhookNotificationBlock, SendgridEmail

from analytics.alerts.config import parse_alerts_config
from flows.alerts import BODY_TEMPLATE, automation_for, notification_block, sample_alert


def _config(text: str):
    return parse_alerts_config(text, "alerts.toml", {"KEY": "k"})


def test_each_kind_makes_its_block():
    hook = notification_block(_config('[notify]\nkind = "webhook"\nurl = "https://h.example"\n'))
    assert isinstance(hook, CustomWebhookNotificationBlock)
    assert hook.json_data == {"subject": "{{subject}}", "text": "{{body}}"}
    slack = notification_block(_config('[notify]\nkind = "slack"\nurl = "https://h.example"\n'))
    assert slack.json_data == {"text": "*{{subject}}*\n{{body}}"}
    mail = notification_block(_config('[notify]\nkind = "email"\napi_key_env = "KEY"\n'
                                      'sender = "a@example.org"\nto = ["b@example.org"]\n'))
    assert isinstance(mail, SendgridEmail) and mail.to_emails == ["b@example.org"]


def test_the_automation_triggers_on_its_event_and_prints_the_payload_only():
    config = _config('[notify]\nkind = "slack"\nurl = "https://h.example"\nname = "desk"\n')
    block = uuid4()
    auto = automation_for(config, "topicwatch.claim.new", block)
    assert auto.name == "desk: topicwatch.claim.new"
    assert auto.trigger.expect == {"topicwatch.claim.new"}
    assert auto.trigger.match.model_dump() == {"prefect.resource.id": "topicwatch.*"}
    [action] = auto.actions
    assert action.block_document_id == block and action.body == BODY_TEMPLATE
    assert "{%" not in action.body and action.body.count("{{") == 1


def test_the_sample_is_a_burst_alert_built_like_a_real_one():
    alert = sample_alert(date(2025, 6, 5))
    assert alert.event == "topicwatch.topic.burst"
    assert alert.payload["message"].startswith("Air and missile defence (test): burst on "
                                               "5 Jun 2025: 14 articles, usually 2.1 (6.7x)")


def test_apply_without_a_server_says_so(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "alerts.toml").write_text('[notify]\nkind = "webhook"\nurl = "https://h.example"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([str(Path(sys.executable).parent / "topicwatch"), "alerts", "apply"],
                          cwd=tmp_path, env={**env, "PREFECT_HOME": str(tmp_path / "home")},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no Prefect server: set PREFECT_API_URL")
    bad = subprocess.run([str(Path(sys.executable).parent / "topicwatch"), "alerts", "test",
                          "-c", "missing.toml"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "missing.toml: cannot read the alerts config" in bad.stderr
