"""The `funnelsync` command line: the top-level group and its commands."""

from __future__ import annotations

import importlib
from typing import Any

import click

from funnelsync import __version__
from funnelsync.sync.cli.common import fail
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.cli.logs import LogFormat, setup_logging
from funnelsync.sync.state.errors import StateError

COMMANDS: dict[str, str] = {
    "init": "workspace:init",
    "validate": "workspace:validate",
    "plugins": "workspace:plugins",
    "schema": "workspace:schema",
    "sync": "run:sync",
    "plan": "run:plan",
    "demo": "demo:demo",
    "errors": "state:errors",
    "retry": "state:retry",
    "status": "state:status",
    "history": "state:history",
    "state": "state:state",
    "explain": "funnel:explain",
    "simulate": "funnel:simulate_command",
    "schedule": "schedule:schedule",
    "check": "check:check",
    "report": "report:report_command",
    "sla": "report:sla_command",
    "stalled": "stalled:stalled_command",
    "worker": "distributed:worker",
    "enqueue": "distributed:enqueue",
    "beat": "distributed:beat",
    "serve": "serve:serve",
}
"""Command name → ``module:attribute`` under :mod:`funnelsync.sync.cli`, imported only when
the command runs (or help lists it), so a scheduled ``sync`` does not load the report, the
demo or the web screen."""


class _Commands(click.Group):
    """The command group, loading each command on first use; a state fault ends any
    command with its message and exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"funnelsync.sync.cli.{module_name}")
            self.add_command(getattr(module, attribute), cmd_name)
        return self.commands.get(cmd_name)

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
