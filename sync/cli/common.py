"""What every `funnelsync` command shares: options, consoles, loading a workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.errors import ConfigError
from funnelsync.sync.workspace.loading import Workspace, default_config_path, load_workspace

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Workspace config file [default: $FUNNELSYNC_CONFIG or ./funnelsync.yaml].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


WIDE = 160
"""Columns for output that is not a terminal (logs, pipes), so tables stay readable."""


def out() -> Console:
    """The console for results (standard output)."""
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else WIDE)


def err() -> Console:
    """The console for progress and errors (standard error)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def exit_with(code: ExitCode) -> NoReturn:
    """Leave the process with ``code``."""
    sys.exit(int(code))


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``message`` in red on standard error and exit with ``code``."""
    err().print(message, style="red", markup=False)
    exit_with(code)


def load(config_path: Path | None) -> tuple[FunnelPlugins, Workspace]:
    """Plugins and the workspace, or exit 2 listing every configuration problem."""
    plugins = create_plugins()
    path = config_path or default_config_path()
    try:
        return plugins, load_workspace(path, plugins)
    except ConfigError as exc:
        console = err()
        console.print(f"[red]Invalid configuration[/red] ({len(exc.problems)} problem(s)):")
        for problem in exc.problems:
            console.print(f"  {problem}", markup=False)
        exit_with(ExitCode.config_error)


def open_store(config_path: Path | None) -> tuple[Workspace, StateStore]:
    """The workspace and its state store (exits 2 on a bad configuration)."""
    _, workspace = load(config_path)
    return workspace, StateStore.open(workspace.state_dir, workspace.state_url)
