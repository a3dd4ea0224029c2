"""Alerts on Prefect: the run's events emitted, and the automations that deliver them.

The events are built in ``analytics/alerts`` as plain data; this module only talks to
Prefect. ``plan_alerts_task`` (before the report, so page 1 can say what alerted) reads the
alert state from the store and plans; ``send_alerts_task`` emits the planned events with
``prefect.events.emit_event`` and then writes the state, so a run that dies before
emitting sends its alerts next time. ``apply_automations`` creates, idempotently, one
automation per event name from ``alerts.toml``: an event trigger and a send-notification
action through the notification block the config names. The action's templates only print
the payload's ``subject`` and ``message`` (already inert text): no untrusted text is ever
part of a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from uuid import UUID

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from analytics.alerts.config import AlertsConfig
from analytics.alerts.events import BURST, Alert, burst_alerts
from analytics.alerts.plan import AlertPlan, plan_alerts
from analytics.alerts.rules import alert_rules
from analytics.alerts.section import AlertedRunSummary, notes
from analytics.alerts.state_file import read_state, write_state
from analytics.contracts import schema
from analytics.contracts.run_summary import RunSummary
from analytics.contracts.taxonomy import Taxonomy

SUBJECT_TEMPLATE = "{{ event.payload.subject }}"
BODY_TEMPLATE = "{{ event.payload.message }}"
# The bodies the blocks post, from Prefect's notification (subject, body).
WEBHOOK_JSON = {"subject": "{{subject}}", "text": "{{body}}"}
SLACK_JSON = {"text": "*{{subject}}*\n{{body}}"}  # Slack, Mattermost, Rocket.Chat, Zulip


def _with_alerts(summary: RunSummary, plan: AlertPlan) -> AlertedRunSummary:
    values = {f.name: getattr(summary, f.name) for f in fields(summary)}
    alerts = notes(plan.found, plan.send, plan.held, summary.run_date)
    return AlertedRunSummary(**{**values, "alerts": alerts})


@task(cache_policy=NO_CACHE, task_run_name="plan-alerts")
def plan_alerts_task(data_dir: str, summary: RunSummary, tables: Mapping[str, pl.DataFrame],
                     taxonomy: Taxonomy) -> tuple[AlertPlan, AlertedRunSummary]:
    """The run's alerts (``analytics.alerts.plan``) and its summary with them."""
    plan = plan_alerts(summary=summary, tables=tables, labels=taxonomy.labels(),
                       rules=alert_rules(taxonomy), state=read_state(data_dir))
    log = get_run_logger()
    for alert in plan.send:
        log.info("alert %s: %s", alert.event, alert.reason)
    for held in plan.held:
        log.info("alert held back, %s: %s (%s)", held.alert.event, held.alert.reason, held.why)
    return plan, _with_alerts(summary, plan)


def emit(alert: Alert) -> bool:
    """``alert`` as a Prefect event (inside a run, Prefect relates it to the run); False
    when Prefect did not take it (events disabled, or an error it logged)."""
    from prefect.events import emit_event

    return emit_event(event=alert.event, resource=alert.resource,
                      related=list(alert.related), payload=alert.payload) is not None


@task(cache_policy=NO_CACHE, task_run_name="send-alerts")
def send_alerts_task(plan: AlertPlan, data_dir: str) -> int:
    """Emit the planned events, then record them in the store's alert state; not when
    the run has no Prefect server of its own (``PREFECT_API_URL`` unset: the events went
    to a temporary server that no automation watches), so they are sent by the next run
    that has one."""
    from prefect.settings import get_current_settings

    emitted = sum(emit(alert) for alert in plan.send)
    log = get_run_logger()
    log.info("alerts: %d events emitted, %d held back", emitted, len(plan.held))
    if emitted < len(plan.send):
        log.warning("alerts: %d of %d events not taken by Prefect; not recorded as sent, "
                    "so the next run sends them", len(plan.send) - emitted, len(plan.send))
        return emitted
    if get_current_settings().api.url is None:
        log.info("alerts: no Prefect server (PREFECT_API_URL is not set), so no "
                 "automation saw these events; not recorded as sent")
        return emitted
    write_state(data_dir, plan.state)
    return emitted


# --- automations as code ------------------------------------------------------------


def notification_block(config: AlertsConfig):
    """The notification block ``config`` names, unsaved (kind "block": loaded)."""
    from prefect.blocks.core import Block
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SendgridEmail

    if config.kind == "webhook":
        return CustomWebhookNotificationBlock(name=config.name, url=config.url,
                                              json_data=WEBHOOK_JSON)
    if config.kind == "slack":
        return CustomWebhookNotificationBlock(name=config.name, url=config.url,
                                              json_data=SLACK_JSON)
    if config.kind == "email":
        return SendgridEmail(api_key=config.api_key, sender_email=config.sender,
                             to_emails=list(config.to))
    return Block.load(config.block)


def block_name(config: AlertsConfig) -> str:
    return f"{config.name}-alerts"


