"""A record that cannot be mapped is refused with the system field, the canonical one and why."""

from __future__ import annotations

from typing import Any

import pytest

from funnelsync.mapping import (
    FieldMap,
    Mapping,
    MappingError,
    format_value,
    read_activity,
    read_lead,
    scalar_text,
)

MAPPING = Mapping.model_validate(
    {
        "lead_fields": {"email": "Email", "company_size": "Employees", "title": "title"},
        "activity_fields": {"email": "Email", "type": "Type", "occurred_at": "When"},
    }
)
MAPPING_WITH_ID = Mapping.model_validate(
    {
        "activity_fields": {
            "activity_id": "Id",
            "email": "Email",
            "type": "Type",
            "occurred_at": "When",
        }
    }
)
WHEN = "2026-03-01T10:00:00Z"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"Email": "a@example.com", "Employees": "lots"},
            "Employees (company_size): expected a whole number (e.g. 250 or 250.0), got 'lots'",
        ),
        (
            {"Email": "nope"},
            "Email (email): 'nope' is not a valid email address: An email address must have an "
            "@-sign.",
        ),
    ],
    ids=["not-a-number", "bad-email"],
)
def test_a_bad_lead_value_is_named_by_system_and_canonical_field(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(MappingError) as refused:
        read_lead(MAPPING, fields)
    assert str(refused.value) == message


def test_a_field_named_alike_in_both_is_named_once() -> None:
    mapping = Mapping.model_validate(
        {"lead_fields": {"email": "email", "company_size": "company_size"}}
    )
    with pytest.raises(MappingError) as refused:
        read_lead(mapping, {"email": "a@example.com", "company_size": "-5"})
    assert str(refused.value) == (
        "company_size: Input should be greater than or equal to 0 (got -5)"
    )


def test_a_blank_or_absent_required_activity_field_is_missing() -> None:
    with pytest.raises(MappingError) as blank:
        read_activity(MAPPING, {"Email": "a@example.com", "Type": "", "When": WHEN})
    assert str(blank.value) == "Type (type): missing (blank or no such field)"
    with pytest.raises(MappingError) as absent:
        read_activity(MAPPING, {"Email": "a@example.com", "When": WHEN})
    assert str(absent.value) == "type: missing (blank or no such field)"


def test_a_value_without_an_entry_in_the_value_map_is_written_as_it_is() -> None:
    field_map = FieldMap(field="Status", values={"mql": "Marketing Qualified"})
    assert format_value(field_map, "mql") == "Marketing Qualified"
    assert format_value(field_map, "customer") == "customer"


def test_plain_text_of_scalars() -> None:
    assert [scalar_text(v) for v in (None, True, False, 3, 2.5, "x")] == [
        "",
        "true",
        "false",
        "3",
        "2.5",
        "x",
    ]
    with pytest.raises(TypeError, match=r"^a list has no plain-text form$"):
        scalar_text([1])


def test_a_timestamp_that_is_not_iso_says_what_was_expected() -> None:
    # An optional timestamp that cannot be read is left empty with a field warning
    # (issue 12, dates); the warning says what was expected.
    mapping = Mapping.model_validate({"lead_fields": {"email": "Email", "created_at": "Created"}})
    warnings: list[str] = []
    lead = read_lead(mapping, {"Email": "a@example.com", "Created": "yesterday"}, warnings)
    assert lead.created_at is None
    assert warnings == [
        "Created (created_at): 'yesterday' is not an ISO 8601 timestamp; left empty"
    ]


def test_an_activity_without_a_mapped_optional_column_is_still_read() -> None:
    """The id column comes first in the mapping; a system without it still gives activities."""
    activity = read_activity(
        MAPPING_WITH_ID, {"Email": "a@example.com", "Type": "call", "When": WHEN}
    )
    assert (activity.email, activity.type, activity.activity_id) == ("a@example.com", "call", None)


def test_a_whole_record_rule_is_named_without_an_empty_field() -> None:
    with pytest.raises(MappingError) as raised:
        read_activity(MAPPING, {"Email": "", "Type": "meeting", "When": WHEN})
    assert str(raised.value) == "the activity names no person (no email and no lead key)"
