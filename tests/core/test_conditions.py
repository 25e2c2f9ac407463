"""Field conditions: the tests fit rules and stage entry rules make on a lead."""

from __future__ import annotations

from typing import Any

import pytest

from funnelsync.conditions import condition_holds, describe_condition
from funnelsync.contract import FieldCondition
from funnelsync.models import Lead


def _condition(**data: Any) -> FieldCondition:
    return FieldCondition.model_validate(data)


def _lead(**fields: Any) -> Lead:
    return Lead(email="ana.silva@acme.example", **fields)


# --- equals / in ------------------------------------------------------------------------


@pytest.mark.parametrize("stored", ["VP Marketing", "vp marketing", "  VP MARKETING "])
def test_equals_ignores_case_and_surrounding_spaces_for_text(stored: str) -> None:
    condition = _condition(field="title", equals="VP Marketing")
    assert condition_holds(condition, _lead(title=stored))


def test_equals_does_not_match_a_different_value() -> None:
    condition = _condition(field="country", equals="US")
    assert not condition_holds(condition, _lead(country="UK"))
    # equals is a whole-value test, not a substring search
    assert not condition_holds(condition, _lead(country="USA"))


def test_in_matches_any_listed_value_case_insensitively() -> None:
    condition = _condition(field="industry", **{"in": ["Healthcare", "Software"]})
    assert condition_holds(condition, _lead(industry="software"))
    assert condition_holds(condition, _lead(industry="HEALTHCARE"))
    assert not condition_holds(condition, _lead(industry="Retail"))


def test_equals_on_a_number_field_accepts_the_number_written_as_text() -> None:
    # YAML `equals: "500"` on company_size
    condition = _condition(field="company_size", equals="500")
    assert condition_holds(condition, _lead(company_size=500))
    assert not condition_holds(condition, _lead(company_size=501))


def test_equals_a_number_on_a_text_field_holding_that_number() -> None:
    # YAML `equals: 2024` (unquoted, so an int) against a text field holding "2024"
    condition = _condition(field="source", equals=2024)
    assert condition_holds(condition, _lead(source="2024"))
    assert condition_holds(condition, _lead(source=" 2024.0 "))
    assert not condition_holds(condition, _lead(source="Webinar 2024"))


def test_in_mixes_numbers_and_text() -> None:
    condition = _condition(field="company_size", **{"in": [50, "100", 250]})
    assert condition_holds(condition, _lead(company_size=100))
    assert condition_holds(condition, _lead(company_size=250))
    assert not condition_holds(condition, _lead(company_size=99))


# --- min / max --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "holds"),
    [(199, False), (200, True), (600, True), (1000, True), (1001, False)],
)
def test_number_range_is_inclusive_at_both_ends(size: int, holds: bool) -> None:
    condition = _condition(field="company_size", min=200, max=1000)
    assert condition_holds(condition, _lead(company_size=size)) is holds


def test_min_only_and_max_only() -> None:
    at_least = _condition(field="company_size", min=500)
    at_most = _condition(field="company_size", max=50)
    assert condition_holds(at_least, _lead(company_size=5000))
    assert not condition_holds(at_least, _lead(company_size=499))
    assert condition_holds(at_most, _lead(company_size=0))
    assert not condition_holds(at_most, _lead(company_size=51))


def test_range_bounds_written_as_strings_are_numbers() -> None:
    # a consultant quoting numbers in YAML: min: "200"
    condition = _condition(field="company_size", min="200", max="1000")
    assert condition.min == 200
    assert condition_holds(condition, _lead(company_size=300))


def test_range_on_a_text_field_that_holds_a_number() -> None:
    condition = _condition(field="source", min=10, max=20)
    assert condition_holds(condition, _lead(source="15"))
    assert condition_holds(condition, _lead(source=" 12.5 "))
    assert not condition_holds(condition, _lead(source="25"))


def test_range_on_text_that_is_not_a_number_does_not_hold() -> None:
    condition = _condition(field="source", min=0)
    assert not condition_holds(condition, _lead(source="Webinar"))


