"""Contract checks that a user meets when writing one: number ranges, the MQL and SQL stages,
hand-off stages, reachable thresholds and who owns the email."""

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


def test_the_mql_stage_is_handed_off_unless_it_says_handoff_false() -> None:
    assert _contract(mql_stage="mql").handoff_stages() == {"mql"}
    quiet = _contract(
        mql_stage="mql",
        stages=[
            {"name": "subscriber", "team": "marketing"},
            {"name": "mql", "team": "marketing", "handoff": False},
            {"name": "sql", "team": "sales", "handoff": True},
        ],
    )
    assert quiet.handoff_stages() == {"sql"}


def test_a_threshold_equal_to_the_most_points_a_lead_can_get_is_reachable() -> None:
    scoring = {
        "fit": {"rules": [{"field": "title", "matches": "(?i)vp", "points": 20}]},
        "engagement": {"points": {"demo_request": 30}, "cap": 30},
    }
    stages = [
        {"name": "subscriber", "team": "marketing"},
        {"name": "mql", "team": "marketing", "entry": {"fit_min": 20, "score_min": 50}},
        {"name": "sql", "team": "sales", "entry": {"engagement_min": 30}},
    ]
    assert _contract(scoring=scoring, stages=stages).problems() == []
    stages[1]["entry"] = {"fit_min": 21}
    [(where, message)] = _contract(scoring=scoring, stages=stages).problems()
    assert where == ("stages", 1, "entry", "fit_min")
    assert message == "21 is above the most fit points a lead can get (20): no lead can reach it"


def test_the_email_field_may_have_an_ownership_rule() -> None:
    contract = _contract(ownership={"email": "prefer sales unless blank"})
    assert contract.ownership_for("email").system == "sales"
