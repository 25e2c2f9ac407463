"""The human summary of a run, printed by `funnelsync sync` and `funnelsync demo`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from funnelsync.connector import ActivityWrite
from funnelsync.contract import FunnelContract
from funnelsync.sync.engine.planning import ConnectionPlan, RejectedWrite
from funnelsync.sync.engine.run import RunResult

QUARANTINE_SHOWN = 5


def print_summary(console: Console, contract: FunnelContract, result: RunResult) -> None:
    """Stages, MQLs, what changed in each system, and what was quarantined."""
    report = result.report
    console.print(
        f"Run {report.run_id}: [bold]{report.status.value}[/bold] in {report.duration_s:.2f}s — "
        f"{report.leads} leads, {report.activities} activities"
    )
    if report.status_rule:
        console.print(f"Why {report.status.value}: {report.status_rule}", markup=False)
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
    for note in report.notes:
        console.print(f"Note: {note}", markup=False)
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


def plan_document(result: RunResult) -> dict[str, Any]:
    """The JSON form of a plan: counts per connection and each planned write."""
    report = result.report
    return {
        "run_id": report.run_id,
        "dry_run": True,
        "status": report.status.value,
        "error": report.error,
        "connections": {
            name: {
                "read": counts.read,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "quarantined": counts.quarantined,
                "writes": [
                    {
                        "email": planned.write.key,
                        "record_id": planned.write.record_id,
                        "action": "create" if planned.creates else "update",
                        "fields": {
                            field: {"old": planned.old.get(field), "new": new}
                            for field, new in planned.write.fields.items()
                        },
                        "reason": planned.reason,
                    }
                    for planned in result.plans.get(name, ConnectionPlan()).writes
                ],
                "refused": counts.refused,
                "rejected": [
                    {
                        "email": rejected.write.key,
                        "record_id": rejected.write.record_id,
                        "action": "create" if rejected.write.record_id is None else "update",
                        "message": rejected.message,
                    }
                    for rejected in _refusals(result.plans.get(name, ConnectionPlan()))
                ],
                "timeline": [_entry_document(write) for write in result.timeline.get(name, [])],
            }
            for name, counts in report.connections.items()
        },
        "stage_changes": len(result.stage_changes),
    }


def _entry_document(write: ActivityWrite) -> dict[str, Any]:
    return {
        "ref": write.ref,
        "email": write.email,
        "record_id": write.record_id or None,
        "type": write.type,
        "occurred_at": write.occurred_at.isoformat(),
        "subject": write.subject,
    }


def _refusals(plan: ConnectionPlan) -> list[RejectedWrite]:
    return [*plan.rejected, *plan.predicted]


def _print_timeline(console: Console, name: str, entries: list[ActivityWrite], shown: int) -> None:
    if not entries:
        return
    console.print(f"  {name}: {len(entries)} timeline entries to write", markup=False)
    for write in entries[:shown]:
        record = write.record_id or "the record this sync creates"
        console.print(f"    timeline {write.email} ({record}): {write.subject}", markup=False)
    if len(entries) > shown:
        console.print(f"    … and {len(entries) - shown} more timeline entries (see plan --json)")


def print_plan(console: Console, result: RunResult, shown: int = 10) -> None:
    """What a sync would write, per connection, with a few example changes, and every
    write the system would refuse (up to ``shown`` per connection; `--json` has all)."""
    report = result.report
    if report.error:
        console.print(f"[red]Error:[/red] {report.error}")
    console.print("Plan (nothing written):")
    for name, counts in report.connections.items():
        console.print(
            f"  {name}: {counts.created} to create, {counts.updated} to update, "
            f"{counts.unchanged} unchanged, {counts.quarantined} quarantined"
            + (f", {counts.refused} would be refused" if counts.refused else "")
        )
        plan = result.plans.get(name, ConnectionPlan())
        refused = {id(rejected.write) for rejected in plan.predicted}
        for planned in [p for p in plan.writes if id(p.write) not in refused][:shown]:
            changes = ", ".join(
                f"{field}: {planned.old.get(field)!r} → {new!r}"
                for field, new in planned.write.fields.items()
            )
            action = "create" if planned.creates else "update"
            console.print(f"    {action} {planned.write.key}: {changes}", markup=False)
        refusals = _refusals(plan)
        for rejected in refusals[:shown]:
            console.print(f"    refused {rejected.write.key}: {rejected.message}", markup=False)
        if len(refusals) > shown:
            console.print(f"    … and {len(refusals) - shown} more refused (see plan --json)")
        _print_timeline(console, name, result.timeline.get(name, []), shown)
    console.print(f"{len(result.stage_changes)} leads would change stage.")
    if report.status_rule and report.status.value != "ok" and not report.error:
        console.print(f"A sync now would end {report.status.value}: {report.status_rule}")
