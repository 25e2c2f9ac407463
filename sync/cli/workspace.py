"""Commands about a workspace's setup: `init`, `validate`, `plugins`, `schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from funnelsync.config import WorkspaceConfig
from funnelsync.contract import FunnelContract
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.checking import offline_missing_fields, offline_setting_problems
from funnelsync.sync.cli.common import (
    config_option,
    err,
    exit_with,
    json_option,
    load,
    out,
)
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.workspace.scaffold import (
    DEFAULT_PRESET,
    PRESETS,
    WorkspaceExistsError,
    write_templates,
)


@click.command()
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


@click.command()
@config_option
def validate(config_path: Path | None) -> None:
    """Check the config and its contract; exit 2 listing every problem (file:line: key: what).

    Also checks, offline, that every mapped column exists where a system's fields can be
    known without calling it (a CSV file's header), suggesting the closest existing one,
    and that a CSV modified_column exists and holds ISO 8601 timestamps.
    """
    _, workspace = load(config_path)
    missing = [
        item
        for connection in workspace.connections
        for item in offline_missing_fields(connection, workspace.root)
    ]
    problems = [f"{item.key}: {item.message()}" for item in missing] + [
        problem
        for connection in workspace.connections
        for problem in offline_setting_problems(connection, workspace.root)
    ]
    if problems:
        console = err()
        console.print(f"[red]Invalid configuration[/red] ({len(problems)} problem(s)):")
        for problem in problems:
            console.print(f"  {workspace.config_path}: {problem}", markup=False)
        exit_with(ExitCode.config_error)
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


@click.command()
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


@click.command()
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
