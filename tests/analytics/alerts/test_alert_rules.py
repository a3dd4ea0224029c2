"""Watch rules in the taxonomy: parsed and linted with file and line, defaults in code."""

from __future__ import annotations

import pytest

from analytics.alerts.rules import CORE_ALERTS, DEFAULT_QUIET_DAYS, AlertRules, alert_rules
from analytics.contracts.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy
from analytics.store.derived import fingerprint
from analytics.topics.taxonomy_lint import lint_taxonomy
from tests.conftest import SEED_DIR

TAXONOMY = """[meta]
name = "t"
alert_quiet_days = 5

[[topic]]
id = "drones"
label = "Drones"
phrases = ["drone"]
alert = "watch"

[[topic]]
id = "sanctions"
label = "Sanctions"
phrases = ["sanction"]
alert = "off"

[[topic]]
id = "new_topic"
label = "New"
phrases = ["novel"]
"""


def test_rules_from_the_taxonomy_with_defaults_for_unset_topics():
    rules = alert_rules(parse_taxonomy(TAXONOMY))
    assert rules.quiet_days == 5
    assert rules.modes == {"drones": "watch", "sanctions": "off", "new_topic": "burst"}
    assert rules.alerts_on("drones", "watch") and not rules.alerts_on("sanctions", "burst")
    assert rules.alerts_on("new_topic", "burst") and not rules.alerts_on("new_topic", "watch")


def test_the_core_topics_of_the_seed_taxonomy_have_defaults():
    tax = load_taxonomy(SEED_DIR / "taxonomy.toml")
    rules = alert_rules(tax)
    assert set(CORE_ALERTS) == set(tax.ids[:13])
    assert rules.quiet_days == DEFAULT_QUIET_DAYS
    assert rules.mode("nuclear_deterrence") == "watch" and rules.mode("drones") == "burst"
    assert AlertRules().mode("anything") == "burst"


@pytest.mark.parametrize(("edit", "message"), [
    (('alert = "watch"', 'alert = "bursts"'),
     "t.toml:9: topic drones, key 'alert': expected one of 'burst', 'watch', 'off', got "
     "'bursts'; did you mean 'burst'?"),
    (('alert = "off"', "alert = true"), "t.toml:15: topic sanctions, key 'alert': expected one"),
    (("alert_quiet_days = 5", "alert_quiet_days = -1"),
     "t.toml:3: [meta], key 'alert_quiet_days': expected a whole number of days, 0 or more"),
    (("alert_quiet_days = 5", 'alert_quiet_days = "3"'), "t.toml:3: [meta], key 'alert_quiet"),
    (("alert_quiet_days = 5", "alert_quiet = 5"),
     "t.toml:3: [meta], key 'alert_quiet': unknown key; did you mean 'alert_quiet_days'?"),
])
def test_bad_alert_settings_name_file_and_line(edit, message):
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(TAXONOMY.replace(*edit), "t.toml")
    assert str(err.value).startswith(message)


def test_lint_finds_rules_that_never_or_always_alert():
    quiet = TAXONOMY.replace("alert_quiet_days = 5", "alert_quiet_days = 0")
    everything_off = quiet.replace('alert = "watch"', 'alert = "off"').replace(
        'phrases = ["novel"]', 'phrases = ["novel"]\nalert = "off"')
    found = [str(f) for f in lint_taxonomy(everything_off, "t.toml")
             if "alert" in f.message]
    assert found == [
        't.toml:9: warning: topic drones: every topic has alert = "off": no burst will ever '
        "send an alert",
        "t.toml:3: info: topic (meta): alert_quiet_days = 0: a topic alerts again on every day "
        "its burst lasts"]
    assert not [f for f in lint_taxonomy(TAXONOMY, "t.toml") if "alert" in f.message]


def test_an_alert_setting_does_not_change_the_tagger_fingerprint():
    # the derived store keys topic results by it: changing who alerts must not re-tag
    a = parse_taxonomy(TAXONOMY)
    b = parse_taxonomy(TAXONOMY.replace('alert = "watch"', 'alert = "off"'))
    assert fingerprint(a) == fingerprint(b)
