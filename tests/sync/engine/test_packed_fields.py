"""Fields packed for the run's lifetime come back as they went in: names, order, values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.sync.engine.packed import MAX_NAME_LISTS, pack, unpack

numbers = st.integers() | st.floats(allow_nan=False)  # NaN is not equal to itself
values = st.none() | st.booleans() | numbers | st.text(max_size=5)
fields = st.dictionaries(st.sampled_from(["email", "Email", "name", "n", "x y", ""]), values)


@settings(max_examples=300)
@given(fields)
def test_fields_unpack_to_equal_fields_in_the_same_order(read: dict[str, Any]) -> None:
    unpacked = unpack(pack(read))
    assert list(unpacked.items()) == list(read.items())
    assert [type(v) for v in unpacked.values()] == [type(v) for v in read.values()]


def test_records_sharing_names_keep_their_own_values() -> None:
    first, second = pack({"a": "1", "b": None}), pack({"a": "2", "b": 3})
    assert (unpack(first), unpack(second)) == ({"a": "1", "b": None}, {"a": "2", "b": 3})
    assert len(first) < len(pack({"a": "1", "b": None, "a long field name": "x"}))


def test_a_record_whose_names_are_not_kept_still_packs_whole() -> None:
    for n in range(MAX_NAME_LISTS + 1):  # more name lists than are kept
        record = {f"field {n}": n, "email": f"{n}@x.com"}
        assert unpack(pack(record)) == record


def test_values_marshal_cannot_hold_are_kept_as_they_are() -> None:
    record = {"at": datetime(2026, 1, 2, tzinfo=UTC)}
    assert unpack(pack(record)) == record
