"""`funnelsync schedule`: syncs on the config's cron schedule, in the foreground."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from funnelsync.sync.cli.common import config_option, fail, load
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.cli.logs import setup_logging
from funnelsync.sync.scheduler import ScheduleError, run_schedule
from funnelsync.sync.workspace.loading import default_config_path


@click.command()
@config_option
@click.option("--max-runs", type=int, default=None, help="Stop after this many runs.")
@click.pass_context
def schedule(ctx: click.Context, config_path: Path | None, max_runs: int | None) -> None:
    """Run syncs at the times the config's `schedule.sync` cron expression names (UTC).

    Stays in the foreground and logs one line per run (at `info`, shown by default here).
    SIGTERM or Ctrl-C lets the batch in flight finish and be recorded, then stops; the
    next start picks up where it left off. Runs never overlap.
    """
    load(config_path)  # exits 2, listing every problem, if the configuration is invalid
    if not ctx.obj["log_level_given"]:
        setup_logging(ctx.obj["log_format"], "info")
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    try:
        run_schedule(config_path or default_config_path(), stop, max_runs=max_runs)
    except ScheduleError as exc:
        fail(str(exc), ExitCode.config_error)
