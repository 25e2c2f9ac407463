"""The `funnelsync` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from funnelsync import __version__
from funnelsync.config import WorkspaceConfig
from funnelsync.contract import FunnelContract
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.run_report import RunStatus
from funnelsync.sync.config_errors import ConfigError
from funnelsync.sync.demo import DemoExistsError, build_demo, default_demo_dir
from funnelsync.sync.engine import RunFailedError, RunResult, run_sync
from funnelsync.sync.exit_codes import ExitCode
from funnelsync.sync.progress import NoProgress, TerminalProgress
from funnelsync.sync.scaffold import WorkspaceExistsError, write_templates
from funnelsync.sync.summary import print_summary
from funnelsync.sync.workspace import Workspace, default_config_path, load_workspace

CONFIG_HELP = "Workspace config file [default: $FUNNELSYNC_CONFIG or ./funnelsync.yaml]."

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=CONFIG_HELP,
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _exit(code: ExitCode) -> NoReturn:
    sys.exit(int(code))


def _load(config_path: Path | None) -> tuple[FunnelPlugins, Workspace]:
    """Plugins and the workspace, or exit 2 listing every configuration problem."""
    plugins = create_plugins()
    path = config_path or default_config_path()
    try:
        return plugins, load_workspace(path, plugins)
    except ConfigError as exc:
        console = _err()
        console.print(f"[red]Invalid configuration[/red] ({len(exc.problems)} problem(s)):")
        for problem in exc.problems:
            console.print(f"  {problem}", markup=False)
        _exit(ExitCode.config_error)


def _exit_for(result: RunResult) -> ExitCode:
    status = result.report.status
    if status is RunStatus.ok:
        return ExitCode.ok
    return ExitCode.partial if status is RunStatus.partial else ExitCode.failed


def _run(plugins: FunnelPlugins, workspace: Workspace) -> RunResult:
    """Run a sync with progress bars on a terminal; a failed run still returns its result."""
    try:
        if _err().is_terminal:
            with TerminalProgress(_err()) as progress:
                return run_sync(workspace, plugins, progress=progress)
        return run_sync(workspace, plugins, progress=NoProgress())
    except RunFailedError as failed:
        return failed.result


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="funnelsync")
def main() -> None:
    """funnelsync keeps marketing and sales systems on one funnel contract.

    It reads leads and activities from every connection, merges them into one lead per
    person, scores and stages them by the contract, and writes the result back.
    """


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Create a working workspace in DIRECTORY: config, contract and empty CSV files.

    Edit funnelsync.yaml (connections, mappings) and contract.yaml (stages, scoring),
    then run `funnelsync validate` and `funnelsync sync`.
    """
    try:
        config_path = write_templates(directory, with_empty_data=True)
    except WorkspaceExistsError as exc:
        _err().print(f"[red]{exc}[/red]")
        _exit(ExitCode.config_error)
    out = _out()
    out.print(f"Created {config_path} and {directory / 'contract.yaml'}.")
    out.print(f"Next: funnelsync validate --config {config_path}")


@main.command()
@config_option
def validate(config_path: Path | None) -> None:
    """Check the config and its contract; exit 2 listing every problem (file:line: key: what)."""
    _, workspace = _load(config_path)
    contract = workspace.contract
    connections = ", ".join(
        f"{connection.name} ({connection.config.connector})" for connection in workspace.connections
    )
    out = _out()
    out.print(f"[green]OK[/green] {workspace.config_path}")
    out.print(f"  connections: {connections}")
    out.print(
        f"  contract {contract.name or workspace.contract_path.name!r} version {contract.version}: "
        f"{len(contract.stages)} stages, {len(contract.detours)} detours, "
        f"{len(contract.scoring.fit.rules)} fit rules, "
        f"{len(contract.scoring.engagement.points)} scored activity types"
    )


@main.command()
@json_option
def plugins(as_json: bool) -> None:
    """List loaded plugins, their connectors and capabilities, and plugins that failed to load."""
    loaded = create_plugins()
    connectors = loaded.connectors()
    document: dict[str, Any] = {
        "plugins": [
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "connectors": [
                    {"name": name, "capabilities": connectors[name].capabilities.names()}
                    for name in info.connectors
                ],
            }
            for info in loaded.plugins
        ],
        "failures": [
            {"name": failure.name, "distribution": failure.distribution, "error": failure.error}
            for failure in loaded.failures
        ],
    }
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    table = Table("plugin", "distribution", "connector", "capabilities")
    for plugin in document["plugins"]:
        dist = f"{plugin['distribution'] or '-'} {plugin['version'] or ''}".strip()
        for connector in plugin["connectors"] or [{"name": "-", "capabilities": []}]:
            table.add_row(
                plugin["name"], dist, connector["name"], ", ".join(connector["capabilities"])
            )
    out = _out()
    out.print(table)
    for failure in document["failures"]:
        out.print(f"[red]failed to load[/red] {failure['name']}: {failure['error']}", markup=True)


@main.command()
@click.argument("which", required=False, default="all")
def schema(which: str) -> None:
    """Print JSON Schema: WHICH is `config`, `contract`, a connector's name, or `all`.

    Point your editor's YAML language server at it to get completion and checking.
    """
    schemas: dict[str, Any] = {
        "config": WorkspaceConfig.model_json_schema(),
        "contract": FunnelContract.model_json_schema(by_alias=True),
    }
    connectors = create_plugins().connectors()
    if which == "all":
        document: Any = schemas
    elif which in schemas:
        document = schemas[which]
    elif which in connectors:
        document = connectors[which].settings_model.model_json_schema()
    else:
        choices = ", ".join(["all", *schemas, *sorted(connectors)])
        raise click.BadParameter(f"{which!r} is not one of: {choices}", param_hint="WHICH")
    click.echo(json.dumps(document, indent=2))


@main.command()
@config_option
@json_option
def sync(config_path: Path | None, as_json: bool) -> None:
    """Run one sync: read every connection, merge, score, stage, and write back.

    Exit code 0 when all went through, 4 when some writes were left for the next run,
    1 when the run failed, 2 for an invalid configuration.
    """
    loaded, workspace = _load(config_path)
    result = _run(loaded, workspace)
    if as_json:
        click.echo(result.report.model_dump_json())
    else:
        print_summary(_out(), workspace.contract, result)
    _exit(_exit_for(result))


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to build the demo workspace [default: a new temporary directory].",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the sample data.")
@click.option("--force", is_flag=True, help="Rebuild DIR if it holds an earlier demo.")
def demo(directory: Path | None, seed: int, force: bool) -> None:
    """Build a demo workspace with generated data for two systems and run a sync there.

    Afterwards, run it again with `funnelsync sync --config DIR/funnelsync.yaml`.
    """
    target = directory or default_demo_dir()
    out = _out()
    try:
        built = build_demo(target, seed=seed, replace=force)
    except DemoExistsError as exc:
        _err().print(f"[red]{exc}[/red]")
        _exit(ExitCode.config_error)
    out.print(f"Demo workspace: {target.resolve()}")
    out.print(
        f"Generated {built.people} people: {built.marketing_leads} marketing leads, "
        f"{built.sales_leads} sales leads, {built.activities} activities, "
        f"{built.bad_rows} deliberately bad rows."
    )
    loaded, workspace = _load(built.config_path)
    result = _run(loaded, workspace)
    print_summary(out, workspace.contract, result)
    out.print(f"Run it again: funnelsync sync --config {built.config_path}")
    _exit(_exit_for(result))