def automation_name(config: AlertsConfig, event: str) -> str:
    return f"{config.name}: {event}"


def save_block(config: AlertsConfig) -> UUID:
    """The block's document id: saved (overwriting) under :func:`block_name`, or, for kind
    "block", the existing one."""
    block = notification_block(config)
    if config.kind == "block":
        return block._block_document_id
    return block.save(block_name(config), overwrite=True)


def automation_for(config: AlertsConfig, event: str, block_id: UUID):
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    return Automation(
        name=automation_name(config, event),
        description=f"topicwatch: a notification for each {event} event "
                    f"(from {config.path}; `topicwatch alerts apply` rewrites it)",
        trigger=EventTrigger(expect={event}, match={"prefect.resource.id": "topicwatch.*"},
                             posture=Posture.Reactive, threshold=1,
                             within=timedelta(seconds=0)),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT_TEMPLATE,
                                  body=BODY_TEMPLATE)],
    )


@dataclass(frozen=True)
class Applied:
    name: str
    id: UUID
    change: str  # created, updated, unchanged, deleted


def _same(existing, wanted) -> bool:
    """Whether the automation on the server already is the one wanted (trigger ids and
    the like aside)."""
    def shape(a) -> tuple:
        trigger = a.trigger.model_dump(mode="json", exclude={"id"})
        actions = [x.model_dump(mode="json") for x in a.actions]
        return a.name, a.description, a.enabled, trigger, actions

    return shape(existing) == shape(wanted)


def apply_automations(config: AlertsConfig) -> list[Applied]:
    """Create or update one automation per configured event, named ``<name>: <event>``,
    and delete those of this name prefix for events no longer configured; the same config
    applied twice changes nothing."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    block_id = save_block(config)
    done = []
    with get_client(sync_client=True) as client:
        for event in config.events:
            wanted = automation_for(config, event, block_id)
            # only the fields set here: the update endpoint refuses the others (owner)
            core = AutomationCore(**wanted.model_dump(exclude={"id"}, exclude_unset=True))
            existing = client.read_automations_by_name(wanted.name)
            if existing and _same(existing[0], wanted):
                done.append(Applied(wanted.name, existing[0].id, "unchanged"))
            elif existing:
                client.update_automation(existing[0].id, core)
                done.append(Applied(wanted.name, existing[0].id, "updated"))
                for extra in existing[1:]:  # made by hand, or by a race: one is enough
                    client.delete_automation(extra.id)
                    done.append(Applied(wanted.name, extra.id, "deleted"))
            else:
                done.append(Applied(wanted.name, client.create_automation(core), "created"))
        names = {automation_name(config, e) for e in config.events}
        stale = {automation_name(config, e) for e in (BURST, "topicwatch.claim.new",
                                                        "topicwatch.source.failed")} - names
        for name in sorted(stale):
            for old in client.read_automations_by_name(name):
                client.delete_automation(old.id)
                done.append(Applied(name, old.id, "deleted"))
    return done


def sample_alert(run_date: date) -> Alert:
    """A burst alert of made-up numbers, built by the same code as a real one."""
    day = run_date
    bursts = pl.DataFrame([{
        "topic_id": "air_missile_defense", "period": "day", "period_start": day,
        "articles": 14, "total": 420, "share": 14 / 420, "baseline_share": 0.005,
        "expected": 2.1, "ratio": 6.7, "z": 6.0, "p_value": 1e-9, "sources": 5,
        "top_source": "Example Wire", "top_source_share": 0.3, "top_source_excess": 0.3,
        "window_articles": 20, "window_ratio": 3.0, "window_p_value": 1e-6,
        "level": "burst", "onset": day - timedelta(days=1)}])
    stories = pl.DataFrame([{
        "topic_id": "air_missile_defense", "period": "day", "period_start": day,
        "onset": day - timedelta(days=1), "rank": 1,
        "label": "topicwatch test message: this is what a burst alert looks like",
        "articles": 6, "sources": 3, "outlets": ["Example Wire", "Example Times"],
        "urls": ["https://example.org/topicwatch-test"], "first_seen": None}])
    from analytics.alerts.rules import AlertRules

    alert = burst_alerts(schema.conform(bursts, "bursts"),
                         schema.conform(stories, "burst_stories"),
                         schema.empty("articles"), schema.empty("topic_mentions"),
                         {"air_missile_defense": "Air and missile defence (test)"},
                         AlertRules(), end=day)[0]
    return alert


def send_test(config: AlertsConfig, run_date: date) -> str:
    """Send one sample message through the configured block, rendered by the automation's
    own templates; returns the subject sent."""
    from prefect.server.utilities.user_templates import render_user_template_sync

    alert = sample_alert(run_date)
    context = {"event": {"event": alert.event, "resource": alert.resource,
                         "payload": alert.payload}}
    subject = render_user_template_sync(SUBJECT_TEMPLATE, context)
    body = render_user_template_sync(BODY_TEMPLATE, context)
    block = notification_block(config)
    with block.raise_on_failure():
        block.notify(body=body, subject=subject)
    return subject
