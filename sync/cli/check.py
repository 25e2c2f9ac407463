"""`funnelsync check`: connections, mapped fields and values, and fixes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from funnelsync.sync.checking import check_workspace_connections
from funnelsync.sync.cli.common import config_option, exit_with, json_option, load, out
from funnelsync.sync.cli.exit_codes import ExitCode


@click.command()
@config_option
@json_option
@click.option("--fix", is_flag=True, help="Create missing fields where the connector can.")
def check(config_path: Path | None, as_json: bool, fix: bool) -> None:
    """Check every connection: reachable, credentials, mapped fields and values, budget.

    Lists exactly what to change and where. With --fix, missing fields the mapping writes
    are created (after being listed) where the connector can create them. Exit code 0
    when everything is in order, 1 otherwise.
    """
    _, workspace = load(config_path)
    checks = check_workspace_connections(
        workspace.connections,
        workspace.root,
        workspace.contract,
        fix=fix,
        state_dir=workspace.state_dir,
    )
    if as_json:
        click.echo(
            json.dumps({"connections": [asdict(c) | {"ok": c.ok} for c in checks]}, indent=2)
        )
    else:
        console = out()
        for result in checks:
            console.print(f"{'✓' if result.ok else '✗'} {result.name}", markup=False)
            for message in result.messages:
                console.print(f"    {message}", markup=False)
            for info in result.missing_fields:
                console.print(
                    f"    missing field {info.name} ({info.type}): create it in {result.name}"
                    + ("" if fix else ", or run `funnelsync check --fix`"),
                    markup=False,
                )
            for name in result.created:
                console.print(f"    created field {name}", markup=False)
            for problem in result.problems:
                console.print(f"    {problem}", markup=False)
    exit_with(ExitCode.ok if all(c.ok for c in checks) else ExitCode.failed)
