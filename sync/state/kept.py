"""Values a system kept over funnelsync's write, as the state keeps them (``kept_values``).

One row per record and system field: the value funnelsync wrote and the value the system
kept instead. They live beside the ledger, not in it, so they can never be taken for a
system field (or a system field for them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from funnelsync.sync.state import schema as t

RecordKey = tuple[str, str]
Mark = tuple[Any, Any]
"""(value funnelsync wanted, value the system kept)."""
_CHUNK = 500


def kept_values(engine: Engine, keys: Iterable[RecordKey]) -> dict[RecordKey, dict[str, Mark]]:
    """The kept values of the records ``keys``: record → system field → mark."""
    table = t.kept_values
    by_connection: dict[str, list[str]] = {}
    for name, record_id in set(keys):
        by_connection.setdefault(name, []).append(record_id)
    found: dict[RecordKey, dict[str, Mark]] = {}
    with engine.connect() as db:
        if db.execute(select(table.c.field).limit(1)).first() is None:
            return found  # the usual case: no system kept anything
        for name, record_ids in by_connection.items():
            for start in range(0, len(record_ids), _CHUNK):
                query = select(table).where(
                    table.c.connection == name,
                    table.c.record_id.in_(record_ids[start : start + _CHUNK]),
                )
                for row in db.execute(query):
                    mark = (json.loads(row.wanted), json.loads(row.own))
                    found.setdefault((name, row.record_id), {})[row.field] = mark
    return found


def save_kept_values(engine: Engine, marks: Mapping[RecordKey, Mapping[str, Mark]]) -> None:
    """Replace the kept values of each record of ``marks`` with its marks (in one
    transaction; a record with no marks left loses its rows)."""
    if not marks:
        return
    table = t.kept_values
    rows = [
        {
            "connection": name,
            "record_id": record_id,
            "field": field,
            "wanted": json.dumps(wanted, default=str),
            "own": json.dumps(own, default=str),
        }
        for (name, record_id), fields in marks.items()
        for field, (wanted, own) in fields.items()
    ]
    with engine.begin() as db:
        for name, record_id in marks:
            db.execute(
                delete(table).where(table.c.connection == name, table.c.record_id == record_id)
            )
        if rows:
            db.execute(insert(table), rows)
