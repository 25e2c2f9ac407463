"""A sync holds its planned writes packed a chunk of persons at a time; they come back
exactly as planned, in plan order, by iteration or by index."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from funnelsync.connector import LeadWrite
from funnelsync.sync.engine.planned_writes import PlannedWrite, PlannedWrites


def _write(person_id: int, **fields: object) -> PlannedWrite:
    record_id = None if person_id % 3 == 0 else f"r{person_id}"
    write = LeadWrite(f"p{person_id}@example.com", record_id, fields, detour=person_id % 2 == 0)
    return PlannedWrite(person_id, write, {"score": person_id - 1}, f"why {person_id % 4}")


def test_packed_writes_come_back_as_planned_in_order() -> None:
    chunks = [
        [_write(i, score=i, stage="mql", note=None, ok=True, ratio=0.5) for i in range(n, n + 5)]
        for n in (0, 5, 10)
    ]
    packed, objects = PlannedWrites(packed=True), PlannedWrites()
    for chunk in chunks:
        packed.extend(chunk)
        objects.extend(chunk)
    everything = [planned for chunk in chunks for planned in chunk]
    assert len(packed) == len(objects) == 15
    assert list(packed) == list(objects) == everything
    assert packed == objects == everything
    assert [packed[i] for i in range(15)] == everything
    assert packed[-1] == everything[-1]
    assert packed[3:12:2] == everything[3:12:2]
    with pytest.raises(IndexError):
        packed[15]
    # Objects are the writes themselves (a plan matches them by identity); packed are copies.
    assert objects[7] is everything[7]
    assert packed[7] is not everything[7]


def test_writes_with_values_marshal_cannot_hold_are_kept_as_they_are() -> None:
    odd = [_write(1, when=date(2026, 1, 2)), _write(2, amount=Decimal("1.5"))]
    packed = PlannedWrites(odd, packed=True)
    assert list(packed) == odd
    assert packed[1].write.fields["amount"] == Decimal("1.5")


def test_heads_are_each_writes_person_key_and_record_id_in_order() -> None:
    """Which persons a plan writes, which writes create and the push's rounds are read
    from the heads alone: the same for a plan held packed as for its objects."""
    chunks = [[_write(i, score=i) for i in range(n, n + 4)] for n in (0, 4)]
    packed, objects = PlannedWrites(packed=True), PlannedWrites()
    for chunk in chunks:
        packed.extend(chunk)
        objects.extend(chunk)
    packed.extend([_write(9, when=date(2026, 1, 2))])  # a chunk held as objects
    objects.extend([_write(9, when=date(2026, 1, 2))])
    expected = [(p.person_id, p.write.key, p.write.record_id) for p in objects]
    assert list(packed.heads()) == list(objects.heads()) == expected
    assert expected[0] == (0, "p0@example.com", None)
    assert expected[1] == (1, "p1@example.com", "r1")
