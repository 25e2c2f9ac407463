"""Registers the webhook notifier (entry point ``webhook``): it observes finished runs and
posts hand-offs to the owner's channel."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from funnelsync.config import NotificationsConfig, WorkspaceConfig
from funnelsync.contract import SlaRule, Stage
from funnelsync.handoff import HandoffConfig, handoff_message
from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.plugins.webhook.messages import breach_message, run_message
from funnelsync.run_report import RunReport

logger = logging.getLogger(__name__)


def post(settings: NotificationsConfig, message: dict[str, Any]) -> None:
    """POST ``message`` as JSON to the webhook; a failure is logged, never raised."""
    import requests  # only when a message is sent: most runs post nothing

    try:
        response = requests.post(
            settings.webhook_url.get_secret_value(), json=message, timeout=settings.timeout_s
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        logger.warning("could not post to the notification webhook: %s", exc)


@hookimpl
def funnelsync_sla_breached(
    lead: Lead, rule: SlaRule, entered_at: datetime, due_at: datetime, config: WorkspaceConfig
) -> None:
    """Post a message for each new SLA breach, when ``sla_breach`` is among ``events``."""
    settings = config.notifications
    if settings is not None and "sla_breach" in settings.events:
        post(settings, breach_message(lead, rule, entered_at, due_at))


@hookimpl
def funnelsync_run_finished(report: RunReport, config: WorkspaceConfig) -> None:
    """Post a message when a run failed, was partial, or quarantined too much."""
    settings = config.notifications
    if settings is None:
        return
    message = run_message(report, settings)
    if message is not None:
        post(settings, message)


HANDOFF_TIMEOUT_S = 10.0
"""Give up posting a hand-off after this long (it is retried on the next run)."""


@hookimpl
def funnelsync_lead_handed_off(
    lead: Lead, stage: Stage, talking_points: list[str], config: HandoffConfig
) -> None:
    """POST the hand-off as JSON to the owner's webhook, if the channel has one.

    Sends ``Idempotency-Key: <handoff_id>``; raises ``requests.RequestException`` when the
    post fails, so the hand-off is retried on the next run.
    """
    webhook = config.channel.webhook
    if webhook is None:
        return
    import requests  # only when a hand-off is posted

    settings = config.workspace.notifications
    response = requests.post(
        webhook.get_secret_value(),
        json=handoff_message(lead, stage, talking_points, config),
        headers={"Idempotency-Key": config.handoff_id},
        timeout=settings.timeout_s if settings is not None else HANDOFF_TIMEOUT_S,
    )
    response.raise_for_status()
