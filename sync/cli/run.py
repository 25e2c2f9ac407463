"""`funnelsync sync` and `funnelsync plan`: one run, or what it would do; exit codes by outcome."""

from __future__ import annotations

import json
from pathlib import Path

import click

from funnelsync.connector import AuthenticationError, MappingRejectedError
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.run_report import RunStatus
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
from funnelsync.sync.cli.summary import plan_document, print_plan, print_summary
from funnelsync.sync.engine.lock import WorkspaceBusyError
from funnelsync.sync.engine.progress import NoProgress, TerminalProgress
from funnelsync.sync.engine.run import RunFailedError, RunResult, run_sync
from funnelsync.sync.workspace.loading import Workspace


def exit_code_for(result: RunResult) -> ExitCode:
    """The process exit code for a finished (or failed) run."""
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


def run_with_progress(
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


@click.command()
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
    result = run_with_progress(loaded, workspace, wait=wait)
    if as_json:
        click.echo(result.report.model_dump_json())
    else:
        print_summary(out(), workspace.contract, result)
    exit_with(exit_code_for(result))


@click.command()
@config_option
@json_option
def plan(config_path: Path | None, as_json: bool) -> None:
    """Show what `sync` would do now, writing nothing and calling no write API.

    It runs the same steps as `sync` and stops before the first write, so its counts are
    the ones the next sync makes if nothing changes in between. It lists each write the
    systems would refuse (a value their text encoding cannot hold, a value outside a
    restricted picklist, text longer than the field) and exits with the code that sync
    would: 0 all would go through, 4 some would be refused or left, 1 failed, 2 invalid
    configuration (or a mapping a system rejects), 3 credentials refused.
    """
    loaded, workspace = load(config_path)
    result = run_with_progress(loaded, workspace, dry_run=True)
    if as_json:
        click.echo(json.dumps(plan_document(result)))
    else:
        print_plan(out(), result)
    exit_with(exit_code_for(result))
