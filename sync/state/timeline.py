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

from sqlalchemy import Engine, and_, delete, insert, select, update

from funnelsync.sync.state import schema as t

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


def significant_activities(
    engine: Engine, types: Sequence[str], since: str
) -> list[tuple[str, str, str, str, str, str | None, str | None]]:
    """Stored activities of ``types`` that happened at or after ``since`` (ISO 8601):
    (connection, activity_id, person token, type, occurred_at, campaign, asset)."""
    table = t.activities
    query = select(
        table.c.connection,
        table.c.activity_id,
        table.c.email,
        table.c.type,
        table.c.occurred_at,
        table.c.campaign,
        table.c.asset,
    ).where(table.c.type.in_(list(types)), table.c.occurred_at >= since)
    with engine.connect() as db:
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in db.execute(query)]


def persons_of(engine: Engine, tokens: Iterable[str]) -> dict[str, int]:
    """Person id of each identity token that has one."""
    wanted = sorted(set(tokens))
    found: dict[str, int] = {}
    with engine.connect() as db:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(t.person_keys.c.token, t.person_keys.c.person_id).where(
                t.person_keys.c.token.in_(chunk)
            )
            found.update({row.token: row.person_id for row in db.execute(query)})
    return found


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
