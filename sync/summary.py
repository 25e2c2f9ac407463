"""The human summary of a run, printed by `funnelsync sync` and `funnelsync demo`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from funnelsync.contract import FunnelContract
from funnelsync.sync.engine import RunResult

QUARANTINE_SHOWN = 5


def print_summary(console: Console, contract: FunnelContract, result: RunResult) -> None:
    """Stages, MQLs, what changed in each system, and what was quarantined."""
    report = result.report
    console.print(
        f"Run {report.run_id}: [bold]{report.status.value}[/bold] in {report.duration_s:.2f}s — "
        f"{report.leads} leads, {report.activities} activities"
    )
    if report.error:
        console.print(f"[red]Error:[/red] {report.error}")
    stages = Table(title="Leads per stage", title_justify="left")
    stages.add_column("stage")
    stages.add_column("team")
    stages.add_column("leads", justify="right")
    for stage in contract.all_stages:
        detour = stage in contract.detours
        name = f"{stage.display_name} (detour)" if detour else stage.display_name
        stages.add_row(name, stage.team.value, str(report.stages.get(stage.name, 0)))
    console.print(stages)
    mql = contract.stage(contract.mql_stage).display_name
    console.print(f"{mql}s (at or past {mql}): [bold]{report.mqls}[/bold]")
    systems = Table(title="Changes per system", title_justify="left")
    for column in ("connection", "read", "created", "updated", "unchanged", "quarantined"):
        systems.add_column(column, justify="left" if column == "connection" else "right")
    for name, counts in report.connections.items():
        systems.add_row(
            name,
            str(counts.read),
            str(counts.created),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.quarantined),
        )
    console.print(systems)
    if report.activities_without_lead:
        console.print(
            f"Activities matching no lead in any system: {report.activities_without_lead}"
        )
    if result.stage_changes:
        console.print(f"{len(result.stage_changes)} leads changed stage.")
    if result.quarantined:
        console.print(f"{len(result.quarantined)} records quarantined (not synced), e.g.:")
        for item in result.quarantined[:QUARANTINE_SHOWN]:
            console.print(f"  {item.connection} {item.location}: {item.reason}", markup=False)
