"""The timeline entries funnelsync writes, kept write-ahead in the ``timeline`` table.

Before a write call, each entry gets a ``pending`` row; after it, the row becomes
``written`` with the entry's id as the system reads it back (or ``rejected`` with the
system's message; a refused entry is not sent again until ``funnelsync retry`` forgets
it, :meth:`TimelineStore.requeue_rejected`). A row still ``pending`` when a run starts
is a write a killed run may or may not have made: it is looked up in the system
(:meth:`Connector.find_activities`) and marked written, or dropped so the entry is
planned and sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, and_, delete, insert, select, update

from funnelsync.sync.state import schema as t
from funnelsync.sync.state.moments import epoch_seconds, stored_moment

PENDING = "pending"
WRITTEN = "written"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """One entry about to be written to ``connection``."""

    connection: str
    ref: str
    person_id: int
    source: str
    activity_id: str


@dataclass(frozen=True, slots=True)
class RefusedEntry:
    """A timeline entry the system refused; it waits for ``funnelsync retry``."""

    connection: str
    ref: str
    email: str | None
    """The lead's email (``None`` if the person is gone from the state)."""
    source: str
    activity_id: str
    message: str | None
    """What the system said."""
    at: str


class TimelineStore:
    """Reads and writes the ``timeline`` table of a state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def refs(self, connection: str) -> set[str]:
        """Refs of every entry of ``connection`` that is pending, written or rejected."""
        query = select(t.timeline.c.ref).where(t.timeline.c.connection == connection)
        with self.engine.connect() as db:
            return {row.ref for row in db.execute(query)}

    def pending(self) -> dict[str, list[str]]:
        """Refs still pending, by connection."""
        query = select(t.timeline.c.connection, t.timeline.c.ref).where(
            t.timeline.c.status == PENDING
        )
        found: dict[str, list[str]] = {}
        with self.engine.connect() as db:
            for row in db.execute(query):
                found.setdefault(row.connection, []).append(row.ref)
        return found

    def entry_ids(self, connection: str) -> set[str]:
        """Ids (as read back) of the entries written to ``connection``."""
        query = select(t.timeline.c.entry_id).where(
            and_(t.timeline.c.connection == connection, t.timeline.c.entry_id.is_not(None))
        )
        with self.engine.connect() as db:
            return {row.entry_id for row in db.execute(query)}

    def begin(self, entries: Sequence[PlannedEntry], run_id: str, at: str) -> None:
        """Save ``entries`` as pending (before the write call that sends them)."""
        if not entries:
            return
        rows = [
            {
                "connection": e.connection,
                "ref": e.ref,
                "person_id": e.person_id,
                "source": e.source,
                "activity_id": e.activity_id,
                "status": PENDING,
                "entry_id": None,
                "message": None,
                "run_id": run_id,
                "at": at,
            }
            for e in entries
        ]
        with self.engine.begin() as db:
            db.execute(insert(t.timeline), rows)

    def finish(
        self,
        connection: str,
        written: Mapping[str, str],
        rejected: Mapping[str, str],
        dropped: Iterable[str] = (),
    ) -> None:
        """Record what a write call (or a lookup) found: ``written`` ref → entry id,
        ``rejected`` ref → message; ``dropped`` refs were not sent and are forgotten."""
        table = t.timeline
        mine = table.c.connection == connection
        with self.engine.begin() as db:
            for ref, entry_id in written.items():
                db.execute(
                    update(table)
                    .where(mine, table.c.ref == ref)
                    .values(status=WRITTEN, entry_id=entry_id, message=None)
                )
            for ref, message in rejected.items():
                db.execute(
                    update(table)
                    .where(mine, table.c.ref == ref)
                    .values(status=REJECTED, message=message)
                )
            gone = list(dropped)
            if gone:
                db.execute(delete(table).where(mine, table.c.ref.in_(gone)))

    def refused(self, connection: str | None = None) -> list[RefusedEntry]:
        """Refused entries (of ``connection``), by connection and time."""
        table = t.timeline
        query = (
            select(
                table.c.connection,
                table.c.ref,
                t.persons.c.email,
                table.c.source,
                table.c.activity_id,
                table.c.message,
                table.c.at,
            )
            .select_from(table.outerjoin(t.persons, t.persons.c.person_id == table.c.person_id))
            .where(table.c.status == REJECTED)
            .order_by(table.c.connection, table.c.at, table.c.ref)
        )
        if connection is not None:
            query = query.where(table.c.connection == connection)
        with self.engine.connect() as db:
            return [RefusedEntry(*row) for row in db.execute(query)]

    def requeue_rejected(self, connection: str | None = None, ref: str | None = None) -> int:
        """Forget refused entries (of ``connection``, or the one with ``ref``), so the next
        run plans and sends them again; returns how many."""
        table = t.timeline
        query = delete(table).where(table.c.status == REJECTED)
        if connection is not None:
            query = query.where(table.c.connection == connection)
        if ref is not None:
            query = query.where(table.c.ref == ref)
        with self.engine.begin() as db:
            return db.execute(query).rowcount

    def counts(self) -> dict[tuple[str, str], int]:
        """Entries per (connection, status)."""
        query = select(t.timeline.c.connection, t.timeline.c.status)
        found: dict[tuple[str, str], int] = {}
        with self.engine.connect() as db:
            for row in db.execute(query):
                key = (row.connection, row.status)
                found[key] = found.get(key, 0) + 1
        return found


@dataclass(frozen=True, slots=True)
class Unwritten:
    """A stored significant activity with no entry in one target connection yet."""

    source: str
    activity_id: str
    person_id: int
    type: str
    occurred_at: str
    campaign: str | None
    asset: str | None


def unwritten_activities(
    engine: Engine,
    target: str,
    types: Sequence[str],
    since: datetime,
    stages: Sequence[str],
    *,
    linked: bool = True,
) -> list[Unwritten]:
    """Stored activities of ``types`` at or after ``since``'s second, read from another
    connection than ``target``, of a person in one of ``stages`` with a record in
    ``target`` (unless ``linked`` is false), that have no row in ``timeline`` for
    ``target`` (pending, written or rejected): what can still be written there."""
    a, keys, persons, links, entries = t.activities, t.person_keys, t.persons, t.links, t.timeline
    has_record = (
        select(links.c.person_id)
        .where(links.c.person_id == keys.c.person_id, links.c.connection == target)
        .exists()
    )
    visible = (
        select(keys.c.token)
        .join(persons, persons.c.person_id == keys.c.person_id)
        .where(persons.c.stage.in_(list(stages)), *([has_record] if linked else []))
    )
    recorded = select(entries.c.ref).where(
        entries.c.connection == target,
        entries.c.source == a.c.connection,
        entries.c.activity_id == a.c.activity_id,
    )
    with engine.connect() as db:
        type_names = _names(db, t.activity_types, types)
        campaign_names = _names(db, t.campaigns)
        query = (
            select(
                a.c.connection,
                a.c.activity_id,
                keys.c.person_id,
                a.c.type_id,
                a.c.occurred_at,
                a.c.micros,
                a.c.utc_offset,
                a.c.campaign_id,
                a.c.asset,
            )
            .join(keys, keys.c.token == a.c.email)
            .where(
                a.c.email.in_(visible),
                # An expression, not the bare column: SQLite would otherwise walk the
                # activities_type index through every significant activity in the window
                # instead of the visible persons' activities (10x slower at 50k leads).
                (a.c.type_id + 0).in_(list(type_names)),
                a.c.occurred_at >= epoch_seconds(since),
                a.c.connection != target,
                ~recorded.exists(),
            )
        )
        return [
            Unwritten(
                source,
                activity_id,
                person_id,
                type_names[kind],
                stored_moment(seconds, micros, offset).isoformat(),
                None if campaign is None else campaign_names[campaign],
                asset,
            )
            for (
                source,
                activity_id,
                person_id,
                kind,
                seconds,
                micros,
                offset,
                campaign,
                asset,
            ) in db.execute(query)
        ]


def _names(db: Connection, table: Table, only: Sequence[str] | None = None) -> dict[int, str]:
    """Id → name of a lookup table (of the names ``only``, when given)."""
    query = select(table.c[0], table.c.name)
    if only is not None:
        query = query.where(table.c.name.in_(list(only)))
    return {key: name for key, name in db.execute(query)}


def has_entries(engine: Engine, connection: str) -> bool:
    """Whether the state holds any timeline entry of ``connection``."""
    query = select(t.timeline.c.ref).where(t.timeline.c.connection == connection).limit(1)
    with engine.connect() as db:
        return db.execute(query).first() is not None


def records_of(engine: Engine, person_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Each person's linked records (connection, record id), oldest link first."""
    wanted = sorted(set(person_ids))
    found: dict[int, list[tuple[str, str]]] = {}
    with engine.connect() as db:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = (
                select(t.links.c.person_id, t.links.c.connection, t.links.c.record_id)
                .where(t.links.c.person_id.in_(chunk))
                .order_by(t.links.c.first_run)
            )
            for row in db.execute(query):
                found.setdefault(row.person_id, []).append((row.connection, row.record_id))
    return found
