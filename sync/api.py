"""The Python API for orchestrators (Airflow, Dagster, Prefect…): one call, one run."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from funnelsync.plugin_manager import create_plugins
from funnelsync.run_report import RunReport
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.loading import default_config_path, load_workspace


def run(
    config: str | Path | None = None,
    *,
    dry_run: bool = False,
    wait: bool = True,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> RunReport:
    """Run one sync (or plan, with ``dry_run``) of the workspace at ``config``.

    ``config`` defaults to ``$FUNNELSYNC_CONFIG`` or ``./funnelsync.yaml``. Returns the
    run's report (check ``report.status``: ``ok`` or ``partial``). Raises
    :class:`~funnelsync.sync.workspace.errors.ConfigError` for an invalid configuration and
    :class:`~funnelsync.sync.engine.run.RunFailedError` when the run fails (its ``result``
    holds the report). By default it waits for a run already in progress.
    """
    plugins = create_plugins()
    workspace = load_workspace(Path(config) if config else default_config_path(), plugins)
    return run_sync(workspace, plugins, dry_run=dry_run, wait=wait, now=now, stop=stop).report


__all__ = ["RunFailedError", "run"]
