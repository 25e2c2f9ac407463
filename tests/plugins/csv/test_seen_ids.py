"""The compact set of ids met while reading answers as a dict of id → first line would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.plugins.csv.seen_ids import SeenIds

ids = st.text(alphabet="aA1-é", max_size=4)


@settings(max_examples=300)
@given(st.lists(ids, max_size=200))
def test_each_id_answers_the_line_it_was_first_met_on(read: list[str]) -> None:
    seen, oracle = SeenIds(), {}
    for line, record_id in enumerate(read, start=2):
        assert seen.first_line(record_id, line) == oracle.setdefault(record_id, line)


def test_many_ids_in_one_bucket_stay_apart_and_in_order() -> None:
    seen = SeenIds()
    count = 50_000  # about three ids a bucket, met in no particular order
    for line in range(count):
        assert seen.first_line(f"act-{line * 7919 % count}", line) == line
    assert all(seen.first_line(f"act-{n * 7919 % count}", count + n) == n for n in range(count))
