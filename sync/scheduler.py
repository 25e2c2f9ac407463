"""Running syncs on a cron schedule, in the foreground, until asked to stop."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.lock import WorkspaceBusyError
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.errors import ConfigError
from funnelsync.sync.workspace.loading import load_workspace

logger = logging.getLogger(__name__)


class ScheduleError(ValueError):
    """The workspace has no usable schedule."""


def next_run(expression: str, after: datetime) -> datetime:
    """The first time after ``after`` that the cron ``expression`` names (UTC)."""
    if not croniter.is_valid(expression):
        raise ScheduleError(f"schedule.sync: {expression!r} is not a cron expression")
    found: datetime = croniter(expression, after).get_next(datetime)
    return found


def _one_run(config_path: Path, stop: threading.Event) -> None:
    plugins = create_plugins()
    try:
        workspace = load_workspace(config_path, plugins)
        report = run_sync(workspace, plugins, stop=stop).report
    except ConfigError as exc:
        logger.error("skipped: the configuration is invalid:\n%s", exc)
        return
    except WorkspaceBusyError as exc:
        logger.warning("skipped: %s", exc)
        return
    except RunFailedError as failed:
        report = failed.result.report
    counts = report.connections.values()
    logger.info(
        "run %s %s in %.1fs: created %d, updated %d, quarantined %d",
        report.run_id,
        report.status.value,
        report.duration_s,
        sum(c.created for c in counts),
        sum(c.updated for c in counts),
        sum(c.quarantined for c in counts),
    )


def run_schedule(
    config_path: Path,
    stop: threading.Event,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_runs: int | None = None,
) -> int:
    """Run syncs at the times ``schedule.sync`` names until ``stop`` is set; returns runs made.

    Runs never overlap (each takes the workspace lock); a run due while another process
    holds the lock is skipped with a log line. The configuration is read again before
    every run, so edits apply from the next run on.
    """
    plugins = create_plugins()
    schedule = load_workspace(config_path, plugins).config.schedule
    if schedule is None:
        raise ScheduleError(f"{config_path}: no `schedule:` section (e.g. sync: '*/15 * * * *')")
    due = next_run(schedule.sync, clock())
    logger.info("scheduled %r: next run at %s", schedule.sync, due.isoformat())
    runs = 0
    while max_runs is None or runs < max_runs:
        delay = (due - clock()).total_seconds() + random.uniform(0, schedule.jitter_s)
        if stop.wait(max(delay, 0)):
            break
        _one_run(config_path, stop)
        runs += 1
        if stop.is_set():
            break
        due = next_run(schedule.sync, max(clock(), due))
    logger.info("schedule stopped after %d runs", runs)
    return runs
