"""Field mappings: reading system records into canonical ones and writing them back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.mapping import (
    FieldMap,
    Mapping,
    MappingError,
    format_value,
    read_activity,
    read_lead,
    write_fields,
)
from funnelsync.models import Lead


def _mapping(lead_fields: dict[str, Any], **extra: Any) -> Mapping:
    return Mapping.model_validate({"lead_fields": {"email": "Email", **lead_fields}, **extra})


STATUS: dict[str, Any] = {
    "field": "Status",
    "values": {"mql": "Marketing Qualified", "disqualified": "Closed - Not Converted"},
}


# --- value maps -----------------------------------------------------------------------


def test_value_map_reads_system_values_as_canonical() -> None:
    mapping = _mapping({"stage": STATUS})
    lead = read_lead(mapping, {"Email": "ann@example.com", "Status": "Closed - Not Converted"})
    assert lead.stage == "disqualified"


@pytest.mark.parametrize("raw", ["closed - not converted", "  CLOSED - NOT CONVERTED "])
def test_value_map_reverse_lookup_ignores_case_and_spaces(raw: str) -> None:
    lead = read_lead(_mapping({"stage": STATUS}), {"Email": "ann@example.com", "Status": raw})
    assert lead.stage == "disqualified"


def test_unmapped_system_value_passes_through() -> None:
    lead = read_lead(_mapping({"stage": STATUS}), {"Email": "a@example.com", "Status": "Working"})
    assert lead.stage == "Working"


def test_value_map_writes_canonical_values_as_system_values() -> None:
    lead = Lead(email="ann@example.com", stage="disqualified")
    assert write_fields(_mapping({"stage": STATUS}), lead) == {
        "Email": "ann@example.com",
        "Status": "Closed - Not Converted",
    }


def test_value_map_round_trips() -> None:
    mapping = _mapping({"stage": STATUS})
    for system_value in STATUS["values"].values():
        lead = read_lead(mapping, {"Email": "ann@example.com", "Status": system_value})
        assert write_fields(mapping, lead, only={"stage"}) == {"Status": system_value}


# --- transforms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transform", "expected"),
    [("strip", "head of sales"), ("lower", "head of sales"), ("upper", "HEAD OF SALES")],
)
def test_transforms_clean_up_read_text(transform: str, expected: str) -> None:
    mapping = _mapping({"title": {"field": "Title", "transform": transform}})
    lead = read_lead(mapping, {"Email": "ann@example.com", "Title": "  head of sales "})
    assert lead.title == expected


def test_title_transform() -> None:
    mapping = _mapping({"country": {"field": "Country", "transform": "title"}})
    lead = read_lead(mapping, {"Email": "ann@example.com", "Country": "united KINGDOM"})
    assert lead.country == "United Kingdom"


def test_transform_does_not_alter_a_value_map_result() -> None:
    # "title" cleans up the system's text; the canonical stage "mql" must stay "mql".
    mapping = _mapping({"stage": {**STATUS, "transform": "title"}})
    lead = read_lead(mapping, {"Email": "ann@example.com", "Status": "marketing qualified"})
    assert lead.stage == "mql"
    assert write_fields(mapping, lead, only={"stage"}) == {"Status": "Marketing Qualified"}


def test_unknown_transform_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _mapping({"title": {"field": "Title", "transform": "capitalise"}})
    assert [error["loc"] for error in caught.value.errors()] == [
        ("lead_fields", "title", "transform")
    ]


# --- timestamps -----------------------------------------------------------------------


def test_naive_timestamp_is_read_in_the_mapping_timezone() -> None:
    mapping = _mapping({"created_at": "CreatedDate"}, timezone="Europe/Berlin")
    lead = read_lead(mapping, {"Email": "ann@example.com", "CreatedDate": "2026-03-01 10:00:00"})
    assert lead.created_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_naive_timestamp_defaults_to_utc() -> None:
    mapping = _mapping({"created_at": "CreatedDate"})
    lead = read_lead(mapping, {"Email": "ann@example.com", "CreatedDate": "2026-03-01 10:00:00"})
    assert lead.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_timestamp_with_offset_ignores_the_mapping_timezone() -> None:
    mapping = _mapping({"created_at": "CreatedDate"}, timezone="Europe/Berlin")
    record = {"Email": "ann@example.com", "CreatedDate": "2026-03-01T10:00:00Z"}
    assert read_lead(mapping, record).created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_format_parses_matching_timestamps() -> None:
    mapping = _mapping({"created_at": {"field": "Created", "format": "%d/%m/%Y"}})
    lead = read_lead(mapping, {"Email": "ann@example.com", "Created": "31/01/2026"})
    assert lead.created_at == datetime(2026, 1, 31, tzinfo=UTC)


def test_other_timestamps_are_left_empty_with_a_warning_naming_column_and_format() -> None:
    mapping = _mapping({"created_at": {"field": "Created", "format": "%d/%m/%Y"}})
    warnings: list[str] = []
    lead = read_lead(mapping, {"Email": "ann@example.com", "Created": "2026-01-31"}, warnings)
    assert lead.created_at is None
    (message,) = warnings
    assert message.startswith("Created (created_at): ")
    assert "'2026-01-31'" in message
    assert "'%d/%m/%Y'" in message
    assert message.endswith("left empty")


def test_iso_is_expected_without_a_format() -> None:
    mapping = _mapping({"created_at": "Created"})
    warnings: list[str] = []
    read_lead(mapping, {"Email": "ann@example.com", "Created": "yesterday"}, warnings)
    assert len(warnings) == 1
    assert warnings[0].startswith("Created (created_at): 'yesterday' is not an ISO 8601")


def test_timestamps_are_written_in_the_mapping_timezone_and_format() -> None:
    mapping = _mapping(
        {"created_at": {"field": "Created", "format": "%Y-%m-%d %H:%M:%S"}},
        timezone="Europe/Berlin",
    )
    record = {"Email": "ann@example.com", "Created": "2026-03-01 10:00:00"}
    lead = read_lead(mapping, record)
    assert write_fields(mapping, lead) == record


def test_iso_timestamps_are_written_with_their_offset() -> None:
    field_map = FieldMap(field="Created")
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert format_value(field_map, when) == "2026-03-01T09:00:00+00:00"


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate({"timezone": "Europe/Berln"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("timezone",)
    assert "unknown time zone 'Europe/Berln'; expected an IANA name" in error["msg"]


# --- stage dates ----------------------------------------------------------------------


def test_stage_dates_are_read_and_written() -> None:
    mapping = _mapping({"stage_dates.mql": "MQL_Date__c", "stage_dates.sql": "SQL_Date__c"})
    lead = read_lead(
        mapping,
        {"Email": "ann@example.com", "MQL_Date__c": "2026-03-01T10:00:00Z", "SQL_Date__c": ""},
    )
    assert lead.stage_dates == {"mql": datetime(2026, 3, 1, 10, 0, tzinfo=UTC)}
    assert write_fields(mapping, lead) == {
        "Email": "ann@example.com",
        "MQL_Date__c": "2026-03-01T10:00:00+00:00",
        "SQL_Date__c": None,
    }


def test_bad_stage_date_is_left_out_with_a_warning_naming_the_column() -> None:
    mapping = _mapping({"stage_dates.mql": "MQL_Date__c"})
    warnings: list[str] = []
    lead = read_lead(mapping, {"Email": "ann@example.com", "MQL_Date__c": "soon"}, warnings)
    assert lead.stage_dates == {}
    assert warnings[0].startswith("MQL_Date__c (stage_dates.mql): 'soon' is not")


# --- direction ------------------------------------------------------------------------


def test_direction_is_honoured_both_ways() -> None:
    mapping = _mapping(
        {
            "owner": {"field": "OwnerName", "direction": "read"},
            "score": {"field": "Score__c", "direction": "write"},
        }
    )
    lead = read_lead(mapping, {"Email": "ann@example.com", "OwnerName": "Bo", "Score__c": "99"})
    assert lead.owner == "Bo"
    assert lead.score is None  # write-only: never read back

    written = write_fields(mapping, lead.model_copy(update={"score": 42}))
    assert written == {"Email": "ann@example.com", "Score__c": 42}  # read-only owner not written


def test_write_fields_only_selected() -> None:
    mapping = _mapping({"title": "Title", "company": "Company"})
    lead = Lead(email="ann@example.com", title="CEO", company="Acme")
    assert write_fields(mapping, lead, only={"title"}) == {"Title": "CEO"}


# --- errors ---------------------------------------------------------------------------


def test_bad_company_size_names_the_system_column() -> None:
    mapping = _mapping({"company_size": "NumberOfEmployees"})
    with pytest.raises(MappingError) as caught:
        read_lead(mapping, {"Email": "ann@example.com", "NumberOfEmployees": "lots"})
    message = str(caught.value)
    assert message.startswith("NumberOfEmployees (company_size): ")
    assert "expected a whole number (e.g. 250 or 250.0), got 'lots'" in message


def test_bad_email_names_the_column_and_value() -> None:
    with pytest.raises(MappingError) as caught:
        read_lead(_mapping({}), {"Email": "ann@"})
    assert str(caught.value).startswith("Email (email): 'ann@' is not a valid email address")


@pytest.mark.parametrize("record", [{"Email": ""}, {"Email": None}, {"Email": "  "}, {}])
def test_record_without_email_is_read_without_one(record: dict[str, Any]) -> None:
    # Which identity keys a lead needs is the engine's rule (tests/sync/engine).
    assert read_lead(_mapping({}), record).email is None


def test_activity_is_read_and_errors_name_the_column() -> None:
    mapping = Mapping.model_validate(
        {
            "activity_fields": {
                "email": "Contact",
                "type": {"field": "Kind", "values": {"demo_request": "Demo Request"}},
                "occurred_at": {"field": "When", "format": "%d/%m/%Y %H:%M"},
            },
            "timezone": "Europe/Berlin",
        }
    )
    activity = read_activity(
        mapping, {"Contact": "Ann@Example.com", "Kind": "demo request", "When": "01/03/2026 10:00"}
    )
    assert (activity.email, activity.type) == ("ann@example.com", "demo_request")
    assert activity.occurred_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    with pytest.raises(MappingError, match=r"^When \(occurred_at\): '2026-03-01' is not format"):
        read_activity(mapping, {"Contact": "ann@example.com", "Kind": "x", "When": "2026-03-01"})


# --- mapping model --------------------------------------------------------------------


def test_unknown_keys_in_a_mapping_are_errors_at_their_path() -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate(
            {"lead_field": {}, "lead_fields": {"title": {"field": "Title", "dirction": "read"}}}
        )
    assert sorted(tuple(map(str, error["loc"])) for error in caught.value.errors()) == [
        ("lead_field",),
        ("lead_fields", "title", "dirction"),
    ]


def test_unknown_canonical_field_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate({"lead_fields": {"Emial": "Email"}})
    (error,) = caught.value.errors()
    assert error["loc"] == ("lead_fields",)
    assert "unknown canonical lead field 'Emial'; expected one of email," in error["msg"]
    assert "stage_dates.<stage> or an attribute of the contract" in error["msg"]


def test_bare_stage_dates_is_not_a_field() -> None:
    with pytest.raises(ValidationError, match="unknown canonical lead field 'stage_dates'"):
        Mapping.model_validate({"lead_fields": {"stage_dates": "Dates"}})


def test_unknown_activity_field_is_named() -> None:
    with pytest.raises(ValidationError, match="unknown canonical activity field\\(s\\) 'kind'"):
        Mapping.model_validate({"activity_fields": {"kind": "Type"}})


def test_overlay_replaces_and_drops_defaults() -> None:
    default = Mapping.model_validate(
        {"lead_fields": {"email": "Email", "title": "Title", "phone": "Phone"}}
    )
    override = Mapping.model_validate(
        {"lead_fields": {"title": "JobTitle__c", "phone": None, "company": "Company"}}
    )
    merged = default.overlay(override)
    assert {name: fm.field for name, fm in merged.active_lead_fields().items()} == {
        "email": "Email",
        "title": "JobTitle__c",
        "company": "Company",
    }
    assert "phone" not in merged.lead_fields
    assert merged.timezone == "UTC"
    assert default.lead_fields["phone"] == FieldMap(field="Phone")  # default untouched


def test_overlay_timezone_only_when_given() -> None:
    default = Mapping.model_validate({"timezone": "Europe/Berlin"})
    assert default.overlay(Mapping()).timezone == "Europe/Berlin"
    assert default.overlay(Mapping(timezone="UTC")).timezone == "UTC"
    assert default.overlay(None) is default
