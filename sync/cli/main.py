"""The `funnelsync` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from funnelsync import __version__
from funnelsync.config import WorkspaceConfig
from funnelsync.connector import AuthenticationError, MappingRejectedError
from funnelsync.contract import FunnelContract
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.run_report import RunStatus
from funnelsync.sync.cli.check import check
from funnelsync.sync.cli.common import (
    config_option,
    err,
    exit_with,
    fail,
    json_option,
    load,
    out,
)
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.cli.funnel import explain, simulate_command
from funnelsync.sync.cli.logs import LogFormat, setup_logging
from funnelsync.sync.cli.report import report_command, sla_command
from funnelsync.sync.cli.schedule import schedule
from funnelsync.sync.cli.state import errors, history, retry, status
from funnelsync.sync.cli.summary import plan_document, print_plan, print_summary
from funnelsync.sync.demo.build import DemoExistsError, build_demo, default_demo_dir
from funnelsync.sync.demo.emulated import DemoSetupError, run_emulated_demo
from funnelsync.sync.engine.lock import WorkspaceBusyError
from funnelsync.sync.engine.progress import NoProgress, TerminalProgress
from funnelsync.sync.engine.run import RunFailedError, RunResult, run_sync
from funnelsync.sync.workspace.loading import Workspace
from funnelsync.sync.workspace.scaffold import (
    DEFAULT_PRESET,
    PRESETS,
    WorkspaceExistsError,
    write_templates,
)


def _exit_for(result: RunResult) -> ExitCode:
    status = result.report.status
    if status is RunStatus.ok:
        return ExitCode.ok
    if status is RunStatus.partial:
        return ExitCode.partial
    if isinstance(result.failure, AuthenticationError):
        return ExitCode.auth_error
    if isinstance(result.failure, MappingRejectedError):
        return ExitCode.config_error
    return ExitCode.failed


def _run(
    plugins: FunnelPlugins, workspace: Workspace, *, dry_run: bool = False, wait: bool = False
) -> RunResult:
    """Run (or plan) a sync with progress bars on a terminal; a failed run still returns."""
    try:
        if err().is_terminal:
            with TerminalProgress(err()) as progress:
                return run_sync(workspace, plugins, progress=progress, dry_run=dry_run, wait=wait)
        return run_sync(workspace, plugins, progress=NoProgress(), dry_run=dry_run, wait=wait)
    except RunFailedError as failed:
        return failed.result
    except WorkspaceBusyError as exc:
        fail(str(exc), ExitCode.busy)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    default=DEFAULT_PRESET,
    show_default=True,
    help="The systems to start from: "
    + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values())
    + ".",
)
def init(directory: Path, preset: str) -> None:
    """Create a working workspace in DIRECTORY: config and contract (with comments).

    The csv preset also creates empty CSV files. Edit funnelsync.yaml (connections,
    mappings) and contract.yaml (stages, scoring), then run `funnelsync validate` and
    `funnelsync sync`.
    """
    try:
        config_path = write_templates(directory, with_empty_data=True, preset=preset)
    except WorkspaceExistsError as exc:
        err().print(f"[red]{exc}[/red]")
        exit_with(ExitCode.config_error)
    console = out()
    console.print(f"Created {config_path} and {directory / 'contract.yaml'} ({preset} preset).")
    for step in PRESETS[preset].next_steps:
        console.print(step.format(config=config_path), markup=False)


@main.command()
@config_option
def validate(config_path: Path | None) -> None:
    """Check the config and its contract; exit 2 listing every problem (file:line: key: what)."""
    _, workspace = load(config_path)
    contract = workspace.contract
    connections = ", ".join(
        f"{connection.name} ({connection.config.connector})" for connection in workspace.connections
    )
    console = out()
    console.print(f"[green]OK[/green] {workspace.config_path}")
    console.print(f"  connections: {connections}")
    console.print(
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
                "rule_kinds": list(info.rule_kinds),
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
    table = Table("plugin", "distribution", "provides", "capabilities")
    for plugin in document["plugins"]:
        dist = f"{plugin['distribution'] or '-'} {plugin['version'] or ''}".strip()
        rows = [
            (f"connector {c['name']}", ", ".join(c["capabilities"])) for c in plugin["connectors"]
        ]
        rows += [(f"rule kind {kind}", "") for kind in plugin["rule_kinds"]]
        for provides, capabilities in rows or [("hooks", "")]:
            table.add_row(plugin["name"], dist, provides, capabilities)
    console = out()
    console.print(table)
    for failure in document["failures"]:
        console.print(
            f"[red]failed to load[/red] {failure['name']}: {failure['error']}", markup=True
        )


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
@click.option("--wait", is_flag=True, help="Wait for a running sync instead of refusing.")
def sync(config_path: Path | None, as_json: bool, wait: bool) -> None:
    """Run one sync: read what changed, merge, score, stage, and write back.

    Exit code 0 when all went through, 4 when some writes were left for the next run,
    1 when the run failed, 2 for an invalid configuration (or a mapping a system rejects),
    3 when a system refused the credentials, 5 when another sync is running.
    """
    loaded, workspace = load(config_path)
    result = _run(loaded, workspace, wait=wait)
    if as_json:
        click.echo(result.report.model_dump_json())
    else:
        print_summary(out(), workspace.contract, result)
    exit_with(_exit_for(result))


@main.command()
@config_option
@json_option
def plan(config_path: Path | None, as_json: bool) -> None:
    """Show what `sync` would do now, writing nothing and calling no write API.

    It runs the same steps as `sync` and stops before the first write, so its counts are
    the ones the next sync makes if nothing changes in between.
    """
    loaded, workspace = load(config_path)
    result = _run(loaded, workspace, dry_run=True)
    if as_json:
        click.echo(json.dumps(plan_document(result)))
    else:
        print_plan(out(), result)
    exit_with(ExitCode.failed if result.report.error else ExitCode.ok)


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to build the demo workspace [default: a new temporary directory].",
)
@click.option(
    "--systems",
    type=click.Choice(["csv", "emulators"]),
    default="csv",
    show_default=True,
    help="csv: two CSV systems, re-runnable; emulators: in-memory HubSpot and Salesforce.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the sample data.")
@click.option("--force", is_flag=True, help="Rebuild DIR if it holds an earlier demo.")
def demo(directory: Path | None, systems: str, seed: int, force: bool) -> None:
    """Build a demo workspace with generated data for two systems and run a sync there.

    With CSV systems (the default), run it again afterwards with
    `funnelsync sync --config DIR/funnelsync.yaml`. With `--systems emulators`, HubSpot
    and Salesforce emulators hold the data; the demo syncs until a sync writes nothing,
    then stops them (they live in memory), so that workspace cannot sync again.
    """
    target = directory or default_demo_dir()
    console = out()
    try:
        if systems == "emulators":
            emulated = run_emulated_demo(
                target,
                seed=seed,
                replace=force,
                plugins=create_plugins(),
                run=_run,
                console=console,
            )
            codes = [_exit_for(result) for result in emulated.runs]
            exit_with(next((code for code in codes if code is not ExitCode.ok), ExitCode.ok))
        built = build_demo(target, seed=seed, replace=force)
    except (DemoExistsError, DemoSetupError) as exc:
        err().print(f"[red]{exc}[/red]")
        exit_with(ExitCode.config_error if isinstance(exc, DemoExistsError) else ExitCode.failed)
    console.print(f"Demo workspace: {target.resolve()}")
    console.print(
        f"Generated {built.people} people: {built.marketing_leads} marketing leads, "
        f"{built.sales_leads} sales leads, {built.activities} activities, "
        f"{built.bad_rows} deliberately bad rows."
    )
    loaded, workspace = load(built.config_path)
    result = _run(loaded, workspace)
    print_summary(console, workspace.contract, result)
    console.print(f"Run it again: funnelsync sync --config {built.config_path}")
    exit_with(_exit_for(result))


for command in (
    errors,
    retry,
    status,
    history,
    explain,
    simulate_command,
    schedule,
    check,
    report_command,
    sla_command,
):
    main.add_command(command)
