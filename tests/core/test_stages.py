"""The stage machine: entry rules, forward-only success path, detours and stage dates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.scoring import Score
from funnelsync.stages import place_lead

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
EARLIER = datetime(2026, 9, 14, 16, 0, tzinfo=UTC)

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "subscriber", "team": "marketing"},
            {
                "name": "lead",
                "team": "marketing",
                "entry": {"when": [{"field": "company", "present": True}]},
            },
            {"name": "mql", "team": "marketing", "entry": {"fit_min": 30, "engagement_min": 20}},
            {
                "name": "sal",
                "team": "sales",
                "entry": {"when": [{"field": "lead_status", "in": ["Working", "Accepted"]}]},
            },
            {
                "name": "sql",
                "team": "sales",
                "entry": {"when": [{"field": "lead_status", "equals": "Qualified"}]},
            },
            {"name": "opportunity", "team": "sales"},  # set by the CRM, never by rule
            {
                "name": "customer",
                "team": "sales",
                "entry": {"when": [{"field": "lead_status", "equals": "Customer"}]},
            },
        ],
        "detours": [
            {
                "name": "disqualified",
                "team": "sales",
                "entry": {"when": [{"field": "lead_status", "equals": "Disqualified"}]},
            },
            {
                "name": "recycled",
                "team": "marketing",
                # also matches Disqualified: the first detour in the contract wins
                "entry": {"when": [{"field": "lead_status", "in": ["Recycled", "Disqualified"]}]},
            },
            {"name": "nurture", "team": "marketing"},  # no rule: never entered by rule
        ],
    }
)

COLD = Score(fit=0, engagement=0, parts=())
HOT = Score(fit=35, engagement=52, parts=())


def _lead(**fields: Any) -> Lead:
    return Lead(email="ana.silva@acme.example", **fields)


# --- the success path -------------------------------------------------------------------


def test_a_lead_meeting_no_rule_sits_on_the_first_stage() -> None:
    placement = place_lead(CONTRACT, _lead(), COLD, None, NOW)
    assert placement.stage == "subscriber"
    assert placement.reason == "first stage of the funnel"
    assert placement.stage_dates == {"subscriber": NOW}


def test_the_first_stage_is_the_floor_even_with_its_own_rule() -> None:
    contract = FunnelContract.model_validate(
        {
            "version": "1",
            "stages": [
                {"name": "lead", "team": "marketing", "entry": {"score_min": 10}},
                {"name": "mql", "team": "marketing", "entry": {"score_min": 50}},
            ],
        }
    )
    assert place_lead(contract, _lead(), COLD, None, NOW).stage == "lead"


def test_a_rule_on_a_field_moves_the_lead_up() -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), COLD, None, NOW)
    assert placement.stage == "lead"
    assert placement.reason == "company given"


def test_fit_and_engagement_thresholds_make_an_mql() -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), HOT, None, NOW)
    assert placement.stage == "mql"
    assert placement.reason == "fit 35 ≥ 30; engagement 52 ≥ 20"


@pytest.mark.parametrize(
    "score",
    [Score(fit=35, engagement=19, parts=()), Score(fit=29, engagement=80, parts=())],
)
def test_mql_needs_both_fit_and_engagement(score: Score) -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), score, None, NOW)
    assert placement.stage == "lead"


def test_score_min_is_on_the_total() -> None:
    contract = FunnelContract.model_validate(
        {
            "version": "1",
            "stages": [
                {"name": "lead", "team": "marketing"},
                {"name": "mql", "team": "marketing", "entry": {"score_min": 60}},
            ],
        }
    )
    assert place_lead(contract, _lead(), Score(30, 30, ()), None, NOW).stage == "mql"
    assert place_lead(contract, _lead(), Score(30, 29, ()), None, NOW).stage == "lead"


def test_the_furthest_stage_whose_rule_holds_wins() -> None:
    lead = _lead(company="Acme", lead_status="Qualified")
    placement = place_lead(CONTRACT, lead, HOT, None, NOW)
    assert placement.stage == "sql"
    assert placement.reason == "lead status Qualified"


def test_a_later_stage_can_be_reached_without_the_ones_before() -> None:
    # sales works a lead marketing never scored: SAL without being an MQL
    placement = place_lead(CONTRACT, _lead(lead_status="working"), COLD, None, NOW)
    assert placement.stage == "sal"
    assert placement.reason == "lead status in Working, Accepted"


def test_a_stage_without_an_entry_rule_is_never_entered_by_rule() -> None:
    # meets everything up to sql: stays on sql, not on the rule-less opportunity
    lead = _lead(company="Acme", lead_status="Qualified")
    assert place_lead(CONTRACT, lead, HOT, None, NOW).stage == "sql"
    # customer's rule holds: skips opportunity
    assert place_lead(CONTRACT, _lead(lead_status="Customer"), COLD, None, NOW).stage == (
        "customer"
    )


def test_a_rule_less_stage_set_by_a_system_is_kept() -> None:
    placement = place_lead(CONTRACT, _lead(lead_status="Working"), HOT, "opportunity", NOW)
    assert placement.stage == "opportunity"


# --- forward only -----------------------------------------------------------------------


def test_stages_only_move_forward() -> None:
    lead = _lead(company="Acme", stage_dates={"sql": EARLIER})
    placement = place_lead(CONTRACT, lead, COLD, "sql", NOW)
    assert placement.stage == "sql"
    assert "already reached" in placement.reason
    assert placement.stage_dates == {"sql": EARLIER}


def test_a_kept_stage_without_a_date_gets_one() -> None:
    placement = place_lead(CONTRACT, _lead(), COLD, "mql", NOW)
    assert placement.stage == "mql"
    assert placement.stage_dates == {"mql": NOW}


def test_a_previous_stage_behind_the_rules_does_not_hold_the_lead_back() -> None:
    lead = _lead(company="Acme", stage_dates={"lead": EARLIER})
    placement = place_lead(CONTRACT, lead, HOT, "lead", NOW)
    assert placement.stage == "mql"
    assert placement.stage_dates == {"lead": EARLIER, "mql": NOW}


def test_the_same_stage_as_before_keeps_the_rule_reason() -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), HOT, "mql", NOW)
    assert placement.stage == "mql"
    assert placement.reason == "fit 35 ≥ 30; engagement 52 ≥ 20"


def test_an_unknown_previous_stage_is_ignored() -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), COLD, "evangelist", NOW)
    assert placement.stage == "lead"


# --- detours ----------------------------------------------------------------------------


def test_detours_are_checked_first() -> None:
    lead = _lead(company="Acme", lead_status="Recycled")
    placement = place_lead(CONTRACT, lead, HOT, None, NOW)
    assert placement.stage == "recycled"
    assert placement.reason == "lead status in Recycled, Disqualified"


def test_the_first_matching_detour_wins() -> None:
    placement = place_lead(CONTRACT, _lead(lead_status="Disqualified"), COLD, None, NOW)
    assert placement.stage == "disqualified"
    assert placement.reason == "lead status Disqualified"


def test_a_detour_overrides_a_stage_further_along() -> None:
    # moving back is an explicit detour, not a silent overwrite
    lead = _lead(lead_status="Disqualified", stage_dates={"sql": EARLIER})
    placement = place_lead(CONTRACT, lead, HOT, "sql", NOW)
    assert placement.stage == "disqualified"
    assert placement.stage_dates == {"sql": EARLIER, "disqualified": NOW}


def test_a_lead_whose_detour_rule_no_longer_holds_returns_to_the_path() -> None:
    lead = _lead(company="Acme", lead_status="Working", stage_dates={"recycled": EARLIER})
    placement = place_lead(CONTRACT, lead, COLD, "recycled", NOW)
    assert placement.stage == "sal"
    assert placement.stage_dates == {"recycled": EARLIER, "sal": NOW}


def test_a_detour_without_a_rule_is_never_entered_by_rule() -> None:
    placement = place_lead(CONTRACT, _lead(), COLD, None, NOW)
    assert placement.stage == "subscriber"


def test_a_detour_without_a_rule_stays_while_a_system_holds_it() -> None:
    placement = place_lead(CONTRACT, _lead(), HOT, "nurture", NOW)
    assert placement.stage == "nurture"
    assert placement.reason == "set in a connected system"


# --- stage dates ------------------------------------------------------------------------


def test_entering_a_stage_records_now() -> None:
    placement = place_lead(CONTRACT, _lead(company="Acme"), HOT, "lead", NOW)
    assert placement.stage_dates["mql"] == NOW


def test_an_existing_earlier_date_is_kept() -> None:
    lead = _lead(company="Acme", stage_dates={"mql": EARLIER})
    placement = place_lead(CONTRACT, lead, HOT, None, NOW)
    assert placement.stage_dates == {"mql": EARLIER}


def test_the_date_is_recorded_once_across_runs() -> None:
    lead = _lead(company="Acme")
    first = place_lead(CONTRACT, lead, HOT, None, NOW)
    again = lead.model_copy(update={"stage_dates": first.stage_dates})
    later = datetime(2026, 11, 5, tzinfo=UTC)
    second = place_lead(CONTRACT, again, HOT, first.stage, later)
    assert second.stage_dates == {"mql": NOW}


def test_placing_a_lead_does_not_change_the_lead() -> None:
    lead = _lead(company="Acme", stage_dates={"lead": EARLIER})
    place_lead(CONTRACT, lead, HOT, None, NOW)
    assert lead.stage_dates == {"lead": EARLIER}
