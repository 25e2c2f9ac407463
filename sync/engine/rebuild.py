"""Rebuilding the state database from the systems, when it is damaged or lost.

The old database (and its write-ahead files) is set aside, never deleted. A fresh one is
filled with what every system holds now: each lead record is read and linked to one
person by its key (the normalised email), exactly as a first sync links them. Nothing is
written to any system. The next sync then reads everything again, recomputes every
person and updates the records it finds linked, so no record is created twice.

What only the old database knew (stage history, audit, quarantine, run reports) stays in
the file set aside.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from funnelsync.mapping import read_lead
from funnelsync.merge import SourceLead, merge_leads
from funnelsync.models import Lead
from funnelsync.sync.engine.identity import assign_persons
from funnelsync.sync.engine.lock import workspace_lock
from funnelsync.sync.engine.progress import NoProgress
from funnelsync.sync.engine.reading import ReadRecord, read_connection
from funnelsync.sync.state.errors import StateError, state_error
from funnelsync.sync.state.person_rows import person_row_chunks
from funnelsync.sync.state.store import DATABASE_NAME, RecordKey, RunCommit, StateStore
from funnelsync.sync.workspace.loading import Workspace


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild found and where the old database went."""

    set_aside: Path | None
    """The old database's new name (``None`` if there was none)."""
    persons: int
    links: dict[str, int] = field(default_factory=dict)
    """Records linked, per connection."""
    unreadable: int = 0
    """Lead records that could not be mapped (the next sync quarantines them)."""
    notes: list[str] = field(default_factory=list)


def _set_aside(database: Path, stamp: str) -> Path | None:
    """Rename the database and its WAL/SHM files out of the way; the new name."""
    if not database.exists():
        return None
    target = database.with_name(f"{database.name}.damaged-{stamp}")
    try:
        for suffix in ("-wal", "-shm"):
            side = database.with_name(database.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        database.rename(target)
    except OSError as exc:
        raise state_error(exc, database) from None
    return target


def _persons(
    workspace: Workspace, records: list[ReadRecord], person_of: dict[RecordKey, int]
) -> dict[int, Lead]:
    """A provisional lead per person (descriptive fields merged; the next sync scores it)."""
    order = {connection.name: index for index, connection in enumerate(workspace.connections)}
    mappings = {connection.name: connection.mapping for connection in workspace.connections}
    sources: dict[int, list[SourceLead]] = {}
    for record in sorted(records, key=lambda r: (order[r.key[0]], r.key[1])):
        lead = read_lead(mappings[record.key[0]], record.fields)  # read it: it maps
        source = SourceLead(record.key[0], record.key[1], record.location, lead)
        sources.setdefault(person_of[record.key], []).append(source)
    return {pid: merge_leads(workspace.contract, found) for pid, found in sources.items()}


def rebuild_state(workspace: Workspace) -> RebuildResult:
    """Set the state database aside and relink every system's records by key.

    Only for the SQLite state file: a workspace whose config names a state ``url`` gets a
    :class:`StateError` (restore that database from its backups instead).
    """
    if workspace.state_url is not None:
        raise StateError(
            "`funnelsync state rebuild` sets aside the SQLite state file; this workspace "
            "keeps its state at its `state: url`: restore that database from a backup"
        )
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = f"{now:%Y%m%dT%H%M%SZ}"
    with workspace_lock(workspace.state_dir):
        moved = _set_aside(workspace.state_dir / DATABASE_NAME, stamp)
        store = StateStore.open(workspace.state_dir)
        keys = workspace.config.identity.keys
        try:
            with ExitStack() as stack:
                reads = []
                for connection in workspace.connections:
                    connector = connection.open(workspace.root)
                    stack.callback(connector.close)
                    if connector.capabilities.read_leads:
                        reads.append(
                            read_connection(connection, connector, store, [], NoProgress(), keys)
                        )
            records = [record for read in reads for record in read.records]
            identity = store.load_identity()
            person_of, links, notes = assign_persons(identity, records)
            persons = _persons(workspace, records, person_of)
            store.commit_run(
                RunCommit(
                    run_id=f"rebuild-{stamp}",
                    at=now.isoformat(),
                    persons=person_row_chunks(
                        persons, {pid: identity.label_of[pid] for pid in persons}
                    ),
                    links=links,
                    ledger_rows=[],
                    activities=[],
                    stage_moves=[],
                    person_keys=identity.new_keys,
                    quarantined=[],
                    resolved=[],
                    settings={},
                    cursors={},
                )
            )
        finally:
            store.close()
    return RebuildResult(
        moved,
        len(persons),
        dict(Counter(key[0] for key, _ in links)),
        sum(len(read.quarantined) for read in reads),
        notes,
    )
