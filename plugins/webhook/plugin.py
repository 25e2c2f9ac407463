"""Registers the webhook notifier (entry point ``webhook``): it observes finished runs."""

from __future__ import annotations

import logging
from typing import Any

import requests

from funnelsync.config import NotificationsConfig, WorkspaceConfig
from funnelsync.hookspecs import hookimpl
from funnelsync.plugins.webhook.messages import run_message
from funnelsync.run_report import RunReport

logger = logging.getLogger(__name__)


def post(settings: NotificationsConfig, message: dict[str, Any]) -> None:
    """POST ``message`` as JSON to the webhook; a failure is logged, never raised."""
    try:
        response = requests.post(
            settings.webhook_url.get_secret_value(), json=message, timeout=settings.timeout_s
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        logger.warning("could not post to the notification webhook: %s", type(exc).__name__)


@hookimpl
def funnelsync_run_finished(report: RunReport, config: WorkspaceConfig) -> None:
    """Post a message when a run failed, was partial, or quarantined too much."""
    settings = config.notifications
    if settings is None:
        return
    message = run_message(report, settings)
    if message is not None:
        post(settings, message)
