"""A run's stage changes held packed come back as added: order, values, positions."""

from __future__ import annotations

import pytest

from funnelsync.sync.engine.canonical import StageChange
from funnelsync.sync.engine.stage_changes import StageChanges


def _change(n: int) -> StageChange:
    return StageChange(
        n, None if n % 3 else f"p{n}@x.com", None if n % 2 else "lead", "mql", f"r{n}"
    )


def test_changes_come_back_in_order_across_chunks() -> None:
    added = [_change(n) for n in range(10)]
    changes = StageChanges()
    for chunk in (added[:4], [], added[4:5], added[5:]):
        changes.add(chunk)
    assert len(changes) == 10
    assert list(changes) == added
    assert changes == added
    assert [changes[i] for i in range(10)] == added
    assert (changes[-1], changes[4], changes[2:4]) == (added[9], added[4], added[2:4])
    with pytest.raises(IndexError):
        changes[10]


def test_no_changes_is_empty() -> None:
    assert (len(StageChanges()), list(StageChanges())) == (0, [])
