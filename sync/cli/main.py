"""The `funnelsync` command line: the top-level group and its commands."""

from __future__ import annotations

from typing import Any

import click

from funnelsync import __version__
from funnelsync.sync.cli.check import check
from funnelsync.sync.cli.common import fail
from funnelsync.sync.cli.demo import demo
from funnelsync.sync.cli.distributed import beat, enqueue, worker
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.cli.funnel import explain, simulate_command
from funnelsync.sync.cli.logs import LogFormat, setup_logging
from funnelsync.sync.cli.report import report_command, sla_command
from funnelsync.sync.cli.run import plan, sync
from funnelsync.sync.cli.schedule import schedule
from funnelsync.sync.cli.serve import serve
from funnelsync.sync.cli.stalled import stalled_command
from funnelsync.sync.cli.state import errors, history, retry, state, status
from funnelsync.sync.cli.workspace import init, plugins, schema, validate
from funnelsync.sync.state.errors import StateError


class _Commands(click.Group):
    """The command group; a state fault ends any command with its message and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StateError as exc:
            fail(str(exc), ExitCode.failed)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="funnelsync")
@click.option(
    "--log-format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="Log lines on standard error: readable text or JSON lines.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Least important log lines shown (`info` gives a line per connection and run).",
)
@click.pass_context
def main(ctx: click.Context, log_format: LogFormat, log_level: str) -> None:
    """funnelsync keeps marketing and sales systems on one funnel contract.

    It reads leads and activities from every connection, merges them into one lead per
    person, scores and stages them by the contract, and writes the result back.
    """
    setup_logging(log_format, log_level)
    ctx.obj = {
        "log_format": log_format,
        "log_level_given": ctx.get_parameter_source("log_level")
        is not click.core.ParameterSource.DEFAULT,
    }


for command in (
    init,
    validate,
    plugins,
    schema,
    sync,
    plan,
    demo,
    errors,
    retry,
    status,
    history,
    state,
    explain,
    simulate_command,
    schedule,
    check,
    report_command,
    sla_command,
    stalled_command,
    worker,
    enqueue,
    beat,
    serve,
):
    main.add_command(command)
