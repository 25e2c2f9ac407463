"""Keeping the ``journeys`` table right as a run commits (see :mod:`journey_rows`).

In the run's commit, beside the ``persons`` and ``stage_history`` rows it writes: every
person it saves gets their row upserted from the same lead, and every stage move it
records is appended to its person's ``moves``, in the same transaction. So a row's moves
are always its person's stage history (the migration that made the table filled them
from it), without reading it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, bindparam, func, update

from funnelsync.models import Lead
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.backends import execute_many, upsert_statement
from funnelsync.sync.state.journey_rows import FIELD_COLUMNS, entries_text, moment_text, shown

_LEAD_COLUMNS = tuple(c.name for c in t.journeys.columns if c.name not in ("person_id", "moves"))
"""Columns a lead gives a row (its moves come from the stage history)."""
_MOMENT = TypeAdapter(datetime)
"""A date and time spelt as ``Lead.model_dump_json`` spells it."""


def lead_row(person_id: int, email: str, lead: Lead) -> dict[str, Any]:
    """The row of one person from their lead: the row :func:`journey_rows.journey_row`
    makes from the same lead stored as JSON."""
    values = lead.__dict__  # the model's field values, read without a getattr each
    attributes = {name: text for name, value in lead.attributes.items() if (text := shown(value))}
    row: dict[str, Any] = {
        "person_id": person_id,
        "email": email,
        "stage": lead.stage,
        "stage_dates": entries_text(
            (stage, at.isoformat()) for stage, at in lead.stage_dates.items()
        ),
        "attributes": json.dumps(attributes) if attributes else None,
    }
    for name in FIELD_COLUMNS:
        value = values[name]
        if isinstance(value, datetime):
            value = _MOMENT.dump_python(value, mode="json")
        row[name] = shown(value)
    return row


def upsert_journey_rows(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write persons' rows (from :func:`lead_row`; their ``moves`` are left as they are)."""
    if not rows:
        return
    statement = upsert_statement(connection, t.journeys)
    upsert = statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={name: statement.excluded[name] for name in _LEAD_COLUMNS},
    )
    for start in range(0, len(rows), 5000):
        execute_many(connection, upsert, rows[start : start + 5000])


def append_moves(connection: Connection, moves: Iterable[Mapping[str, Any]]) -> None:
    """Add stage moves (``stage_history`` rows being inserted) to their persons' rows."""
    added: dict[int, list[tuple[str, str]]] = {}
    for move in moves:
        entry = (move["to_stage"], moment_text(move["at"]))
        added.setdefault(move["person_id"], []).append(entry)
    if not added:
        return
    moves_column = t.journeys.c.moves
    statement = (
        update(t.journeys)
        .where(t.journeys.c.person_id == bindparam("pid"))
        .values(moves=func.coalesce(moves_column + bindparam("more"), bindparam("first")))
    )  # ``moves || more`` is null while ``moves`` is: then the added moves are the first
    rows = []
    for pid, entries in added.items():
        text = entries_text(entries)
        if text is not None:
            rows.append({"pid": pid, "more": f"\t{text}", "first": text})
    execute_many(connection, statement, rows)
