"""Stalled leads as the state keeps them: one ``stalls`` row per person, their latest stall.

A row holds the stall (stage, when this stay began, the last activity, the rule's days)
and ``told``: when plugins were told, :data:`GONE` when the stall ended before that, and
``None`` until then. The run writes new stalls in its own commit (:func:`upsert_stalls`);
telling marks each row first, in its own transaction (:func:`mark_told`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from funnelsync.models import as_moment
from funnelsync.stalling import Stall
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.backends import upsert_statement

GONE = "gone"
"""``told`` of a stall that ended before plugins were told: it is not told any more."""
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StallRecord:
    """A person's latest stall as stored, and whether plugins were told."""

    person_id: int
    stall: Stall
    told: str | None

    def same_stall(self, other: Stall) -> bool:
        """Whether ``other`` is this stall still going (same stage, same quiet spell)."""
        return self.stall.stage == other.stage and self.stall.quiet_since == other.quiet_since

    def row(self) -> dict[str, Any]:
        """The record as a ``stalls`` row."""
        stall = self.stall
        engaged = stall.last_engagement
        return {
            "person_id": self.person_id,
            "stage": stall.stage,
            "entered": stall.entered.isoformat(),
            "last_engagement": engaged.isoformat() if engaged else None,
            "after_days": stall.after_days,
            "told": self.told,
        }


_COLUMNS = (
    t.stalls.c.person_id,
    t.stalls.c.stage,
    t.stalls.c.entered,
    t.stalls.c.last_engagement,
    t.stalls.c.after_days,
    t.stalls.c.told,
)


def _record(row: Any) -> StallRecord | None:
    entered = as_moment(row.entered)
    if entered is None:
        return None  # a row this version cannot read is treated as no stall
    stall = Stall(row.stage, entered, as_moment(row.last_engagement), row.after_days)
    return StallRecord(row.person_id, stall, row.told)


def stall_records(engine: Engine, person_ids: Iterable[int]) -> dict[int, StallRecord]:
    """The stored stalls of ``person_ids``."""
    wanted = list(person_ids)
    found: dict[int, StallRecord] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), _CHUNK):
            query = select(*_COLUMNS).where(
                t.stalls.c.person_id.in_(wanted[start : start + _CHUNK])
            )
            for row in connection.execute(query):
                record = _record(row)
                if record is not None:
                    found[record.person_id] = record
    return found


def untold_stalls(engine: Engine) -> list[StallRecord]:
    """Every stall plugins were not told about yet, by person."""
    query = select(*_COLUMNS).where(t.stalls.c.told.is_(None)).order_by(t.stalls.c.person_id)
    with engine.connect() as connection:
        records = [_record(row) for row in connection.execute(query)]
    return [record for record in records if record is not None]


def upsert_stalls(connection: Connection, records: Sequence[StallRecord]) -> None:
    """Store ``records``, each replacing the person's earlier stall (inside a transaction)."""
    if not records:
        return
    statement = upsert_statement(connection, t.stalls)
    replaced = ("stage", "entered", "last_engagement", "after_days", "told")
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id"],
            set_={name: statement.excluded[name] for name in replaced},
        ),
        [record.row() for record in records],
    )


def mark_told(engine: Engine, person_id: int, told: str) -> None:
    """Set a stall's ``told``, in a transaction of its own."""
    with engine.begin() as connection:
        connection.execute(
            update(t.stalls).where(t.stalls.c.person_id == person_id).values(told=told)
        )
