"""`funnelsync demo`: build a demo workspace with generated data and sync it."""

from __future__ import annotations

from pathlib import Path

import click

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.common import (
    err,
    exit_with,
    fail,
    load,
    out,
)
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.cli.run import exit_code_for, run_with_progress
from funnelsync.sync.cli.serve import serve_screen
from funnelsync.sync.cli.summary import print_summary
from funnelsync.sync.demo.build import DemoExistsError, build_demo, default_demo_dir
from funnelsync.sync.demo.emulated import DemoSetupError, run_emulated_demo


@click.command()
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
@click.option(
    "--serve",
    "serve_port",
    type=int,
    default=None,
    is_flag=False,
    flag_value=8000,
    metavar="[PORT]",
    help="Then open the admin screen on it (127.0.0.1:PORT, default 8000; CSV systems only).",
)
def demo(
    directory: Path | None, systems: str, seed: int, force: bool, serve_port: int | None
) -> None:
    """Build a demo workspace with generated data for two systems and run a sync there.

    With CSV systems (the default), run it again afterwards with
    `funnelsync sync --config DIR/funnelsync.yaml`. With `--systems emulators`, HubSpot
    and Salesforce emulators hold the data; the demo syncs until a sync writes nothing,
    then stops them (they live in memory), so that workspace cannot sync again.
    With `--serve`, the admin screen then opens on the CSV demo (actions allowed, on
    loopback) until you stop it with Ctrl-C.
    """
    target = directory or default_demo_dir()
    console = out()
    if serve_port is not None and systems == "emulators":
        fail("--serve needs the CSV demo: the emulators stop with the demo", ExitCode.config_error)
    try:
        if systems == "emulators":
            emulated = run_emulated_demo(
                target,
                seed=seed,
                replace=force,
                plugins=create_plugins(),
                run=run_with_progress,
                console=console,
            )
            codes = [exit_code_for(result) for result in emulated.runs]
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
    result = run_with_progress(loaded, workspace)
    print_summary(console, workspace.contract, result)
    console.print(f"Leads gone quiet (stalled): funnelsync stalled --config {built.config_path}")
    console.print(f"Run it again: funnelsync sync --config {built.config_path}")
    if serve_port is not None:
        serve_screen((built.config_path,), "127.0.0.1", serve_port, allow_actions=True)
    exit_with(exit_code_for(result))
