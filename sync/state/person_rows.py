"""The persons a run computed, as the rows its commit stores, kept compactly until then.

A first sync computes every person. Holding each canonical lead until the commit costs
about 2.5 KB a person; a chunk of persons' rows (``persons`` and ``journeys``), serialized
and compressed together, costs a few hundred bytes a person. The rows are made from the
lead exactly as the commit would make them, so what is stored does not change.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any, NamedTuple

from funnelsync.models import Lead
from funnelsync.sync.state.journeys import lead_row


class PersonRow(NamedTuple):
    """What the commit stores of one person: the ``persons`` row and the ``journeys`` row."""

    person_id: int
    email: str
    """The email, else the person's label, else ``person:<id>`` (the column is unique)."""
    stage: str | None
    lead: str
    """The canonical lead as JSON."""
    journey: dict[str, Any]
    """The ``journeys`` row (without its moves)."""


def person_row(person_id: int, lead: Lead, label: str | None = None) -> PersonRow:
    """The rows of ``lead``, the person ``person_id`` (``label``: their first identity token)."""
    email = lead.email or label or f"person:{person_id}"
    return PersonRow(
        person_id, email, lead.stage, lead.model_dump_json(), lead_row(person_id, email, lead)
    )


def person_row_chunks(
    leads: Mapping[int, Lead], labels: Mapping[int, str] | None = None, size: int = 1000
) -> Iterator[list[PersonRow]]:
    """The rows of ``leads``, ``size`` at a time, each under its email or its label
    (``labels``: person id → first identity token)."""
    items = iter(leads.items())
    while chunk := list(islice(items, size)):
        yield [person_row(pid, lead, (labels or {}).get(pid)) for pid, lead in chunk]


class PersonRows:
    """Chunks of :class:`PersonRow`, each held serialized (:mod:`marshal`: its values are
    text, numbers and ``None``) and compressed until iterated."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def add(self, rows: list[PersonRow]) -> None:
        """Keep one chunk of rows."""
        if rows:
            self._chunks.append(zlib.compress(marshal.dumps([tuple(row) for row in rows]), 1))

    def __iter__(self) -> Iterator[list[PersonRow]]:
        for blob in self._chunks:
            rows = marshal.loads(zlib.decompress(blob))  # noqa: S302 - our own rows, in memory
            yield [PersonRow._make(row) for row in rows]
