"""Marketing engagement on the sales timeline: write each significant activity once.

After a run has committed, every stored activity of a ``timeline.significant`` type (at
most ``lookback_days`` old) of a person in a sales-visible stage is written to each other
connection that takes timeline entries and holds a record of that person, unless the
``timeline`` table already has it. The entry's reference (``ref``) is derived from where
the activity was read, so it is the same on every run.

Write-ahead: the entries of a call are saved ``pending`` before the call and marked
``written`` with the entry's id after it. When the state holds no entry of a connection
at all (its first entries, or a rebuilt state database), the system is asked first which
it already holds. A run that starts with pending rows asks the
system which of them it holds (:meth:`Connector.find_activities`) before reading
anything: found ones are marked written, the rest are dropped and sent again. Entries a
system reads back (a Task, a note) are recognised by their id and never counted as new
engagement (:func:`echo_ids`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from funnelsync.connector import (
    ActivityWrite,
    BudgetExhaustedError,
    Connector,
    ConnectorError,
    WriteResult,
    WriteStatus,
)
from funnelsync.contract import FunnelContract
from funnelsync.models import Lead, as_moment
from funnelsync.sync.engine.planning import ConnectionPlan
from funnelsync.sync.state.store import Identity, StateStore, StoredActivity
from funnelsync.sync.state.timeline import (
    PlannedEntry,
    TimelineStore,
    Unwritten,
    has_entries,
    records_of,
    unwritten_activities,
)
from funnelsync.sync.workspace.loading import Connection

logger = logging.getLogger(__name__)

CALL_SIZE = 500
"""Entries saved pending and handed to a connector at once (it splits them into calls at
its system's maximum)."""


def entry_ref(source: str, activity_id: str) -> str:
    """funnelsync's reference of the timeline entry for one activity (stable, ≤ 40 chars)."""
    digest = hashlib.sha256(f"{source}\x1f{activity_id}".encode()).hexdigest()
    return f"funnelsync-{digest[:24]}"


def _takers(
    connections: Sequence[Connection], connectors: Sequence[Connector]
) -> list[tuple[str, Connector]]:
    return [
        (connection.name, connector)
        for connection, connector in zip(connections, connectors, strict=True)
        if connector.capabilities.write_activities and connector.takes_activities()
    ]


def reconcile_pending(
    store: StateStore, connections: Sequence[Connection], connectors: Sequence[Connector]
) -> list[str]:
    """Settle the pending entries a killed run left: look each up in its system.

    Returns notes for the run report."""
    timeline = TimelineStore(store.engine)
    pending = timeline.pending()
    notes = []
    for name, connector in _takers(connections, connectors):
        refs = pending.get(name)
        if not refs:
            continue
        try:
            found = connector.find_activities(refs)
        except ConnectorError as exc:
            notes.append(f"{name}: timeline entries left pending (cannot look them up: {exc})")
            continue
        timeline.finish(name, found, {}, [ref for ref in refs if ref not in found])
        notes.append(
            f"{name}: {len(refs)} timeline entries a stopped run left pending: "
            f"{len(found)} had landed, {len(refs) - len(found)} are sent again"
        )
    return notes


def echo_ids(store: StateStore, connection: str) -> set[str]:
    """Ids of the timeline entries funnelsync wrote to ``connection``: an activity read back
    with one of them is funnelsync's own entry, not engagement (reading drops it)."""
    return TimelineStore(store.engine).entry_ids(connection)


@dataclass(slots=True)
class TimelineOutcome:
    """What :func:`push_timeline` wrote, per connection."""

    written: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunView:
    """What a planned run (`funnelsync plan`) knows that the state does not hold yet."""

    activities: Sequence[StoredActivity]
    """The activities it read."""
    person_by_key: Mapping[str, int]
    """Identity token → person, new people included."""
    leads: Mapping[int, Lead]
    """The leads as the run computed them (their new stages)."""
    creating: Mapping[str, set[int]]
    """Connection → the people whose record there the run would create."""


def run_view(
    activities: Sequence[StoredActivity],
    identity: Identity,
    leads: Mapping[int, Lead],
    plans: Mapping[str, ConnectionPlan],
) -> RunView:
    """The :class:`RunView` of a planned run: what it read, its people, its leads, and the
    records its planned writes create."""
    creating = {
        name: {person for person, _, record_id in plan.writes.heads() if record_id is None}
        for name, plan in plans.items()
    }
    return RunView(activities, identity.person_by_key, leads, creating)


NEW_RECORD = ""
"""The ``record_id`` of a planned entry on a record the planned sync would create."""


def _unwritten(
    store: StateStore,
    contract: FunnelContract,
    target: str,
    as_of: datetime,
    view: RunView | None = None,
) -> list[tuple[Unwritten, datetime]]:
    """What can still be written to ``target``, each with its moment, oldest first.

    Without ``view`` the state database picks them (sales-visible people with a record
    there); with a planned run's ``view``, the run may change stages and create records,
    so every stored person's activities are taken, with the run's own added: the caller
    keeps those of sales-visible people with a record."""
    timeline = contract.timeline
    since = as_of - timedelta(days=timeline.lookback_days)
    stages = [
        stage.name
        for stage in contract.all_stages
        if view is not None or contract.sales_visible(stage.name)
    ]
    rows = {
        (row.source, row.activity_id): row
        for row in unwritten_activities(
            store.engine,
            target,
            timeline.significant,
            since,
            stages,
            linked=view is None,
        )
    }
    if view is not None:
        wanted = set(timeline.significant)
        done = TimelineStore(store.engine).refs(target)
        for a in view.activities:
            person_id = view.person_by_key.get(a.email)
            if (
                a.type in wanted
                and a.connection != target
                and person_id is not None
                and entry_ref(a.connection, a.activity_id) not in done
            ):
                rows[(a.connection, a.activity_id)] = Unwritten(
                    a.connection,
                    a.activity_id,
                    person_id,
                    a.type,
                    a.occurred_at.isoformat(),
                    a.campaign,
                    a.asset,
                )
    found = []
    for row in rows.values():
        moment = as_moment(row.occurred_at)
        if moment is None or moment < since or moment > as_of + timedelta(days=1):
            continue
        found.append((row, moment))
    found.sort(key=lambda item: (item[1], item[0].activity_id))
    return found


def _describe(
    contract: FunnelContract, candidate: Unwritten, moment: datetime, lead: Lead
) -> tuple[str, str]:
    label = contract.timeline.label(candidate.type)
    subject = label + (f": {candidate.campaign}" if candidate.campaign else "")
    lines = [
        f"{label} on {moment:%Y-%m-%d %H:%M} UTC.",
        f"Campaign: {candidate.campaign}" if candidate.campaign else "Campaign: none",
    ]
    if candidate.asset:
        lines.append(f"Asset: {candidate.asset}")
    if lead.stage:
        lines.append(f"Funnel stage: {contract.stage(lead.stage).display_name}")
    lines.append(f"Written by funnelsync from {candidate.source}.")
    return f"{subject[:230]} (funnelsync)", "\n".join(lines)


def plan_timeline(
    store: StateStore,
    contract: FunnelContract,
    targets: Iterable[str],
    as_of: datetime,
    view: RunView | None = None,
) -> dict[str, list[tuple[PlannedEntry, ActivityWrite]]]:
    """The entries still to write, per connection of ``targets`` (those that take them);
    ``view``: what a planned run adds to the state (its activities, people, leads, new
    records).

    Only activities with no row in the ``timeline`` table for that connection are looked
    at (the state database skips the rest), so a run with nothing new reads nothing."""
    if not contract.timeline.significant:
        return {}
    unwritten = {name: _unwritten(store, contract, name, as_of, view) for name in targets}
    persons = {row.person_id for rows in unwritten.values() for row, _ in rows}
    if not persons:
        return {}
    leads = store.leads(persons)
    records = records_of(store.engine, persons)
    if view is not None:
        leads |= {pid: lead for pid, lead in view.leads.items() if pid in persons}
        for name, people in view.creating.items():
            for person_id in people & persons:
                records.setdefault(person_id, []).append((name, NEW_RECORD))
    plans: dict[str, list[tuple[PlannedEntry, ActivityWrite]]] = {}
    for name, rows in unwritten.items():
        entries = []
        for candidate, moment in rows:
            ref = entry_ref(candidate.source, candidate.activity_id)
            person_id = candidate.person_id
            targets_there = [rid for conn, rid in records.get(person_id, ()) if conn == name]
            lead = leads.get(person_id)
            if lead is None or not targets_there or not contract.sales_visible(lead.stage):
                continue  # only in a plan's view: not visible to sales, or no record there
            subject, description = _describe(contract, candidate, moment, lead)
            write = ActivityWrite(
                ref=ref,
                record_id=targets_there[-1],
                email=lead.email,
                type=candidate.type,
                label=contract.timeline.label(candidate.type),
                occurred_at=moment,
                campaign=candidate.campaign,
                asset=candidate.asset,
                subject=subject,
                description=description,
            )
            planned = PlannedEntry(name, ref, person_id, candidate.source, candidate.activity_id)
            entries.append((planned, write))
        if entries:
            plans[name] = entries
    return plans


def push_timeline(
    store: StateStore,
    contract: FunnelContract,
    connections: Sequence[Connection],
    connectors: Sequence[Connector],
    run_id: str,
    as_of: datetime,
    skip: set[str],
    stop: threading.Event | None = None,
) -> TimelineOutcome:
    """Write the entries :func:`plan_timeline` finds, recording each call write-ahead.

    ``skip`` names connections not to write to in this run (budget spent)."""
    outcome = TimelineOutcome()
    if not contract.timeline.significant:
        return outcome
    takers = {name: c for name, c in _takers(connections, connectors) if name not in skip}
    timeline = TimelineStore(store.engine)
    unknown = {name for name in takers if not has_entries(store.engine, name)}
    plans = plan_timeline(store, contract, takers, as_of)
    at = as_of.isoformat()
    for name, planned in plans.items():
        connector = takers[name]
        entries = planned
        if name in unknown:
            entries = _not_there_yet(timeline, name, connector, planned, run_id, at, outcome)
        for start in range(0, len(entries), CALL_SIZE):
            if stop is not None and stop.is_set():
                return outcome
            chunk = entries[start : start + CALL_SIZE]
            if not _write_chunk(timeline, name, connector, chunk, run_id, at, outcome):
                break
    for name, count in outcome.written.items():
        if count:
            outcome.notes.append(f"{name}: {count} significant activities written to the timeline")
    return outcome


def _not_there_yet(
    timeline: TimelineStore,
    name: str,
    connector: Connector,
    entries: list[tuple[PlannedEntry, ActivityWrite]],
    run_id: str,
    at: str,
    outcome: TimelineOutcome,
) -> list[tuple[PlannedEntry, ActivityWrite]]:
    """With no entry of ``name`` in the state (a first run, or a rebuilt state database),
    ask the system first: entries it already holds are recorded, not sent again."""
    try:
        found = connector.find_activities([write.ref for _, write in entries])
    except ConnectorError as exc:
        outcome.notes.append(f"{name}: timeline entries not written (cannot look them up: {exc})")
        return []
    if found:
        timeline.begin([planned for planned, write in entries if write.ref in found], run_id, at)
        timeline.finish(name, found, {})
        outcome.notes.append(
            f"{name}: {len(found)} timeline entries were already there (funnelsync's state "
            "had none of them): recorded, not sent again"
        )
    return [(planned, write) for planned, write in entries if write.ref not in found]


def _write_chunk(
    timeline: TimelineStore,
    name: str,
    connector: Connector,
    chunk: list[tuple[PlannedEntry, ActivityWrite]],
    run_id: str,
    at: str,
    outcome: TimelineOutcome,
) -> bool:
    """Save ``chunk`` pending, send it, record the results; False: stop this connection."""
    timeline.begin([planned for planned, _ in chunk], run_id, at)
    writes = [write for _, write in chunk]
    try:
        results = connector.write_activities(writes)
    except BudgetExhaustedError as exc:
        timeline.finish(name, {}, {}, [write.ref for write in writes])
        outcome.notes.append(f"{name}: timeline entries left for the next run: {exc}")
        return False
    except ConnectorError as exc:
        # Maybe sent, maybe not: the rows stay pending and are looked up next run.
        outcome.notes.append(f"{name}: timeline entries left pending: {exc}")
        logger.warning("%s: writing timeline entries failed: %s", name, exc)
        return False
    by_ref: dict[str, WriteResult] = {result.key: result for result in results}
    written: dict[str, str] = {}
    rejected: dict[str, str] = {}
    dropped: list[str] = []
    for write in writes:
        result = by_ref.get(write.ref)
        if result is None or result.status is WriteStatus.retryable:
            continue  # stays pending: looked up (then sent again if absent) next run
        if result.status is WriteStatus.ok:
            written[write.ref] = result.record_id or write.ref
        elif result.status is WriteStatus.held:
            dropped.append(write.ref)
        else:
            rejected[write.ref] = result.message or result.status.value
    timeline.finish(name, written, rejected, dropped)
    outcome.written[name] += len(written)
    if rejected:
        outcome.refused[name] += len(rejected)
        first = next(iter(rejected.values()))
        outcome.notes.append(f"{name}: {len(rejected)} timeline entries refused (e.g. {first})")
    return True


def preview_timeline(
    store: StateStore,
    contract: FunnelContract,
    connections: Sequence[Connection],
    connectors: Sequence[Connector],
    as_of: datetime,
    view: RunView,
) -> dict[str, list[ActivityWrite]]:
    """The entries a sync now would write after its commit, per connection (`plan`): those
    :func:`plan_timeline` finds with ``view`` added to the state. Entries still pending
    from a stopped run are looked up by the sync first, and are not listed."""
    if not contract.timeline.significant:
        return {}
    takers = [name for name, _ in _takers(connections, connectors)]
    plans = plan_timeline(store, contract, takers, as_of, view)
    return {name: [write for _, write in entries] for name, entries in plans.items()}
