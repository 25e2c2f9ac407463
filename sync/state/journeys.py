"""Keeping the ``journeys`` table right as a run commits (see :mod:`journey_rows`).

A run's commit upserts the row of every person it saves (from the same lead it stores in
``persons``) and then rewrites the moves of every person it moved, from the stage history
itself, so a row always says what ``persons`` and ``stage_history`` say.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection, bindparam, select, update

from funnelsync.models import Lead
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.backends import execute_many, upsert_statement
from funnelsync.sync.state.journey_rows import LEAD_PARTS, entries_text, journey_row

_CHUNK = 500
_LEAD_COLUMNS = tuple(c.name for c in t.journeys.columns if c.name not in ("person_id", "moves"))
"""Columns a lead gives a row (its moves come from the stage history)."""


def upsert_journeys(
    connection: Connection, leads: Mapping[int, Lead], emails: Mapping[int, str]
) -> None:
    """Write the rows of ``leads`` under ``emails`` (their ``moves`` are left as they are)."""
    if not leads:
        return
    statement = upsert_statement(connection, t.journeys)
    upsert = statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={name: statement.excluded[name] for name in _LEAD_COLUMNS},
    )
    rows = [
        journey_row(pid, emails[pid], lead.model_dump(mode="json", include=LEAD_PARTS))
        for pid, lead in leads.items()
    ]
    for start in range(0, len(rows), 5000):
        execute_many(connection, upsert, rows[start : start + 5000])


def refresh_moves(connection: Connection, person_ids: Collection[int]) -> None:
    """Rewrite the ``moves`` of ``person_ids`` from the stage history."""
    history = t.stage_history.c
    ordered: Sequence[int] = sorted(person_ids)
    statement = (
        update(t.journeys)
        .where(t.journeys.c.person_id == bindparam("pid"))
        .values(moves=bindparam("moves"))
    )
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        moves: dict[int, list[tuple[str, str]]] = {pid: [] for pid in chunk}
        query = (
            select(history.person_id, history.to_stage, history.at)
            .where(history.person_id.in_(chunk))
            .order_by(history.entry_id)
        )
        for person_id, to_stage, at in connection.execute(query):
            moves[person_id].append((to_stage, at))
        execute_many(
            connection,
            statement,
            [{"pid": pid, "moves": entries_text(mine)} for pid, mine in moves.items()],
        )
