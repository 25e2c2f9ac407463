"""Commands on the workspace's state: errors, retry, status, history, state rebuild."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from funnelsync.sync.cli.common import config_option, fail, json_option, load, open_store, out
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.engine.rebuild import rebuild_state
from funnelsync.sync.explaining import person_token
from funnelsync.sync.state.handoffs import undelivered_handoffs
from funnelsync.sync.state.timeline import RefusedEntry, TimelineStore


@click.command()
@config_option
@json_option
@click.option("--connection", help="Only this connection's records.")
@click.option(
    "--warnings",
    "show_warnings",
    is_flag=True,
    help="List the latest run's field warnings (values left empty or read one of two ways).",
)
def errors(
    config_path: Path | None, as_json: bool, connection: str | None, show_warnings: bool
) -> None:
    """List quarantined records (where they are, why, how often they were tried),
    timeline entries a system refused, and hand-offs to lead owners not delivered yet.

    Every run tries quarantined records again by itself (records that could not be read
    are mapped again, refused writes are planned again), up to 5 times; after that they
    wait for `funnelsync retry`. A refused timeline entry waits for `funnelsync retry`
    (all, --connection, or its ref) before it is sent again. With --warnings: the field
    warnings of the latest run that had any (an unreadable optional date is left empty and
    the record still syncs).
    """
    if show_warnings:
        _warnings(config_path, as_json, connection)
        return
    _, store = open_store(config_path)
    entries = store.quarantine(connection)
    refused = TimelineStore(store.engine).refused(connection)
    undelivered = undelivered_handoffs(store.engine)
    store.close()
    if as_json:
        document = {
            "quarantined": [asdict(entry) for entry in entries],
            "timeline_refused": [asdict(entry) for entry in refused],
            "handoffs": undelivered,
        }
        click.echo(json.dumps(document, indent=2))
        return
    console = out()
    if undelivered:
        console.print(handoff_table(undelivered))
    if refused:
        console.print(refused_table(refused))
    if not entries:
        console.print("No quarantined records.")
        return
    table = Table("connection", "where", "kind", "attempts", "last seen", "reason")
    for entry in entries:
        table.add_row(
            entry.connection,
            entry.location,
            entry.kind,
            f"{entry.attempts} (waits for retry)" if entry.parked else str(entry.attempts),
            entry.last_seen[:19],
            entry.reason,
        )
    console.print(table)
    console.print(f"{len(entries)} quarantined records.")


def handoff_table(undelivered: list[dict[str, object]]) -> Table:
    """Hand-off deliveries still open, one row each."""
    table = Table(
        "lead",
        "stage",
        "notifier",
        "status",
        "attempts",
        "error",
        title="Hand-offs not delivered yet (every sync tries them again)",
    )
    for item in undelivered:
        table.add_row(*(str(item[key] or "") for key in _HANDOFF_COLUMNS))
    return table


_HANDOFF_COLUMNS = ("lead", "stage", "notifier", "status", "attempts", "last_error")


def refused_table(refused: list[RefusedEntry]) -> Table:
    """Timeline entries a system refused, one row each."""
    table = Table(
        "connection",
        "ref",
        "lead",
        "activity",
        "refused at",
        "message",
        title="Timeline entries refused (funnelsync retry sends them again)",
    )
    for entry in refused:
        table.add_row(
            entry.connection,
            entry.ref,
            entry.email or "",
            f"{entry.source}:{entry.activity_id}",
            entry.at[:19],
            entry.message or "",
        )
    return table


def _warnings(config_path: Path | None, as_json: bool, connection: str | None) -> None:
    _, store = open_store(config_path)
    found = [w for w in store.field_warnings() if connection in (None, w.connection)]
    store.close()
    if as_json:
        click.echo(json.dumps({"warnings": [asdict(item) for item in found]}, indent=2))
        return
    console = out()
    if not found:
        console.print("No field warnings.")
        return
    table = Table("connection", "where", "warning")
    for item in found:
        table.add_row(item.connection, item.location, item.message)
    console.print(table)
    console.print(f"{len(found)} field warnings.")


@click.command()
@config_option
@click.option("--connection", help="Only this connection's records.")
@click.argument("record_key", required=False)
def retry(config_path: Path | None, connection: str | None, record_key: str | None) -> None:
    """Re-queue quarantined records and refused timeline entries (all, one connection's,
    or RECORD_KEY: a record key or a timeline entry's ref) for the next run.

    Records' attempt count starts again, so records that stopped being retried after 5
    attempts are tried on the next runs again; refused timeline entries are sent again.
    """
    _, store = open_store(config_path)
    count = store.requeue(connection, record_key)
    entries = TimelineStore(store.engine).requeue_rejected(connection, record_key)
    store.close()
    if record_key and not count and not entries:
        fail(f"no quarantined record or refused timeline entry {record_key!r}", ExitCode.failed)
    out().print(
        f"Re-queued {count} records and {entries} refused timeline entries; "
        "the next sync tries them again."
    )


@click.command()
@config_option
@json_option
@click.option("--limit", default=10, show_default=True, help="How many runs to show.")
def status(config_path: Path | None, as_json: bool, limit: int) -> None:
    """Show the most recent runs and what is waiting in quarantine."""
    _, store = open_store(config_path)
    runs = store.recent_runs(limit)
    quarantined = store.count("quarantine")
    persons = store.count("persons")
    store.close()
    if as_json:
        document = {
            "runs": [run.model_dump(mode="json") for run in runs],
            "quarantined": quarantined,
            "leads": persons,
        }
        click.echo(json.dumps(document, indent=2))
        return
    console = out()
    table = Table("run", "status", "started", "seconds", "created", "updated", "quarantined")
    for run in runs:
        table.add_row(
            run.run_id,
            run.status.value,
            run.started_at.isoformat(timespec="seconds"),
            f"{run.duration_s:.1f}",
            str(sum(c.created for c in run.connections.values())),
            str(sum(c.updated for c in run.connections.values())),
            str(sum(c.quarantined for c in run.connections.values())),
        )
    console.print(table)
    console.print(f"{persons} leads; {quarantined} records in quarantine (`funnelsync errors`).")


@click.command()
@config_option
@json_option
@click.argument("email")
def history(config_path: Path | None, as_json: bool, email: str) -> None:
    """Every change funnelsync made to EMAIL's records in every system, and why."""
    _, store = open_store(config_path)
    try:
        wanted = person_token(email)
    except ValueError as exc:
        fail(str(exc), ExitCode.config_error)
    found = store.person_by_key(wanted)
    if found is None:
        store.close()
        fail(f"no lead with the email {wanted}", ExitCode.failed)
    person_id, lead = found
    changes, stages = store.history(person_id)
    store.close()
    if as_json:
        document = {
            "email": lead.email,
            "stage": lead.stage,
            "changes": [asdict(change) for change in changes],
            "stages": [asdict(stage) for stage in stages],
        }
        click.echo(json.dumps(document, indent=2))
        return
    console = out()
    console.print(f"{lead.email or wanted}: now {lead.stage}, score {lead.score}")
    for stage in stages:
        console.print(
            f"  {stage.at[:19]} stage {stage.from_stage or '-'} → {stage.to_stage}: {stage.reason}",
            markup=False,
        )
    for change in changes:
        fields = ", ".join(
            f"{field}: {old!r} → {new!r}" for field, (old, new) in change.changes.items()
        )
        console.print(
            f"  {change.at[:19]} {change.action} {change.connection} {change.record_id}: "
            f"{fields} ({change.reason})",
            markup=False,
        )


@click.group()
def state() -> None:
    """Repair the workspace's state database."""


@state.command()
@config_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rebuild(config_path: Path | None, yes: bool) -> None:
    """Set the state database aside and relink every record from the systems by key.

    For a damaged or lost state/funnelsync.db: every connection's lead records are read
    and linked to one person by email, as a first sync does; nothing is written to any
    system. The next sync recomputes everyone and updates the linked records, so nothing
    is created twice. Stage history, audit and quarantine stay in the file set aside.
    """
    _, workspace = load(config_path)
    if not yes:
        click.confirm(f"Set aside the state in {workspace.state_dir} and rebuild it?", abort=True)
    result = rebuild_state(workspace)
    console = out()
    if result.set_aside is not None:
        console.print(f"The old state database is now {result.set_aside}.", markup=False)
    linked = ", ".join(f"{name} {count}" for name, count in result.links.items()) or "none"
    console.print(f"Relinked {result.persons} people by email; records per connection: {linked}.")
    if result.unreadable:
        console.print(f"{result.unreadable} records could not be read; the next sync lists them.")
    for note in result.notes:
        console.print(f"Note: {note}", markup=False)
    console.print("Run `funnelsync sync` to recompute scores and stages.")
