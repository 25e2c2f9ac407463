"""The funnel contract: what consultants write, and the errors they get when it is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.contract import (
    FieldCondition,
    FitRule,
    FunnelContract,
    OwnershipKind,
    OwnershipRule,
    Stage,
)


def _contract_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "2026-03-01",
        "stages": [
            {"name": "subscriber", "team": "marketing"},
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing", "entry": {"score_min": 50}},
            {"name": "sales_accepted", "team": "sales", "label": "Accepted by sales"},
        ],
        "detours": [{"name": "disqualified", "team": "sales"}],
        "scoring": {
            "fit": {"rules": [{"field": "title", "matches": "(?i)head|vp", "points": 20}]},
            "engagement": {"points": {"demo_request": 30}, "caps": {"demo_request": 60}},
        },
        "sla": [{"stage": "mql", "within_hours": 24}],
        "ownership": {"phone": "prefer sales unless blank"},
    }
    data.update(overrides)
    return data


def _errors(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        FunnelContract.model_validate(data)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def test_a_complete_contract_loads() -> None:
    contract = FunnelContract.model_validate(_contract_data())
    assert [stage.name for stage in contract.stages] == [
        "subscriber",
        "lead",
        "mql",
        "sales_accepted",
    ]
    assert contract.ownership_for("phone") == OwnershipRule(
        rule=OwnershipKind.prefer, system="sales"
    )
    assert contract.ownership_for("title").rule is OwnershipKind.two_way


# --- unknown keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"stags": []}, ("stags",)),
        (
            {"scoring": {"fit": {"rulez": []}}},
            ("scoring", "fit", "rulez"),
        ),
        (
            {"stages": [{"name": "mql", "team": "marketing", "entry": {"treshold": 50}}]},
            ("stages", 0, "entry", "treshold"),
        ),
        (
            {"scoring": {"fit": {"rules": [{"field": "title", "equals": "CEO", "pionts": 5}]}}},
            ("scoring", "fit", "rules", 0, "pionts"),
        ),
        ({"sla": [{"stage": "mql", "within_hours": 4, "hours": 4}]}, ("sla", 0, "hours")),
    ],
)
def test_unknown_key_is_an_error_at_its_path(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert (loc, "Extra inputs are not permitted") in _errors(_contract_data(**data))


# --- consistency ----------------------------------------------------------------------


def test_duplicate_stage_names_are_refused_even_across_detours() -> None:
    data = _contract_data(detours=[{"name": "lead", "team": "sales"}])
    [(_, message)] = _errors(data)
    assert "stage names must be unique; repeated: lead" in message


def test_sla_naming_an_unknown_stage_is_refused() -> None:
    [(_, message)] = _errors(_contract_data(sla=[{"stage": "sql", "within_hours": 4}]))
    assert "sla names stage 'sql', which is not in stages or detours" in message


@pytest.mark.parametrize("field", ["score", "stage", "stage_dates", "explanation"])
def test_ownership_of_a_computed_field_is_refused(field: str) -> None:
    [(_, message)] = _errors(_contract_data(ownership={field: "always sales"}))
    assert f"ownership names {field!r}, which is not a descriptive lead field" in message
    assert "belong to the contract" in message


def test_stage_names_must_be_identifiers() -> None:
    errors = _errors(_contract_data(stages=[{"name": "Marketing Qualified", "team": "marketing"}]))
    assert [loc for loc, _ in errors] == [("stages", 0, "name")]


def test_a_contract_needs_at_least_one_stage() -> None:
    assert [loc for loc, _ in _errors(_contract_data(stages=[]))] == [("stages",)]


def test_engagement_caps_need_points() -> None:
    scoring = {"engagement": {"points": {"email_click": 1}, "caps": {"webinar": 10}}}
    [(loc, message)] = _errors(_contract_data(scoring=scoring))
    assert loc == ("scoring", "engagement")
    assert "caps given for activity types without points: webinar" in message


# --- conditions -----------------------------------------------------------------------


def test_condition_without_an_operator_says_what_is_expected() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldCondition.model_validate({"field": "title"})
    assert "a condition needs exactly one of equals, in, matches, min/max, present" in str(
        caught.value
    )


def test_condition_with_two_operators_names_both() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldCondition.model_validate({"field": "title", "equals": "CEO", "in": ["CFO"]})
    assert "(got equals, in)" in str(caught.value)


def test_min_and_max_together_are_one_operator() -> None:
    condition = FieldCondition.model_validate({"field": "company_size", "min": 50, "max": 500})
    assert (condition.min, condition.max) == (50, 500)


def test_present_false_counts_as_an_operator() -> None:
    assert FieldCondition.model_validate({"field": "phone", "present": False}).present is False


def test_in_is_written_as_in() -> None:
    condition = FieldCondition.model_validate({"field": "country", "in": ["DE", "AT"]})
    assert condition.in_ == ["DE", "AT"]


def test_invalid_regular_expression_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldCondition.model_validate({"field": "title", "matches": "head(of"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("matches",)
    assert "invalid regular expression 'head(of'" in error["msg"]


def test_condition_on_an_unknown_field_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldCondition.model_validate({"field": "titel", "equals": "CEO"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("field",)
    assert "unknown lead field 'titel'; expected one of:" in error["msg"]
    assert "title" in error["msg"]
    assert "stage_dates" not in error["msg"]


def test_fit_rule_needs_points() -> None:
    with pytest.raises(ValidationError) as caught:
        FitRule.model_validate({"field": "title", "equals": "CEO"})
    assert [error["loc"] for error in caught.value.errors()] == [("points",)]


# --- ownership phrases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "rule", "system"),
    [
        ("prefer sales unless blank", OwnershipKind.prefer, "sales"),
        ("  Prefer   sales  UNLESS blank ", OwnershipKind.prefer, "sales"),
        ("always marketing", OwnershipKind.always, "marketing"),
        ("two-way", OwnershipKind.two_way, None),
        ("two way", OwnershipKind.two_way, None),
        ("set if empty", OwnershipKind.set_if_empty, None),
        ("don't sync", OwnershipKind.dont_sync, None),
        ("dont sync", OwnershipKind.dont_sync, None),
        ("Don\u2019t sync", OwnershipKind.dont_sync, None),
    ],
)
def test_ownership_phrases_parse(phrase: str, rule: OwnershipKind, system: str | None) -> None:
    parsed = OwnershipRule.model_validate(phrase)
    assert (parsed.rule, parsed.system) == (rule, system)


def test_ownership_phrase_keeps_the_system_name_as_written() -> None:
    # The same rule in mapping form keeps its case, so the phrase must too.
    phrase = OwnershipRule.model_validate("always HubSpot")
    mapping = OwnershipRule.model_validate({"rule": "always", "system": "HubSpot"})
    assert phrase == mapping


@pytest.mark.parametrize("phrase", ["prefer sales when blank", "sometimes", "prefer", "sync"])
def test_bad_ownership_phrase_lists_the_accepted_forms(phrase: str) -> None:
    with pytest.raises(ValidationError) as caught:
        OwnershipRule.model_validate(phrase)
    message = str(caught.value)
    assert f"unknown ownership rule {phrase!r}" in message
    for form in (
        "'prefer <system> unless blank'",
        "'always <system>'",
        "'two-way'",
        "'set if empty'",
        '"don\'t sync"',
    ):
        assert form in message


def test_bad_ownership_phrase_in_a_contract_is_located() -> None:
    errors = _errors(_contract_data(ownership={"phone": "prefer sales when blank"}))
    assert [loc for loc, _ in errors] == [("ownership", "phone")]


def test_ownership_mapping_form_checks_the_system() -> None:
    with pytest.raises(ValidationError, match="rule 'always' needs a system"):
        OwnershipRule.model_validate({"rule": "always"})
    with pytest.raises(ValidationError, match="rule 'two_way' takes no system"):
        OwnershipRule.model_validate({"rule": "two_way", "system": "sales"})


# --- lookups --------------------------------------------------------------------------


def test_path_index_counts_only_the_success_path() -> None:
    contract = FunnelContract.model_validate(_contract_data())
    assert contract.path_index("subscriber") == 0
    assert contract.path_index("mql") == 2
    assert contract.path_index("disqualified") is None
    assert contract.path_index("nope") is None


def test_stage_lookup_and_all_stages() -> None:
    contract = FunnelContract.model_validate(_contract_data())
    assert contract.stage("disqualified").team == "sales"
    assert contract.stage("mql").entry is not None
    assert [stage.name for stage in contract.all_stages][-1] == "disqualified"
    assert len(contract.all_stages) == 5
    with pytest.raises(KeyError):
        contract.stage("sql")


@pytest.mark.parametrize(
    ("name", "label", "shown"),
    [
        ("mql", None, "MQL"),
        ("sql", None, "SQL"),
        ("subscriber", None, "Subscriber"),
        ("sales_accepted", None, "Sales Accepted"),
        ("sal", "Sales Accepted Lead", "Sales Accepted Lead"),
    ],
)
def test_display_name(name: str, label: str | None, shown: str) -> None:
    assert Stage(name=name, label=label, team="sales").display_name == shown
