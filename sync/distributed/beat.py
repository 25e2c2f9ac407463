"""Celery beat's schedule: each workspace queued on the cron of its own ``schedule.sync``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery.schedules import crontab

from funnelsync.sync.distributed.tasks import SYNC_TASK
from funnelsync.sync.scheduler import ScheduleError, next_run
from funnelsync.sync.workspace.loading import Workspace


def cron_schedule(expression: str) -> crontab:
    """A Celery crontab for a 5-field cron expression (UTC), checked first."""
    next_run(expression, datetime.now(UTC))  # the same check as `funnelsync schedule`
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"schedule.sync: {expression!r} must have 5 fields for beat")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def beat_schedule(workspaces: list[Workspace]) -> dict[str, dict[str, Any]]:
    """One beat entry per workspace, named by its config path; all must have a schedule."""
    entries: dict[str, dict[str, Any]] = {}
    for workspace in workspaces:
        schedule = workspace.config.schedule
        if schedule is None:
            raise ScheduleError(f"{workspace.config_path}: no `schedule:` section")
        config = str(Path(workspace.config_path).resolve())
        entries[config] = {
            "task": SYNC_TASK,
            "schedule": cron_schedule(schedule.sync),
            "args": [config],
        }
    return entries
