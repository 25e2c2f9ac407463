"""Stalled leads in the contract: where a bad `stalled_after_days` is reported, and when a
lead counts as stalled (a move or any activity restarts the quiet time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.contract import FunnelContract
from funnelsync.stalling import find_stall, last_engagement, stall_rules

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def contract(**mql: Any) -> dict[str, Any]:
    return {
        "version": "1",
        "stages": [
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing", **mql},
        ],
        "detours": [{"name": "recycled", "team": "marketing", "stalled_after_days": 30}],
    }


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-3, "Input should be greater than or equal to 1"),
        (0, "Input should be greater than or equal to 1"),
        (5000, "Input should be less than or equal to 3650"),
        ("soon", "Input should be a valid integer"),
    ],
)
def test_bad_days_are_refused_at_their_stage(days: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        FunnelContract.model_validate(contract(stalled_after_days=days))
    [error] = caught.value.errors()
    assert error["loc"] == ("stages", 1, "stalled_after_days")
    assert message in error["msg"]


def test_a_misspelt_key_and_ownership_of_the_flag_are_refused_where_they_are() -> None:
    with pytest.raises(ValidationError) as caught:
        FunnelContract.model_validate(contract(stalled_after_day=14))
    assert [e["loc"] for e in caught.value.errors()] == [("stages", 1, "stalled_after_day")]
    with pytest.raises(ValidationError, match=r"ownership names 'stalled'.*belong to the contract"):
        FunnelContract.model_validate({**contract(), "ownership": {"stalled": "always sales"}})


def test_rules_are_the_stages_that_declare_days() -> None:
    loaded = FunnelContract.model_validate(contract(stalled_after_days=14))
    assert stall_rules(loaded) == {"mql": 14, "recycled": 30}


def test_stalled_from_the_later_of_entry_and_last_activity() -> None:
    rules = {"mql": 14}
    # Entered 1 March, never active: stalled from exactly 15 March 12:00.
    assert find_stall(rules, "mql", T0, None, T0 + timedelta(days=14, seconds=-1)) is None
    stall = find_stall(rules, "mql", T0, None, T0 + timedelta(days=14))
    assert stall is not None and stall.stalled_at == T0 + timedelta(days=14)
    assert stall.days_in_stage(T0 + timedelta(days=20, hours=23)) == 20
    # An activity on 10 March restarts the quiet time: stalled from 24 March.
    active = T0 + timedelta(days=9)
    assert find_stall(rules, "mql", T0, active, T0 + timedelta(days=22)) is None
    again = find_stall(rules, "mql", T0, active, T0 + timedelta(days=23))
    assert again is not None and again.quiet_since == active
    # An activity before the entry does not extend anything; no rule, no stall.
    before = find_stall(rules, "mql", T0, T0 - timedelta(days=5), T0 + timedelta(days=14))
    assert before is not None and before.quiet_since == T0
    assert find_stall(rules, "lead", T0, None, T0 + timedelta(days=900)) is None
    assert find_stall(rules, None, T0, None, T0 + timedelta(days=900)) is None


def test_activities_after_the_clock_do_not_count_yet() -> None:
    moments = [T0, T0 + timedelta(days=3), T0 + timedelta(days=10)]
    assert last_engagement(moments, T0 + timedelta(days=5)) == T0 + timedelta(days=3)
    assert last_engagement([], T0) is None