def test_number_field_given_as_text_on_the_lead() -> None:
    # systems often send company size as "1200"; the lead model reads it as a number
    condition = _condition(field="company_size", min=1000)
    assert condition_holds(condition, _lead(company_size="1200"))


# --- present ----------------------------------------------------------------------------


def test_present_true_needs_a_value() -> None:
    condition = _condition(field="phone", present=True)
    assert condition_holds(condition, _lead(phone="+1 555 0100"))
    assert not condition_holds(condition, _lead())


def test_present_false_needs_no_value_and_a_blank_counts_as_none() -> None:
    condition = _condition(field="phone", present=False)
    assert condition_holds(condition, _lead())
    assert condition_holds(condition, _lead(phone="   "))
    assert not condition_holds(condition, _lead(phone="+1 555 0100"))


def test_present_on_a_number_field_with_zero_counts_as_given() -> None:
    assert condition_holds(_condition(field="company_size", present=True), _lead(company_size=0))


# --- matches ----------------------------------------------------------------------------


def test_matches_searches_anywhere_in_the_text() -> None:
    condition = _condition(field="title", matches=r"(?i)\b(vp|head|director)\b")
    assert condition_holds(condition, _lead(title="Senior Director of Demand Gen"))
    assert condition_holds(condition, _lead(title="Head of Growth"))
    assert not condition_holds(condition, _lead(title="Headhunter"))


def test_matches_is_case_sensitive_unless_the_pattern_says_otherwise() -> None:
    condition = _condition(field="title", matches="CEO")
    assert condition_holds(condition, _lead(title="Founder & CEO"))
    assert not condition_holds(condition, _lead(title="founder & ceo"))


def test_matches_on_a_number_field_searches_its_digits() -> None:
    condition = _condition(field="company_size", matches=r"^\d{4,}$")
    assert condition_holds(condition, _lead(company_size=1200))
    assert not condition_holds(condition, _lead(company_size=120))


# --- missing values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"field": "industry", "equals": "Software"},
        {"field": "industry", "in": ["Software", "Retail"]},
        {"field": "industry", "matches": ".*"},
        {"field": "company_size", "min": 0},
        {"field": "company_size", "max": 10_000},
        {"field": "company_size", "min": 0, "max": 10_000},
        {"field": "industry", "present": True},
    ],
)
def test_a_missing_value_meets_no_operator_but_present_false(data: dict[str, Any]) -> None:
    lead = _lead()
    assert not condition_holds(FieldCondition.model_validate(data), lead)
    field = str(data["field"])
    assert condition_holds(_condition(field=field, present=False), lead)


# --- describe_condition -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reading"),
    [
        ({"field": "title", "present": True}, "title given"),
        ({"field": "phone", "present": False}, "phone missing"),
        ({"field": "industry", "equals": "Software"}, "industry Software"),
        (
            {"field": "industry", "in": ["Healthcare", "Software"]},
            "industry in Healthcare, Software",
        ),
        ({"field": "title", "matches": "(?i)vp"}, "title matches (?i)vp"),
        ({"field": "company_size", "min": 200, "max": 1000}, "company size 200-1000"),
        ({"field": "company_size", "min": 200}, "company size ≥ 200"),
        ({"field": "company_size", "max": 50}, "company size ≤ 50"),
        ({"field": "lead_status", "equals": "Working"}, "lead status Working"),
    ],
)
def test_describe_condition_reads_like_the_contract(data: dict[str, Any], reading: str) -> None:
    assert describe_condition(FieldCondition.model_validate(data)) == reading


def test_describe_condition_writes_big_and_fractional_numbers_plainly() -> None:
    assert describe_condition(_condition(field="company_size", min=1_000_000)) == (
        "company size ≥ 1000000"
    )
    assert describe_condition(_condition(field="company_size", min=2.5, max=1_234_567)) == (
        "company size 2.5-1234567"
    )
