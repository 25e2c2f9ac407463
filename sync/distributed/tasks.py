"""The one task workers run: sync the workspace at a config path."""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

from celery import Celery, Task

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.lock import WorkspaceBusyError
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.errors import ConfigError
from funnelsync.sync.workspace.loading import load_workspace

logger = logging.getLogger(__name__)

SYNC_TASK = "funnelsync.sync_workspace"
BUSY_RETRY_S = (2.0, 10.0)
"""A task whose workspace is busy is retried after a random delay in this range (seconds)."""
MAX_BUSY_RETRIES = 10_000


def sync_workspace(task: Task[Any, Any], config: str) -> dict[str, Any]:
    """Sync the workspace at ``config``; retried later while another run holds it."""
    plugins = create_plugins()
    try:
        workspace = load_workspace(Path(config), plugins)
    except ConfigError as exc:
        logger.error("%s: not synced, the configuration is invalid:\n%s", config, exc)
        return {"config": config, "status": "invalid"}
    try:
        report = run_sync(workspace, plugins).report
    except WorkspaceBusyError:
        raise task.retry(countdown=random.uniform(*BUSY_RETRY_S)) from None
    except RunFailedError as failed:
        report = failed.result.report
    logger.info("%s: run %s %s", config, report.run_id, report.status.value)
    return {"config": config, "run_id": report.run_id, "status": report.status.value}


def register(app: Celery) -> None:
    """Register :func:`sync_workspace` on ``app`` under its stable task name."""
    app.task(name=SYNC_TASK, bind=True, max_retries=MAX_BUSY_RETRIES)(sync_workspace)
