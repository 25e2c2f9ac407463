"""Canonical records: email normalisation, timestamps, strict keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from funnelsync.models import Activity, Lead, normalise_email

# --- emails ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["ann@example.com", "  Ann@Example.COM ", "ANN@EXAMPLE.COM", "\tann@example.com\n"]
)
def test_email_case_and_surrounding_spaces_are_normalised(raw: str) -> None:
    assert normalise_email(raw) == "ann@example.com"
    assert Lead(email=raw).email == "ann@example.com"


@pytest.mark.parametrize("bad", ["ann@", "ann.example.com", "a..b@example.com", "ann@localhost"])
def test_invalid_email_is_rejected_naming_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid email address") as caught:
        normalise_email(bad)
    assert repr(bad) in str(caught.value)


def test_blank_email_is_rejected() -> None:
    with pytest.raises(ValueError, match="email is empty"):
        normalise_email("   ")


def test_lead_with_invalid_email_names_the_field_and_value() -> None:
    with pytest.raises(ValidationError) as caught:
        Lead(email="not-an-email")
    (error,) = caught.value.errors()
    assert error["loc"] == ("email",)
    assert "'not-an-email' is not a valid email address" in error["msg"]


def test_assigning_an_email_is_validated_too() -> None:
    lead = Lead(email="ann@example.com")
    lead.email = " BOB@Example.com "
    assert lead.email == "bob@example.com"
    with pytest.raises(ValidationError, match="'bob@' is not a valid email address"):
        lead.email = "bob@"


def test_activity_email_is_normalised() -> None:
    activity = Activity(email=" Ann@Example.com", type="email_click", occurred_at=datetime.now(UTC))
    assert activity.email == "ann@example.com"


_local_parts = st.from_regex(r"[A-Za-z0-9]{1,10}([._+-][A-Za-z0-9]{1,10}){0,2}", fullmatch=True)
_labels = st.from_regex(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})?", fullmatch=True)
_tlds = st.sampled_from(["com", "org", "io", "de", "co.uk", "COM"])


@given(local=_local_parts, label=_labels, tld=_tlds, padding=st.sampled_from(["", " ", "\t"]))
def test_normalise_email_is_idempotent(local: str, label: str, tld: str, padding: str) -> None:
    once = normalise_email(f"{padding}{local}@{label}.{tld}{padding}")
    assert normalise_email(once) == once
    assert once == once.strip().lower()


def _full_check(value: str) -> str | None:
    """What email_validator itself makes of ``value`` (lower-cased), or ``None`` if invalid."""
    try:
        checked = validate_email(value.strip().lower(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


_any_locals = st.from_regex(r"[a-z0-9._+\-!#%'ü\"]{0,70}", fullmatch=True)
_any_domains = st.one_of(
    st.from_regex(r"[a-z0-9_\-.ü]{0,20}\.(com|test|local|invalid|c|de|123)", fullmatch=True),
    st.sampled_from(["example.com", "localhost", "a-.com", "-a.com", "a..com", "xn--bcher-kva.de"]),
)


@given(local=_any_locals, domain=_any_domains)
def test_normalise_email_agrees_with_the_full_check(local: str, domain: str) -> None:
    """The quick path for plain addresses accepts and refuses exactly what email_validator
    does, and gives its normalised form."""
    address = f"{local}@{domain}"
    expected = _full_check(address)
    if expected is None:
        with pytest.raises(ValueError, match="not a valid email address"):
            normalise_email(address)
    else:
        assert normalise_email(address) == expected


@pytest.mark.parametrize(
    "address",
    ["ann@a.test", "ann@x.local", "ann@localhost", "a..b@example.com", ".a@example.com",
     "a.@example.com", "ann@ex_ample.com", "ann@123.45", f"{'x' * 250}@example.com"],
)  # fmt: skip
def test_addresses_the_full_check_refuses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="not a valid email address"):
        normalise_email(address)


# --- timestamps -----------------------------------------------------------------------


def test_naive_timestamps_are_taken_as_utc() -> None:
    lead = Lead(
        email="ann@example.com",
        created_at=datetime(2026, 3, 1, 10, 0),  # noqa: DTZ001 - naive on purpose
        updated_at="2026-03-02T08:30:00",
        stage_dates={"mql": "2026-03-03 12:00:00"},
    )
    assert lead.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert lead.created_at.tzinfo is UTC
    assert lead.updated_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert lead.stage_dates["mql"] == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_aware_timestamps_are_kept() -> None:
    plus_two = timezone(timedelta(hours=2))
    when = datetime(2026, 3, 1, 10, 0, tzinfo=plus_two)
    lead = Lead(email="ann@example.com", created_at=when, updated_at="2026-03-01T10:00:00+02:00")
    assert lead.created_at == when
    assert lead.created_at.utcoffset() == timedelta(hours=2)
    assert lead.updated_at == when


def test_activity_occurred_at_naive_is_utc() -> None:
    activity = Activity(
        email="ann@example.com", type="form_fill", occurred_at="2026-03-01T10:00:00"
    )
    assert activity.occurred_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_blank_optional_values_become_none() -> None:
    lead = Lead(email="ann@example.com", title="  ", company_size="", created_at="")
    assert (lead.title, lead.company_size, lead.created_at) == (None, None, None)


# --- strict keys and values -----------------------------------------------------------


def test_unknown_lead_key_is_an_error_naming_the_key() -> None:
    with pytest.raises(ValidationError) as caught:
        Lead.model_validate({"email": "ann@example.com", "frist_name": "Ann"})
    (error,) = caught.value.errors()
    assert error["loc"] == ("frist_name",)
    assert error["type"] == "extra_forbidden"


def test_unknown_activity_key_is_an_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Activity.model_validate(
            {"email": "ann@example.com", "type": "call", "occurred_at": "2026-01-01", "kind": "x"}
        )
    assert [error["loc"] for error in caught.value.errors()] == [("kind",)]


def test_negative_company_size_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Lead(email="ann@example.com", company_size=-1)
    (error,) = caught.value.errors()
    assert error["loc"] == ("company_size",)
    assert "greater than or equal to 0" in error["msg"]


def test_activity_needs_a_type() -> None:
    with pytest.raises(ValidationError) as caught:
        Activity(email="ann@example.com", type="", occurred_at=datetime.now(UTC))
    assert [error["loc"] for error in caught.value.errors()] == [("type",)]
