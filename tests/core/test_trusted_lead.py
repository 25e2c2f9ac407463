"""Leads made without pydantic's per-field validation behave like validated ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from funnelsync import trusted_lead
from funnelsync.models import Lead
from funnelsync.trusted_lead import built_lead, checked_lead

VALUES = {
    "email": "ann@example.com",
    "title": "VP Sales",
    "company_size": 250,
    "created_at": datetime(2026, 1, 2, tzinfo=UTC),
    "stage_dates": {"mql": datetime(2026, 2, 3, tzinfo=UTC)},
    "attributes": {"tier": "Gold"},
}


def test_a_built_lead_is_the_lead_model_construct_makes() -> None:
    built, constructed = built_lead(VALUES), Lead.model_construct(**VALUES)
    assert built == constructed
    assert list(built.__dict__) == list(constructed.__dict__) == list(Lead.model_fields)
    assert built.model_fields_set == constructed.model_fields_set == set(VALUES)
    assert built.model_dump_json() == Lead.model_validate(VALUES).model_dump_json()


def test_a_built_lead_still_validates_what_is_assigned() -> None:
    lead = built_lead(VALUES)
    lead.stalled = True
    assert lead.stalled is True
    with pytest.raises(ValidationError):
        lead.company_size = -1  # type: ignore[assignment]


def test_a_checked_lead_is_the_validated_lead() -> None:
    values = {**VALUES, "email": " ANN@Example.com ", "company_size": "1,200", "score": "07"}
    checked = checked_lead(values)
    assert checked is not None
    assert checked.__dict__ == Lead.model_validate(values).__dict__
    assert (checked.email, checked.company_size, checked.score) == ("ann@example.com", 1200, 7)


@pytest.mark.parametrize(
    "odd",
    [{"company_size": "-1"}, {"score": "4.0"}, {"stalled": "yes"}, {"email": "nope"}, {"x": 1}],
)
def test_values_pydantic_must_convert_or_refuse_are_left_to_it(odd: dict[str, object]) -> None:
    assert checked_lead({**VALUES, **odd}) is None


def test_every_lead_field_has_a_quick_check() -> None:
    # A new Lead field without one sends every lead through pydantic (slow, not wrong).
    assert trusted_lead._supported()


_TEXTS = st.sampled_from(["", "   ", "\t", "x", " Ann ", "07", "-3", "1,200", "4.0", "yes", "é"])
_MOMENTS = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=-5)))),
    st.datetimes(),  # naive: pydantic takes it as UTC
)
_NUMBERS = st.one_of(st.integers(-3, 10**20), st.floats(-2, 3), st.booleans(), _TEXTS)
_VALUES = st.fixed_dictionaries(
    {
        "attributes": st.dictionaries(
            st.sampled_from(["tier", "tags"]),
            st.one_of(st.none(), _TEXTS, _NUMBERS, st.lists(st.one_of(_TEXTS, st.integers(0, 3)))),
        ),
        "stage_dates": st.dictionaries(st.sampled_from(["mql", "sql"]), _MOMENTS),
    },
    optional={
        "email": st.sampled_from([None, "", " Ann@Example.COM ", "nope", "a@b.example.com"]),
        "title": st.one_of(st.none(), _TEXTS),
        "company_size": st.one_of(st.none(), _NUMBERS),
        "created_at": st.one_of(st.none(), _MOMENTS, _TEXTS),
        "score": st.one_of(st.none(), _NUMBERS),
        "stalled": st.one_of(st.none(), st.booleans(), _TEXTS),
    },
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_a_checked_lead_is_whatever_validation_gives(values: dict[str, Any]) -> None:
    checked = checked_lead(values)
    if checked is None:
        return  # left to pydantic: whatever it gives, the caller gets
    validated = Lead.model_validate(values)  # a checked lead never hides a refusal
    assert checked.__dict__ == validated.__dict__
    assert [type(value) for value in checked.__dict__.values()] == [
        type(value) for value in validated.__dict__.values()
    ]
    assert checked.model_dump_json() == validated.model_dump_json()
    for name, value in values["attributes"].items():  # no list shared with the input
        assert type(value) is not list or checked.attributes[name] is not value
