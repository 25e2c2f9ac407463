"""Custom attributes: declared in the contract, read by type, merged, used in conditions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.conditions import condition_holds, describe_condition
from funnelsync.contract import FieldCondition, FunnelContract
from funnelsync.mapping import Mapping, MappingError, read_lead, write_fields
from funnelsync.merge import SourceLead, merge_leads
from funnelsync.models import Lead

ATTRIBUTES: dict[str, Any] = {
    "annual_revenue": {"type": "decimal"},
    "employees": {"type": "integer"},
    "trial_user": {"type": "boolean"},
    "trial_started": {"type": "date"},
    "last_login": {"type": "datetime"},
    "job_level": {"type": "picklist", "values": ["c-level", "vp", "director", "manager", "ic"]},
    "products": {"type": "multi_picklist", "values": ["crm", "cms", "ops"]},
    "notes": {"type": "text"},
}


def _contract(**extra: Any) -> FunnelContract:
    return FunnelContract.model_validate(
        {
            "version": "1",
            "attributes": ATTRIBUTES,
            "stages": [{"name": "mql", "team": "marketing"}],
            **extra,
        }
    )


def _mapping(**lead_fields: Any) -> Mapping:
    mapping = Mapping.model_validate({"lead_fields": {"email": "Email", **lead_fields}})
    return mapping.with_attributes(_contract().attributes)


def _read(column: str, attribute: str, raw: Any, **field: Any) -> Any:
    mapping = _mapping(**{attribute: {"field": column, **field}})
    return read_lead(mapping, {"Email": "ann@example.com", column: raw}).attributes.get(attribute)


# --- reading by type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "raw", "expected"),
    [
        ("annual_revenue", "2.5", 2.5),
        ("annual_revenue", "1,250,000", 1250000.0),
        ("annual_revenue", 7, 7.0),
        ("employees", "2.0", 2),
        ("trial_user", "Yes", True),
        ("trial_user", "0", False),
        ("trial_started", "2021-04-15", "2021-04-15"),
        ("last_login", "2021-04-15T10:00:00Z", "2021-04-15T10:00:00+00:00"),
        ("job_level", "VP", "vp"),
        ("products", "CRM; ops", ["crm", "ops"]),
        # HubSpot's multiple checkboxes can come with a leading ';'; exports leave doubled ones.
        ("products", ";crm;;ops;", ["crm", "ops"]),
        ("notes", "  likes golf ", "likes golf"),
        ("notes", "", None),
    ],
)
def test_values_are_read_by_the_attribute_type(attribute: str, raw: Any, expected: Any) -> None:
    assert _read("Column", attribute, raw) == expected


@pytest.mark.parametrize(
    ("attribute", "raw", "message"),
    [
        ("annual_revenue", "lots", "'lots' is not a decimal number (attribute type decimal)"),
        ("employees", "2.5", "'2.5' is not a whole number (attribute type integer)"),
        ("trial_user", "maybe", "'maybe' is not true or false (yes/no, 1/0)"),
        ("job_level", "intern", "'intern' is not one of the picklist values c-level, vp,"),
        ("products", "crm;erp", "'erp' is not one of the multi_picklist values crm, cms, ops"),
    ],
)
def test_a_bad_value_names_column_attribute_value_and_expected_type(
    attribute: str, raw: str, message: str
) -> None:
    with pytest.raises(MappingError) as caught:
        _read("Column", attribute, raw)
    assert str(caught.value).startswith(f"Column ({attribute}): {message}")


def test_an_unreadable_date_attribute_is_left_empty_with_a_warning() -> None:
    mapping = _mapping(trial_started={"field": "Trial", "format": "%d/%m/%Y"})
    warnings: list[str] = []
    lead = read_lead(mapping, {"Email": "a@example.com", "Trial": "15 Apr, 2021"}, warnings)
    assert "trial_started" not in lead.attributes
    assert warnings == [
        "Trial (trial_started): '15 Apr, 2021' is not format '%d/%m/%Y'; left empty"
    ]


def test_a_format_list_is_tried_in_order_and_an_ambiguous_value_is_a_warning() -> None:
    mapping = _mapping(trial_started={"field": "Trial", "format": ["%d/%m/%Y", "%m/%d/%Y"]})
    warnings: list[str] = []
    unambiguous = read_lead(mapping, {"Email": "a@example.com", "Trial": "25/04/2021"}, warnings)
    assert unambiguous.attributes["trial_started"] == "2021-04-25"
    assert warnings == []

    ambiguous = read_lead(mapping, {"Email": "a@example.com", "Trial": "03/04/2021"}, warnings)

    assert ambiguous.attributes["trial_started"] == "2021-04-03"
    assert warnings == [
        "Trial (trial_started): '03/04/2021' is ambiguous: read as 2021-04-03 by '%d/%m/%Y', "
        "but another format reads it as 2021-03-04"
    ]


def test_company_size_takes_whole_decimals_and_says_what_it_expected_otherwise() -> None:
    mapping = Mapping.model_validate(
        {"lead_fields": {"email": "Email", "company_size": "Employees"}}
    )
    assert read_lead(mapping, {"Email": "a@example.com", "Employees": "250.0"}).company_size == 250
    with pytest.raises(MappingError) as caught:
        read_lead(mapping, {"Email": "a@example.com", "Employees": "2.5"})
    assert str(caught.value) == (
        "Employees (company_size): expected a whole number (e.g. 250 or 250.0), got '2.5'"
    )


def test_attributes_are_written_back_through_their_mapping() -> None:
    mapping = _mapping(annual_revenue="Revenue", products="Products")
    lead = Lead(email="a@example.com", attributes={"annual_revenue": 2.5, "products": ["crm"]})
    assert write_fields(mapping, lead) == {
        "Email": "a@example.com",
        "Revenue": 2.5,
        "Products": "crm",
    }


# --- the contract ---------------------------------------------------------------------


def test_conditions_may_name_attributes_only_when_declared() -> None:
    rule = {"field": "annual_revenue", "min": 1000000, "points": 10}
    contract = _contract(scoring={"fit": {"rules": [rule]}})
    assert contract.scoring.fit.rules[0].field == "annual_revenue"

    with pytest.raises(ValidationError) as caught:
        FunnelContract.model_validate(
            {
                "version": "1",
                "stages": [{"name": "mql", "team": "marketing"}],
                "scoring": {"fit": {"rules": [rule]}},
            }
        )
    (error,) = caught.value.errors()
    assert error["loc"] == ("scoring", "fit", "rules", 0, "field")
    assert "unknown lead field 'annual_revenue'" in error["msg"]
    assert "declared under attributes:" in error["msg"]


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ({"type": "picklist"}, "a picklist attribute needs its values"),
        ({"type": "decimal", "values": ["a"]}, "values: is only for picklist"),
        ({"type": "money"}, "Input should be 'text', 'integer'"),
    ],
)
def test_bad_attribute_declarations_are_refused(attribute: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FunnelContract.model_validate(
            {
                "version": "1",
                "attributes": {"x": attribute},
                "stages": [{"name": "mql", "team": "marketing"}],
            }
        )


def test_an_attribute_may_not_shadow_a_built_in_field() -> None:
    with pytest.raises(ValidationError, match="attributes title have the names of built-in"):
        FunnelContract.model_validate(
            {
                "version": "1",
                "attributes": {"title": {"type": "text"}},
                "stages": [{"name": "mql", "team": "marketing"}],
            }
        )


def test_the_contract_schema_describes_attributes() -> None:
    schema = FunnelContract.model_json_schema()
    assert "attributes" in schema["properties"]
    kinds = schema["$defs"]["AttributeType"]["enum"]
    assert kinds == [
        "text",
        "integer",
        "decimal",
        "boolean",
        "date",
        "datetime",
        "picklist",
        "multi_picklist",
    ]


# --- conditions -------------------------------------------------------------------------


def _holds(condition: dict[str, Any], **attributes: Any) -> bool:
    contract = _contract(scoring={"fit": {"rules": [{**condition, "points": 1}]}})
    lead = Lead(email="a@example.com", attributes=attributes)
    return condition_holds(contract.scoring.fit.rules[0], lead)


def test_min_and_max_on_decimal_attributes() -> None:
    rule = {"field": "annual_revenue", "min": 1000, "max": 5000.5}
    assert _holds(rule, annual_revenue=5000.5)
    assert not _holds(rule, annual_revenue=5000.6)
    assert not _holds(rule)


def test_min_and_max_on_date_attributes_count_whole_days() -> None:
    rule = {"field": "trial_started", "min": date(2021, 1, 1), "max": date(2021, 3, 31)}
    assert _holds(rule, trial_started="2021-03-31")
    assert _holds({**rule, "field": "last_login"}, last_login="2021-03-31T23:59:00+00:00")
    assert not _holds({**rule, "field": "last_login"}, last_login="2021-04-01T00:00:00+00:00")
    assert _holds(rule, trial_started="2021-01-01")
    assert not _holds(rule, trial_started="2021-04-01")
    assert not _holds(rule, trial_started="2020-12-31")


def test_dates_bound_built_in_timestamps_too() -> None:
    condition = FieldCondition.model_validate({"field": "created_at", "min": date(2021, 1, 1)})
    assert condition_holds(condition, Lead(created_at=datetime(2021, 1, 1, 0, 0, tzinfo=UTC)))
    assert not condition_holds(condition, Lead(created_at=datetime(2020, 12, 31, tzinfo=UTC)))
    assert describe_condition(condition) == "created at ≥ 2021-01-01"


def test_in_present_and_matches_on_picklists() -> None:
    assert _holds({"field": "job_level", "in": ["VP", "c-level"]}, job_level="vp")
    assert not _holds({"field": "job_level", "in": ["vp"]}, job_level="ic")
    assert _holds({"field": "products", "in": ["ops"]}, products=["crm", "ops"])
    assert not _holds({"field": "products", "present": True}, products=[])
    assert _holds({"field": "products", "present": False})
    assert _holds({"field": "notes", "matches": "(?i)golf"}, notes="Likes Golf")
    assert _holds({"field": "trial_user", "equals": True}, trial_user=True)


def test_min_and_max_must_both_be_numbers_or_dates() -> None:
    with pytest.raises(ValidationError, match="min and max must both be numbers or both be dates"):
        FieldCondition.model_validate({"field": "created_at", "min": 3, "max": date(2021, 1, 1)})


# --- merging ------------------------------------------------------------------------------


def test_attributes_merge_by_the_ownership_rules() -> None:
    contract = _contract(
        ownership={"annual_revenue": "prefer sales unless blank", "job_level": "always sales"}
    )
    marketing = Lead(
        email="a@example.com", attributes={"annual_revenue": 1.0, "job_level": "vp", "notes": "x"}
    )
    sales = Lead(email="a@example.com", attributes={"annual_revenue": 2.0})

    lead = merge_leads(
        contract,
        [SourceLead("marketing", "m1", "m", marketing), SourceLead("sales", "s1", "s", sales)],
    )

    assert lead.attributes == {"annual_revenue": 2.0, "notes": "x"}


def test_date_attributes_are_written_in_the_field_format() -> None:
    mapping = _mapping(
        trial_started={"field": "Trial", "format": ["%d/%m/%Y", "%Y-%m-%d"]},
        last_login={"field": "Login", "format": "%d/%m/%Y %H:%M"},
    )
    lead = Lead(
        attributes={"trial_started": "2021-04-15", "last_login": "2021-04-15T10:30:00+00:00"}
    )
    fields = write_fields(mapping, lead)
    assert (fields["Trial"], fields["Login"]) == ("15/04/2021", "15/04/2021 10:30")
    read_back = read_lead(mapping, {**fields, "Email": "a@example.com"})
    assert read_back.attributes == lead.attributes
