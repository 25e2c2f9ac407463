"""read_lead's quick path gives exactly what reading every field through pydantic gives.

read_lead maps a record with its mapping's fields decided once and builds the lead
without pydantic when every value is already in its validated form; otherwise it reads
in full. These tests hold it to the full read: the same lead (values and their types,
fields set), the same warnings, the same error; and a mapping changed in place is read
by its new fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.contract import Attribute, AttributeType
from funnelsync.mapping import FieldMap, Mapping, MappingError, _read_lead_in_full, read_lead
from funnelsync.models import Lead

ATTRIBUTES = {
    "seats": Attribute(type=AttributeType.integer),
    "budget": Attribute(type=AttributeType.decimal),
    "partner": Attribute(type=AttributeType.boolean),
    "renewal": Attribute(type=AttributeType.date),
    "signed_at": Attribute(type=AttributeType.datetime),
    "tier": Attribute(type=AttributeType.picklist, values=["Gold", "Silver"]),
    "tools": Attribute(type=AttributeType.multi_picklist, values=["Slack", "Jira"]),
    "notes": Attribute(type=AttributeType.text),
}

MAPPING = Mapping(
    lead_fields={
        "email": FieldMap(field="Email"),
        "first_name": FieldMap(field="First", transform="title"),
        "last_name": FieldMap(field="Last"),
        "title": FieldMap(field="Title", transform="strip"),
        "industry": FieldMap(field="Industry", values={"Software": "SW"}),
        "company_size": FieldMap(field="Employees"),
        "country": FieldMap(field="Country", direction="write"),
        "lead_status": FieldMap(field="Status"),
        "created_at": FieldMap(field="Created", format=["%d/%m/%Y", "%m/%d/%Y"]),
        "updated_at": FieldMap(field="Modified"),
        "fit_score": FieldMap(field="Fit"),
        "score": FieldMap(field="Score"),
        "stage": FieldMap(field="Stage", values={"mql": "MQL"}),
        "stalled": FieldMap(field="Stalled"),
        "stage_dates.mql": FieldMap(field="MQL Date"),
        "seats": FieldMap(field="Seats"),
        "budget": FieldMap(field="Budget"),
        "partner": FieldMap(field="Partner"),
        "renewal": FieldMap(field="Renewal"),
        "signed_at": FieldMap(field="Signed"),
        "tier": FieldMap(field="Tier"),
        "tools": FieldMap(field="Tools"),
        "notes": FieldMap(field="Notes"),
        "region": FieldMap(field="Region"),
    },
    timezone="Europe/Berlin",
).with_attributes(ATTRIBUTES)

TEXTS = ["", " ", "Ann", " ann lee ", "  x", "SW", "sw ", "MQL", "=1+2", "ÉLODIE", "None"]
VALUES: dict[str, list[Any]] = {
    "Email": ["ANN@Example.com", " bo@example.org ", "not an email", "", None, 7],
    "Employees": ["250", "2.0", "1,200", "-3", "2.5", " ", "many", 40, -1, 3.0, True, None],
    "Created": ["03/04/2026", "13/04/2026", "04/13/2026", "2026-04-03", "", "soon"],
    "Modified": ["2026-04-03T10:00:00Z", "2026-04-03 10:00", "2026-04-03", "x", "", None],
    "Fit": ["42", "007", " 5 ", "-4", "4.0", "x", "", 12, None],
    "Score": ["1_000", "+5", "99", 3.5, None],
    "Stalled": ["true", "no", "", "maybe", True, False, None],
    "MQL Date": ["2026-01-02", "2026-01-02T03:04:05+02:00", "bad", "", None],
    "Seats": ["12", "1,500", "1.5", "x", 3, None],
    "Budget": ["12.5", "1,000.25", "x", 2, None],
    "Partner": ["yes", "0", "maybe", True, None],
    "Renewal": ["2026-05-01", "2026-05-01T10:00:00", "x", ""],
    "Signed": ["2026-05-01T10:00:00", "2026-05-01T10:00:00+00:00", "x"],
    "Tier": ["gold", "Bronze", ""],
    "Tools": ["slack;JIRA", "Slack; Teams", ""],
    "Region": ["EMEA", "", 5, datetime(2026, 1, 1, tzinfo=UTC)],
}
COLUMNS = sorted({field_map.field for field_map in MAPPING.active_lead_fields().values()})


def _record() -> st.SearchStrategy[dict[str, Any]]:
    cells = {column: st.sampled_from(VALUES.get(column, [*TEXTS, None])) for column in COLUMNS}
    return st.fixed_dictionaries({}, optional=cells)  # type: ignore[arg-type]


def _outcome(read: Any, fields: dict[str, Any]) -> tuple[Any, ...]:
    warnings: list[str] = []
    try:
        lead: Lead = read(MAPPING, fields, warnings)
    except MappingError as exc:
        return ("error", str(exc), warnings)
    typed = {name: (type(value), value) for name, value in lead.__dict__.items()}
    return ("lead", typed, sorted(lead.model_fields_set), warnings)


@settings(max_examples=400, deadline=None)
@given(_record())
def test_any_record_reads_as_the_full_read_gives_it(fields: dict[str, Any]) -> None:
    assert _outcome(read_lead, fields) == _outcome(_read_lead_in_full, fields)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1,200", 1200), ("2.0", 2), (" 40 ", 40), ("", None)],
)
def test_a_company_size_reads_as_a_whole_number(cell: str, expected: int | None) -> None:
    assert read_lead(MAPPING, {"Employees": cell}).company_size == expected


def test_a_negative_company_size_is_refused_naming_the_column() -> None:
    with pytest.raises(MappingError, match="Employees"):
        read_lead(MAPPING, {"Employees": "-3"})


def test_blank_text_reads_as_nothing_and_emails_are_normalised() -> None:
    lead = read_lead(MAPPING, {"Last": "  ", "Email": " ANN@Example.com"})
    assert (lead.last_name, lead.email) == (None, "ann@example.com")


def test_a_mapping_changed_in_place_is_read_by_its_new_fields() -> None:
    mapping = Mapping(lead_fields={"title": FieldMap(field="Title")})
    record = {"Title": "CTO", "Job": "VP Sales", "Created": "2026-01-02T03:00:00"}
    assert read_lead(mapping, record).title == "CTO"
    mapping.lead_fields["title"] = FieldMap(field="Job")
    assert read_lead(mapping, record).title == "VP Sales"
    mapping.lead_fields["created_at"] = FieldMap(field="Created")
    assert _offset_hours(read_lead(mapping, record).created_at) == 0
    mapping.timezone = "Asia/Tokyo"
    assert _offset_hours(read_lead(mapping, record).created_at) == 9


def _offset_hours(moment: datetime | None) -> float:
    assert moment is not None
    offset = moment.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


def test_a_mapping_given_attributes_reads_them_by_type() -> None:
    plain = Mapping(lead_fields={"seats": FieldMap(field="Seats")})
    assert read_lead(plain, {"Seats": "12"}).attributes == {"seats": "12"}
    typed = plain.with_attributes({"seats": Attribute(type=AttributeType.integer)})
    assert read_lead(typed, {"Seats": "12"}).attributes == {"seats": 12}
    assert read_lead(plain, {"Seats": "12"}).attributes == {"seats": "12"}
    plain.attributes["seats"] = Attribute(type=AttributeType.decimal)  # changed in place
    assert read_lead(plain, {"Seats": "12"}).attributes == {"seats": 12.0}
