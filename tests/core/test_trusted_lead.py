"""Leads made without pydantic's per-field validation behave like validated ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
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
