"""Watch rules: which topics alert, at which level, and the quiet period between alerts.

Per topic ``alert = "burst"`` (its bursts alert), ``"watch"`` (days to watch too) or
``"off"``, in the taxonomy; a topic without one takes :data:`CORE_ALERTS` or, for a topic
not listed there, :data:`DEFAULT_ALERT`. ``[meta] alert_quiet_days`` (default
:data:`DEFAULT_QUIET_DAYS`): after a topic or source alerted, it does not alert again for
that many days unless it escalates (a watch that becomes a burst).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analytics.contracts.taxonomy import Taxonomy

DEFAULT_QUIET_DAYS = 3
DEFAULT_ALERT = "burst"
# The core topics (docs/core-topics.md): a burst is news for each of them; nuclear
# deterrence is rarely covered, so a day to watch is already worth a message.
CORE_ALERTS: Mapping[str, str] = {
    "air_missile_defense": "burst", "long_range_strike": "burst", "logistics": "burst",
    "ground_forces": "burst", "defense_spending": "burst", "defense_industry": "burst",
    "ukraine_military_aid": "burst", "peace_negotiations": "burst",
    "nuclear_deterrence": "watch", "terrorism": "burst", "drones": "burst",
    "sanctions": "burst", "nato_enlargement": "burst",
}
# the levels each mode lets through
_LEVELS = {"burst": ("burst",), "watch": ("burst", "watch"), "off": ()}


@dataclass(frozen=True)
class AlertRules:
    modes: Mapping[str, str] = field(default_factory=dict)  # topic id -> burst | watch | off
    quiet_days: int = DEFAULT_QUIET_DAYS

    def mode(self, topic_id: str) -> str:
        return self.modes.get(topic_id) or CORE_ALERTS.get(topic_id, DEFAULT_ALERT)

    def alerts_on(self, topic_id: str, level: str) -> bool:
        """Whether a flag of ``level`` (burst, watch) on ``topic_id`` alerts."""
        return level in _LEVELS[self.mode(topic_id)]


def alert_rules(taxonomy: Taxonomy) -> AlertRules:
    """The taxonomy's rules: each topic's ``alert`` (its default when unset) and the
    quiet period."""
    rules = AlertRules()
    modes = {t.id: t.alert or rules.mode(t.id) for t in taxonomy.topics}
    quiet = taxonomy.alert_quiet_days
    return AlertRules(modes, DEFAULT_QUIET_DAYS if quiet is None else quiet)
