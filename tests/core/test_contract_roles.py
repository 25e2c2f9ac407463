"""Contract checks that a user meets when writing one: number ranges and the SQL stage."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.conditions import condition_holds
from funnelsync.contract import FieldCondition, FunnelContract
from funnelsync.models import Lead


def _contract(**extra: Any) -> FunnelContract:
    return FunnelContract.model_validate(
        {
            "version": "2026-11-01",
            "stages": [
                {"name": "subscriber", "team": "marketing"},
                {"name": "mql", "team": "marketing"},
                {"name": "sql", "team": "sales"},
            ],
            "detours": [{"name": "disqualified", "team": "sales"}],
            **extra,
        }
    )


def test_a_range_of_one_number_is_valid_and_matches_that_number() -> None:
    condition = FieldCondition.model_validate({"field": "company_size", "min": 50, "max": 50})
    assert condition_holds(condition, Lead(email="ann@example.com", company_size=50))
    assert not condition_holds(condition, Lead(email="ann@example.com", company_size=51))


def test_a_range_with_min_above_max_is_refused() -> None:
    with pytest.raises(ValidationError, match="min 51 is above max 50: nothing can match"):
        FieldCondition.model_validate({"field": "company_size", "min": 51, "max": 50})


def test_the_sql_stage_is_a_stage_of_the_success_path() -> None:
    assert _contract(sql_stage="sql").sql_stage == "sql"
    with pytest.raises(ValidationError, match="sql_stage 'disqualified' is not a stage of the"):
        _contract(sql_stage="disqualified")
    with pytest.raises(ValidationError, match="sql_stage 'won' is not a stage of the success"):
        _contract(sql_stage="won")


def test_the_mql_stage_is_a_stage_of_the_success_path() -> None:
    with pytest.raises(ValidationError, match="mql_stage 'disqualified' is not a stage of the"):
        _contract(mql_stage="disqualified")
