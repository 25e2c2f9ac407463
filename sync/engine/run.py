"""One run, end to end: read changes, link identities, merge, score, stage, plan, write, commit.

A plan (``dry_run=True``) follows exactly the same path and stops before the first write:
it calls no write API and changes no state, so its counts are those the sync would make.

Crash safety: writes are idempotent upserts; each batch's confirmed writes are committed
(ledger, links, audit) as they land; activities are stored as they are read, a chunk per
transaction (an upsert by id: reading them again changes nothing); cursors are committed
last, with everything else the run learnt. A run killed at any point leaves cursors where
they were, so the next run reads the same changes again and writes only what is still
missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from funnelsync import __version__
from funnelsync.connector import (
    ActivityWrite,
    BudgetExhaustedError,
    Connector,
    MappingRejectedError,
)
from funnelsync.contract import FunnelContract
from funnelsync.engagement_rows import EngagementRows
from funnelsync.merge import SourceLead
from funnelsync.models import Lead
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.run_report import ConnectionCounts, HandoffCounts, RunReport
from funnelsync.secrets import redact
from funnelsync.sync.checking import configured_missing_fields
from funnelsync.sync.cli.logs import run_id_var
from funnelsync.sync.collection import rare_collections
from funnelsync.sync.engine import activity_push
from funnelsync.sync.engine.activity_rows import NewActivities
from funnelsync.sync.engine.canonical import (
    CurrentRecord,
    StageChange,
    StageMoveRows,
    build_lead,
    person_sources,
)
from funnelsync.sync.engine.create_defaults import with_create_defaults
from funnelsync.sync.engine.handoff import HandoffRows, deliver_handoffs, handoff_rows
from funnelsync.sync.engine.identity import assign_persons, person_activities
from funnelsync.sync.engine.lock import run_lock
from funnelsync.sync.engine.outcome import decide
from funnelsync.sync.engine.packed import pack
from funnelsync.sync.engine.planned_writes import PlannedWrites
from funnelsync.sync.engine.planning import (
    ConnectionPlan,
    SystemValues,
    plan_connection,
    same_text,
)
from funnelsync.sync.engine.predicting import count_plan
from funnelsync.sync.engine.progress import NoProgress, ProgressSink
from funnelsync.sync.engine.pushing import PushOutcome, push_connection
from funnelsync.sync.engine.reading import ConnectionRead, read_connection
from funnelsync.sync.engine.stage_changes import StageChanges
from funnelsync.sync.engine.stalls import StallWatch, announce_stalls
from funnelsync.sync.limits.opening import workspace_limits
from funnelsync.sync.state.errors import StateError
from funnelsync.sync.state.kept import kept_values
from funnelsync.sync.state.person_rows import PersonRows, person_row
from funnelsync.sync.state.store import (
    Identity,
    NewQuarantine,
    RecordKey,
    RunCommit,
    StateStore,
)
from funnelsync.sync.workspace.loading import Workspace

logger = logging.getLogger(__name__)

FINGERPRINT_KEY = "contract_fingerprint"
PENDING_KEY = "pending_persons"
"""Persons with writes planned by a run that has not finished (a killed run's leftovers)."""
SCORED_DAY_KEY = "scored_day"
PERSONS_PER_CHUNK = 2_000
"""Persons built and planned together: their activities are loaded from the store in one go."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run's report plus the details the CLI shows."""

    report: RunReport
    quarantined: list[NewQuarantine]
    stage_changes: Sequence[StageChange] = field(default_factory=list)
    plans: dict[str, ConnectionPlan] = field(default_factory=dict)
    failure: Exception | None = None
    """What stopped a failed run."""
    timeline: dict[str, list[ActivityWrite]] = field(default_factory=dict)
    """A plan's timeline entries to write after the commit, per connection."""


class RunFailedError(Exception):
    """A run stopped early; ``result`` holds its ``failed`` report (already saved)."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.report.error)
        self.result = result


@dataclass(slots=True)
class _RunState:
    """What a run has gathered so far; a failed run still reports it."""

    run_id: str
    counts: dict[str, ConnectionCounts] = field(default_factory=dict)
    quarantined: list[NewQuarantine] = field(default_factory=list)
    held: list[NewQuarantine] = field(default_factory=list)
    """Writes held back by an API budget: kept with the quarantine, not counted in it."""
    leads: dict[int, Lead] = field(default_factory=dict)
    """The leads a plan computed (a sync keeps ``person_rows`` instead)."""
    touched: int = 0
    """Persons computed."""
    person_rows: PersonRows = field(default_factory=PersonRows)
    handoff_rows: HandoffRows = field(default_factory=HandoffRows)
    stage_changes: StageChanges = field(default_factory=StageChanges)
    plans: dict[str, ConnectionPlan] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    previous_stages: dict[int, str | None] = field(default_factory=dict)
    """A plan's persons' stored stages (of those stored)."""
    activities: int = 0
    activities_without_lead: int = 0
    stops: list[str] = field(default_factory=list)
    """Why reading or writing stopped early (budget or signal): cursors stay, so the next
    run resumes."""
    held_connections: set[str] = field(default_factory=set)
    """Connections whose budget ran out while reading: nothing is written to them."""
    handoffs: HandoffCounts = field(default_factory=HandoffCounts)
    timeline: dict[str, list[ActivityWrite]] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        """Whether reading or writing stopped early."""
        return bool(self.stops)


def _fingerprint(workspace: Workspace) -> str:
    """Changes with the contract, a mapping or funnelsync's version: then all is recomputed."""
    document = {
        "funnelsync": __version__,
        "contract": workspace.contract.model_dump(mode="json"),
        "mappings": {c.name: c.mapping.model_dump(mode="json") for c in workspace.connections},
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _differs(read: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    """Whether a record read now holds anything the ledger does not."""
    return not all(same_text(known.get(name), value) for name, value in read.items())


class _Run:
    """One run's steps, sharing the store, the identity and what was read."""

    def __init__(
        self,
        workspace: Workspace,
        plugins: FunnelPlugins,
        store: StateStore,
        state: _RunState,
        as_of: datetime,
        progress: ProgressSink,
        dry_run: bool,
        stop: threading.Event | None,
        persons_per_chunk: int = PERSONS_PER_CHUNK,
    ) -> None:
        self.stop = stop
        self.workspace = workspace
        self.contract: FunnelContract = workspace.contract
        self.plugins = plugins
        self.store = store
        self.state = state
        self.as_of = as_of
        self.at = as_of.isoformat()
        self.progress = progress
        self.dry_run = dry_run
        self.identity: Identity = store.load_identity()
        self.quarantine = store.quarantine()
        self.known: dict[RecordKey, dict[str, Any]] = {}
        """Ledger rows loaded so far in this run."""
        self.kinds = plugins.rule_kinds()
        self.exhausted: dict[str, str] = {}
        """Connections whose API budget ran out before reading: not read, not written."""
        self.missing: list[RecordKey] = []
        """Records a write found deleted from their system: unlinked with the run."""
        self.keys = workspace.config.identity.keys
        self.stalls = StallWatch(self.contract, store, as_of)
        self.new_activities = NewActivities(store, hold=dry_run)
        """Activities read in this run: stored as read (a plan holds them instead)."""
        self.persons_per_chunk = persons_per_chunk
        self.notifiers = plugins.handoff_notifiers()
        self.defaults: dict[str, dict[str, Any]] = {}
        """Values each system gives the records funnelsync creates there (asked once)."""

    def read(self, connectors: Sequence[Connector]) -> list[ConnectionRead]:
        reads = []
        for connection, connector in zip(self.workspace.connections, connectors, strict=True):
            entries = [e for e in self.quarantine if e.connection == connection.name]
            if connection.name in self.exhausted:
                read = ConnectionRead(connection, stopped=self.exhausted[connection.name])
            else:
                read = read_connection(
                    connection,
                    connector,
                    self.store,
                    entries,
                    self.progress,
                    self.keys,
                    self.new_activities,
                    activity_push.echo_ids(self.store, connection.name),
                )
            reads.append(read)
            self.state.counts[connection.name] = ConnectionCounts(
                read=read.leads_read,
                activities_read=read.activities_read,
                quarantined=len(read.quarantined),
                rows_read=read.rows_read,
                rows_quarantined=read.rows_quarantined,
                field_warnings=len(read.warnings),
                api_calls=connector.calls,
            )
            self.state.quarantined.extend(read.quarantined)
            if read.stopped:
                self.state.stops.append(f"{connection.name}: stopped reading: {read.stopped}")
                self.state.held_connections.add(connection.name)
            logger.info(
                "%s: read %d leads and %d activities, %d quarantined",
                connection.name,
                read.leads_read,
                read.activities_read,
                len(read.quarantined),
                extra={"connection": connection.name, "count": read.leads_read},
            )
        return reads

    def touched(
        self,
        reads: Sequence[ConnectionRead],
        person_of: dict[RecordKey, int],
        fingerprint: str,
    ) -> set[int]:
        """Persons to recompute: everyone when the contract or the day changed.

        A record read back exactly as the ledger has it (our own write coming back) does
        not make its person a change. Persons whose writes a killed run left pending are
        recomputed, whatever was read.
        """
        everyone = (
            self.store.setting(FINGERPRINT_KEY) != fingerprint
            or self.store.setting(SCORED_DAY_KEY) != self.as_of.date().isoformat()
        )
        if everyone:
            return set(self.identity.label_of)
        records = [record for read in reads for record in read.records]
        self.known = self.store.ledger(record.key for record in records)
        persons = {
            person_of[record.key]
            for record in records
            if record.key not in self.known or _differs(record.fields, self.known[record.key])
        }
        persons |= set(json.loads(self.store.setting(PENDING_KEY) or "[]"))
        for entry in self.quarantine:
            if entry.kind == "write" and not entry.parked:
                key = entry.record_key
                person_id = (
                    self.identity.person_by_key.get(key.removeprefix("new:"))
                    if key.startswith("new:")
                    else self.identity.person_of.get((entry.connection, key))
                )
                if person_id is not None:
                    persons.add(person_id)
        for token in self.new_activities.tokens:
            person_id = self.identity.person_by_key.get(token)
            if person_id is not None:
                persons.add(person_id)
        return persons

    def current_records(
        self, persons: set[int], reads: Sequence[ConnectionRead]
    ) -> dict[RecordKey, CurrentRecord]:
        """Each record read, and each record of the touched persons: read now (over what
        the ledger had), else as the ledger has it."""
        keys = [key for person in persons for key in self.identity.records_of.get(person, ())]
        ledger = {**self.known, **self.store.ledger(k for k in keys if k not in self.known)}
        self.known = {}  # what touched() needed of the ledger: now in `ledger`
        current = {
            key: CurrentRecord(f"{key[0]} {key[1]}", pack(ledger[key]))
            for key in keys
            if key in ledger
        }
        for read in reads:
            for record in read.records:
                known = ledger.get(record.key)
                merged = record.packed if known is None else pack({**known, **record.fields})
                current[record.key] = CurrentRecord(
                    record.location, merged, packed_read=record.packed
                )
        for key, marks in kept_values(self.store.engine, current).items():
            current[key] = replace(current[key], kept=marks)
        return current

    def build_and_plan(
        self,
        persons: set[int],
        current: dict[RecordKey, CurrentRecord],
        reads: Sequence[ConnectionRead],
        connectors: Sequence[Connector],
    ) -> None:
        """Canonical leads of ``persons`` and the writes that bring each system in line.

        Persons are built and planned a chunk at a time (in person order, so the plans are
        those of one pass), each chunk with its activities loaded from the store (and this
        run's, in a plan) as compact rows. A sync then keeps only what its commit stores of
        each lead (see :class:`PersonRows`), its hand-offs and stage changes; a plan keeps
        the leads, for what it shows.
        """
        writing = [
            (read, connector)
            for read, connector in zip(reads, connectors, strict=True)
            if connector.capabilities.write_leads
            and read.connection.name not in self.state.held_connections
        ]
        for read, _ in writing:
            writes = PlannedWrites(packed=not self.dry_run)  # a plan shows its writes' objects
            self.state.plans[read.connection.name] = ConnectionPlan(writes)
        ordered = sorted(persons)
        for start in range(0, len(ordered), self.persons_per_chunk):
            chunk = ordered[start : start + self.persons_per_chunk]
            system_values = SystemValues(self.workspace.connections)
            leads, previous, changes = self._build_chunk(chunk, current, system_values)
            self.stalls.flag(leads)
            plans = self._plan_each(leads, current, system_values, writing)
            changed = self._create_defaults(leads, plans, current, writing)
            if changed:  # what systems give their new records goes to the others now
                leads.update(changed)
                plans = self._plan_each(leads, current, system_values, writing)
            for name, plan in plans.items():
                self.state.plans[name].add(plan)
            self._keep(leads, previous, changes)
        for read, _ in writing:
            name = read.connection.name
            plan = self.state.plans[name]
            self.state.counts[name].unchanged = plan.unchanged
            planned = len(plan.writes) + plan.unchanged
            self.progress.advance(f"{name}: planned", planned, planned)

    def _build_chunk(
        self,
        persons: Sequence[int],
        current: dict[RecordKey, CurrentRecord],
        system_values: SystemValues,
    ) -> tuple[dict[int, Lead], dict[int, str | None], list[StageChange]]:
        """The chunk's leads, their stored stages (of those stored) and their stage changes."""
        mappings = {c.name: c.mapping for c in self.workspace.connections}
        previous = self.store.leads(persons)
        keys_of = self.identity.keys_of
        activities = self.new_activities.of_tokens(
            self.store, {token for person_id in persons for token in keys_of.get(person_id, ())}
        )
        leads: dict[int, Lead] = {}
        changes: list[StageChange] = []
        for person_id in persons:
            sources: list[SourceLead] = person_sources(
                self.identity.records_of.get(person_id, []), current, mappings
            )
            if not sources:
                continue
            for source in sources:
                system_values.add((source.connection, source.record_id), source.lead)
            mine = EngagementRows(person_activities(self.identity, person_id, activities))
            lead, change = build_lead(
                self.contract,
                person_id,
                sources,
                previous.get(person_id),
                mine,
                self.as_of,
                self.kinds,
            )
            leads[person_id] = lead
            self.stalls.note(person_id, lead, change is not None, mine)
            if change is not None:
                changes.append(change)
        return leads, {pid: lead.stage for pid, lead in previous.items()}, changes

    def _keep(
        self,
        leads: dict[int, Lead],
        previous: dict[int, str | None],
        changes: list[StageChange],
    ) -> None:
        """Keep what the rest of the run needs of a chunk's leads.

        A sync tells plugins of the chunk's stage changes and makes its hand-offs now,
        then keeps each lead as the rows its commit stores.
        """
        state = self.state
        state.touched += len(leads)
        state.stage_changes.add(changes)
        if self.dry_run:
            state.leads.update(leads)
            state.previous_stages.update(previous)
            return
        for change in changes:
            self.plugins.stage_changed(leads[change.person_id], change.old_stage, change.new_stage)
        rows = handoff_rows(
            self.contract, leads, previous, self.notifiers, state.run_id, self.as_of
        )
        state.handoff_rows.handoffs += rows.handoffs
        state.handoff_rows.deliveries += rows.deliveries
        label_of = self.identity.label_of
        state.person_rows.add([person_row(pid, lead, label_of[pid]) for pid, lead in leads.items()])

    def _plan_each(
        self,
        leads: Mapping[int, Lead],
        current: dict[RecordKey, CurrentRecord],
        system_values: SystemValues,
        writing: Sequence[tuple[ConnectionRead, Connector]],
    ) -> dict[str, ConnectionPlan]:
        return {
            read.connection.name: plan_connection(
                self.contract,
                read.connection,
                leads,
                self.identity,
                current,
                system_values,
                read.unreadable_keys,
                connector.text_encoding,
            )
            for read, connector in writing
        }

    def _create_defaults(
        self,
        leads: Mapping[int, Lead],
        plans: Mapping[str, ConnectionPlan],
        current: dict[RecordKey, CurrentRecord],
        writing: Sequence[tuple[ConnectionRead, Connector]],
    ) -> dict[int, Lead]:
        """Leads changed by the values systems give the records planned to be created."""
        mappings = {c.name: c.mapping for c in self.workspace.connections}
        changed: dict[int, Lead] = {}
        for read, connector in writing:
            plan = plans[read.connection.name]
            if not plan.created:
                continue
            name = read.connection.name
            if name not in self.defaults:  # asked once a run, when a create is first planned
                self.defaults[name] = connector.create_defaults()
            defaults = self.defaults[name]
            if defaults:
                changed |= with_create_defaults(
                    self.contract,
                    read.connection,
                    defaults,
                    plan,
                    {**leads, **changed},
                    self.identity.records_of,
                    current,
                    mappings,
                )
        return changed

    def push(
        self, connectors: Sequence[Connector], current: dict[RecordKey, CurrentRecord]
    ) -> dict[str, set[str]]:
        """Write each connection's plan; the ids of the records written, by connection."""
        written: dict[str, set[str]] = {}
        for connection, connector in zip(self.workspace.connections, connectors, strict=True):
            plan = self.state.plans.get(connection.name)
            if plan is None:
                continue
            outcome: PushOutcome = push_connection(
                connector,
                connection.name,
                plan,
                {
                    entry.record_key
                    for entry in self.quarantine
                    if entry.connection == connection.name and entry.kind == "write"
                },
                current,
                self.store,
                self.state.run_id,
                self.at,
                self.progress,
                self.stop,
            )
            counts = self.state.counts[connection.name]
            counts.created, counts.updated = outcome.created, outcome.updated
            counts.refused = outcome.refused
            attempted = len(plan.writes) + len(plan.rejected)
            landed = outcome.created + outcome.updated + outcome.refused + len(outcome.missing)
            counts.held = attempted - landed  # deleted records are unlinked, not held
            counts.quarantined += len(outcome.quarantined)
            logger.info(
                "%s: created %d, updated %d, %d writes refused or left for later",
                connection.name,
                outcome.created,
                outcome.updated,
                len(outcome.quarantined),
                extra={"connection": connection.name, "count": outcome.created + outcome.updated},
            )
            self.state.quarantined.extend(outcome.quarantined)
            self.state.held.extend(outcome.held)
            self.state.notes.extend(
                f"{connection.name}: {note}" + (f" ({count} records)" if count > 1 else "")
                for note, count in outcome.notes.items()
            )
            self.missing.extend(outcome.missing)
            written[connection.name] = outcome.written
            if outcome.stopped:
                self.state.stops.append(f"{connection.name}: stopped writing: {outcome.stopped}")
                if self.stop is not None and self.stop.is_set():
                    break  # a signal stops every system; a budget only its own
        return written


def _check_mappings(workspace: Workspace, connectors: Sequence[Connector]) -> dict[str, str]:
    """Stop before anything is read or written if a system rejects its mapping.

    Returns the connections whose API budget ran out while checking, with the reason:
    those are neither read nor written in this run.
    """
    problems: list[str] = []
    exhausted: dict[str, str] = {}
    for connection, connector in zip(workspace.connections, connectors, strict=True):
        problems += [
            f"{connection.name}: {missing.message()}"
            for missing in configured_missing_fields(connection, connector)
        ]
        if not connector.capabilities.write_leads:
            continue
        try:
            found = connector.validate_mapping(connection.mapping)
        except BudgetExhaustedError as exc:
            exhausted[connection.name] = str(exc)
            continue
        problems += [f"{connection.name}: {problem}" for problem in found]
    if problems:
        raise MappingRejectedError(
            "the mapping does not fit the system (see `funnelsync check`): " + "; ".join(problems)
        )
    return exhausted


def _sync(
    workspace: Workspace,
    plugins: FunnelPlugins,
    store: StateStore,
    state: _RunState,
    as_of: datetime,
    progress: ProgressSink,
    dry_run: bool,
    stop: threading.Event | None,
    persons_per_chunk: int = PERSONS_PER_CHUNK,
) -> None:
    run = _Run(workspace, plugins, store, state, as_of, progress, dry_run, stop, persons_per_chunk)
    fingerprint = _fingerprint(workspace)
    with ExitStack() as stack:
        connectors: list[Connector] = []
        limits = stack.enter_context(workspace_limits(workspace))
        for connection in workspace.connections:
            connector = connection.open(
                workspace.root, workspace.state_dir, limits.for_connection(connection)
            )
            stack.callback(connector.close)
            connectors.append(connector)
        run.exhausted = _check_mappings(workspace, connectors)
        if not dry_run:
            state.notes += activity_push.reconcile_pending(store, workspace.connections, connectors)
        reads = run.read(connectors)
        state.notes += [
            f"{read.connection.name}: {read.echoes} of funnelsync's own timeline entries "
            "not counted"
            for read in reads
            if read.echoes
        ]
        deleted = [key for read in reads for key in read.deleted]
        for key in deleted:
            run.identity.forget(key)
        if deleted:
            state.notes.append(f"{len(deleted)} records were deleted in their systems and unlinked")
        records = [record for read in reads for record in read.records]
        person_of, new_links, notes = assign_persons(run.identity, records)
        state.notes.extend(notes)
        persons = run.touched(reads, person_of, fingerprint)
        del person_of  # the links are in the identity
        state.activities = run.new_activities.count
        state.activities_without_lead = run.new_activities.without_person(
            run.identity.person_by_key.__contains__
        )
        current = run.current_records(persons, reads)
        read_keys = [record.key for record in records]
        del records
        for read in reads:
            read.records.clear()  # what the commit needs of them is in `current`
        run.build_and_plan(persons, current, reads, connectors)
        if dry_run:
            for connection, connector in zip(workspace.connections, connectors, strict=True):
                plan = state.plans.get(connection.name)
                if plan is not None:
                    note = count_plan(connection, connector, plan, state.counts[connection.name])
                    state.notes += [note] if note else []
            view = activity_push.run_view(
                run.new_activities.held_activities(), run.identity, state.leads, state.plans
            )
            state.timeline = activity_push.preview_timeline(
                store, run.contract, workspace.connections, connectors, as_of, view
            )
            return
        pending = sorted({h[0] for plan in state.plans.values() for h in plan.writes.heads()})
        store.save_settings({PENDING_KEY: json.dumps(pending)})
        written = run.push(connectors, current)
        before = {(entry.connection, entry.record_key) for entry in run.quarantine}
        if run.missing:
            deleted += run.missing
            state.notes.append(
                f"{len(run.missing)} records were deleted from their systems since the last "
                "read and unlinked (not re-created)"
            )
        for item in state.quarantined:
            if (item.connection, item.record_key) not in before:
                state.counts[item.connection].newly_quarantined += 1
            plugins.record_quarantined(item.connection, item.location, item.reason)
        handoffs = state.handoff_rows
        state.handoffs.recorded = len(handoffs.handoffs)
        store.commit_run(
            RunCommit(
                run_id=state.run_id,
                at=run.at,
                persons=state.person_rows,
                links=new_links,
                ledger_rows=(
                    (key, current[key].fields)
                    for key in read_keys
                    if key[1] not in written.get(key[0], ())
                ),
                activities=[],  # stored as they were read
                stage_moves=StageMoveRows(state.stage_changes, run.at, state.run_id),
                quarantined=[*state.quarantined, *state.held],
                resolved=[key for read in reads for key in read.resolved],
                deleted=deleted,
                person_keys=run.identity.new_keys,
                field_warnings=[warning for read in reads for warning in read.warnings],
                handoffs=handoffs.handoffs,
                handoff_deliveries=handoffs.deliveries,
                stalls=run.stalls.new_stalls(),
                settings=(
                    {}
                    if state.stopped
                    else {
                        FINGERPRINT_KEY: fingerprint,
                        SCORED_DAY_KEY: as_of.date().isoformat(),
                        PENDING_KEY: "[]",
                    }
                ),
                cursors={}
                if state.stopped
                else {
                    (read.connection.name, stream): value
                    for read in reads
                    for stream, value in read.cursors.items()
                },
            )
        )
        if not (stop is not None and stop.is_set()):
            delivered = deliver_handoffs(workspace, plugins, store, as_of)
            state.handoffs.delivered, state.handoffs.failed = delivered.delivered, delivered.failed
            timeline = activity_push.push_timeline(
                store,
                run.contract,
                workspace.connections,
                connectors,
                state.run_id,
                as_of,
                state.held_connections | set(run.exhausted),
                stop,
            )
            state.notes += timeline.notes
        announce_stalls(store, plugins, workspace.config, as_of)


def run_sync(
    workspace: Workspace,
    plugins: FunnelPlugins,
    *,
    now: datetime | None = None,
    progress: ProgressSink | None = None,
    dry_run: bool = False,
    wait: bool = False,
    stop: threading.Event | None = None,
    persons_per_chunk: int = PERSONS_PER_CHUNK,
) -> RunResult:
    """Run one sync (or, with ``dry_run``, plan one) of ``workspace``.

    Raises :class:`RunFailedError` (with the saved ``failed`` report) if the run cannot
    finish, and :class:`~funnelsync.sync.engine.lock.WorkspaceBusyError` if another run holds the
    workspace and ``wait`` is false. Setting ``stop`` (e.g. from a signal handler) ends the
    run after the batch in flight: what was written is recorded, cursors stay where they
    were, and the run is ``partial``. ``persons_per_chunk`` persons are built and planned
    together (what the run holds of them at a time).
    """
    started = datetime.now(UTC)
    clock = perf_counter()
    state = _RunState(run_id=f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}")
    token = run_id_var.set(state.run_id)
    logger.info("%s %s", "plan of" if dry_run else "sync of", workspace.config_path)
    failure: Exception | None = None
    with ExitStack() as stack:
        store = StateStore.open(workspace.state_dir, workspace.state_url)
        stack.callback(store.close)
        if not dry_run:
            stack.enter_context(run_lock(workspace.state_dir, store.engine, wait=wait))
        try:
            with rare_collections():
                _sync(
                    workspace,
                    plugins,
                    store,
                    state,
                    (now or started).replace(microsecond=0),
                    progress or NoProgress(),
                    dry_run,
                    stop,
                    persons_per_chunk,
                )
        except Exception as exc:  # noqa: BLE001 - a failed run is still reported, then re-raised
            failure = exc
        try:
            stages = store.stage_counts()
        except StateError as exc:
            failure, stages = failure or exc, {}
        if dry_run:
            for person_id, lead in state.leads.items():
                before = state.previous_stages.get(person_id)
                if before in stages:
                    stages[before] -= 1
                if lead.stage is not None:
                    stages[lead.stage] = stages.get(lead.stage, 0) + 1
        report = _report(workspace, state, stages, started, clock, failure, dry_run)
        if not dry_run:
            try:
                store.save_run(report)
            except StateError as exc:
                failure = failure or exc
                report = _report(workspace, state, stages, started, clock, failure, False)
                _save_report_beside(workspace.state_dir, report)
    result = RunResult(
        report, state.quarantined, state.stage_changes, state.plans, failure, state.timeline
    )
    if failure is not None:
        logger.error("run failed: %s", report.error, extra={"status": report.status.value})
    else:
        logger.info(
            "run %s in %.1fs: %d leads, %d recomputed, %d quarantined",
            report.status.value,
            report.duration_s,
            report.leads,
            report.touched,
            len(state.quarantined),
            extra={"status": report.status.value},
        )
    run_id_var.reset(token)
    if not dry_run:
        plugins.run_finished(report, workspace.config)
    if failure is not None:
        raise RunFailedError(result) from failure
    return result


def _save_report_beside(state_dir: Path, report: RunReport) -> None:
    """Keep the report of a run the state database could not record, if the disk allows."""
    path = state_dir / f"unsaved-run-{report.run_id}.json"
    try:
        path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    except OSError:
        logger.error("the run report could not be saved anywhere")
        return
    report.notes.append(f"the state database could not record this run; its report is in {path}")


def _report(
    workspace: Workspace,
    state: _RunState,
    counted: dict[str, int],
    started: datetime,
    clock: float,
    failure: Exception | None,
    dry_run: bool,
) -> RunReport:
    contract = workspace.contract
    stages = {stage.name: counted.get(stage.name, 0) for stage in contract.all_stages}
    error = redact(f"{type(failure).__name__}: {failure}") if failure else None
    outcome = decide(
        state.counts,
        state.stops,
        workspace.config.max_quarantined_share,
        error,
        state.handoffs.failed,
    )
    mql_index = contract.path_index(contract.mql_stage) or 0
    return RunReport(
        run_id=state.run_id,
        status=outcome.status,
        status_rule=redact(outcome.rule),
        dry_run=dry_run,
        started_at=started,
        duration_s=round(perf_counter() - clock, 3),
        connections=state.counts,
        leads=sum(counted.values()),
        touched=state.touched,
        stages=stages,
        mqls=sum(stages[stage.name] for stage in contract.stages[mql_index:]),
        activities=state.activities,
        activities_without_lead=state.activities_without_lead,
        handoffs=state.handoffs,
        notes=[redact(note) for note in state.notes + state.stops],
        error=error,
    )
