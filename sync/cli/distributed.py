"""`funnelsync worker`, `enqueue` and `beat`: many workspaces on Celery workers (Redis broker).

Celery is imported only when one of these commands runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from funnelsync.sync.cli.common import err, exit_with, load, out
from funnelsync.sync.cli.exit_codes import ExitCode

broker_option = click.option(
    "--broker",
    default=None,
    metavar="URL",
    help="Redis broker URL [default: $FUNNELSYNC_BROKER_URL, else redis://127.0.0.1:6379/0].",
)


@click.command()
@broker_option
@click.option("--concurrency", type=int, default=1, show_default=True, help="Runs at once.")
@click.option(
    "--pool",
    type=click.Choice(["prefork", "solo", "threads"]),
    default="prefork",
    show_default=True,
    help="How the worker runs tasks (solo: in the worker process itself).",
)
@click.option("--name", default=None, help="Worker name [default: funnelsync-<pid>@<host>].")
def worker(broker: str | None, concurrency: int, pool: str, name: str | None) -> None:
    """Run a Celery worker that syncs the workspaces queued by `enqueue` and `beat`."""
    from funnelsync.sync.distributed.app import make_app

    hostname = name or f"funnelsync-{os.getpid()}@%h"
    make_app(broker).worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", f"--pool={pool}",
         f"--hostname={hostname}", "--without-gossip", "--without-mingle"]
    )  # fmt: skip


def configs_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--config PATH`` given once or more (required)."""
    return click.option(
        "--config",
        "configs",
        multiple=True,
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=help_text,
    )


@click.command()
@broker_option
@configs_option("A workspace config; repeat for more.")
def enqueue(broker: str | None, configs: tuple[Path, ...]) -> None:
    """Queue one sync of each workspace for the workers (configs are checked first)."""
    from funnelsync.sync.distributed.app import make_app
    from funnelsync.sync.distributed.tasks import SYNC_TASK

    paths = [str(load(path)[1].config_path.resolve()) for path in configs]
    app = make_app(broker)
    console = out()
    for path in paths:
        sent = app.send_task(SYNC_TASK, args=[path])
        console.print(f"queued {path} (task {sent.id})", markup=False)


@click.command()
@broker_option
@configs_option("A workspace config with a `schedule:` section; repeat for more.")
@click.option(
    "--schedule-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("funnelsync-beat-schedule"),
    show_default=True,
    help="Where beat remembers when each entry last ran.",
)
def beat(broker: str | None, configs: tuple[Path, ...], schedule_file: Path) -> None:
    """Run Celery beat: queue each workspace on the cron of its own `schedule.sync`."""
    from funnelsync.sync.distributed.app import make_app
    from funnelsync.sync.distributed.beat import beat_schedule
    from funnelsync.sync.scheduler import ScheduleError

    workspaces = [load(path)[1] for path in configs]
    try:
        entries = beat_schedule(workspaces)
    except ScheduleError as exc:
        err().print(f"[red]{exc}[/red]")
        exit_with(ExitCode.config_error)
    app = make_app(broker)
    app.conf.beat_schedule = entries
    for config, entry in entries.items():
        out().print(f"beat: {config} on {entry['schedule']}", markup=False)
    app.start(["beat", "--loglevel=INFO", f"--schedule={schedule_file}"])
