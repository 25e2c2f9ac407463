"""Canonical records: the one shape every connected system is mapped into and out of.

Timestamps are always timezone-aware. A naive timestamp (no offset) is read as UTC unless
the connection's mapping names another zone (see :mod:`funnelsync.mapping`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

_PLAIN_LOCAL = re.compile(r"[a-z0-9_+-]{1,64}(?:\.[a-z0-9_+-]{1,64})*")
"""A local part of plain ASCII dot-atoms: valid as it is (longer ones take the full check)."""


@lru_cache(maxsize=1 << 18)
def _plain_domain(domain: str) -> bool:
    """Whether ``domain`` is valid for email and already in its normalised form."""
    try:
        checked = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return bool(checked.normalized == f"a@{domain}")


@lru_cache(maxsize=1 << 18)
def normalise_email(value: str) -> str:
    """Return ``value`` trimmed, lower-cased and checked as an email address.

    Raises ``ValueError`` with the reason when it is not a valid address.
    """
    candidate = value.strip().lower()
    if not candidate:
        raise ValueError("email is empty")
    local, _, domain = candidate.rpartition("@")
    plain = len(candidate) <= 254 and len(local) <= 64 and _PLAIN_LOCAL.fullmatch(local)
    if plain and _plain_domain(domain):
        return candidate  # what validate_email gives for it, without its per-address cost
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return checked.normalized.lower()


def _email_from_any(value: Any) -> Any:
    return normalise_email(value) if isinstance(value, str) else value


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value


def as_moment(value: Any) -> datetime | None:
    """A date, timestamp or ISO 8601 text as an aware timestamp (a date at midnight, a
    naive value in UTC), or ``None`` when it is none of these."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return _require_aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


Email = Annotated[str, BeforeValidator(_email_from_any)]
"""An email address, normalised (trimmed, lower case) and validated."""

AwareDatetime = Annotated[datetime, AfterValidator(_require_aware)]
"""A timestamp with a zone; a naive value is taken as UTC."""


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _whole_number(value: Any) -> Any:
    """``"2.0"`` and ``2.0`` as 2; any other non-whole number is refused with what was expected."""
    value = _blank_to_none(value)
    if value is None or isinstance(value, int):
        return value
    number: float | None = None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            number = None
    if number is None or not number.is_integer():
        raise ValueError(f"expected a whole number (e.g. 250 or 250.0), got {value!r}")
    return int(number)


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptionalWholeNumber = Annotated[int | None, BeforeValidator(_whole_number)]
OptionalBool = Annotated[bool | None, BeforeValidator(_blank_to_none)]
OptionalDatetime = Annotated[AwareDatetime | None, BeforeValidator(_blank_to_none)]


AttributeValue = str | int | float | bool | list[str] | None
"""A custom attribute's value as stored: JSON-native (dates as ISO 8601 text)."""


class Lead(BaseModel):
    """One person in the funnel, as funnelsync sees them across every system.

    Descriptive fields come from the connected systems; the computed fields
    (scores, stage, stage dates, explanation) are set by the funnel contract.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    email: Email | None = None
    first_name: OptionalText = None
    last_name: OptionalText = None
    title: OptionalText = None
    company: OptionalText = None
    industry: OptionalText = None
    company_size: OptionalWholeNumber = Field(default=None, ge=0)
    country: OptionalText = None
    phone: OptionalText = None
    source: OptionalText = None
    owner: OptionalText = None
    lead_status: OptionalText = Field(
        default=None, description="The sales team's working status, e.g. from the CRM."
    )
    status_reason: OptionalText = Field(
        default=None, description="Why sales set that status, e.g. a disqualification reason."
    )
    created_at: OptionalDatetime = None
    updated_at: OptionalDatetime = None
    attributes: dict[str, AttributeValue] = Field(
        default_factory=dict,
        description="The contract's custom attributes (name → value), as JSON values: "
        "dates and datetimes in ISO 8601, multi-picklists as lists.",
    )

    fit_score: int | None = None
    engagement_score: int | None = None
    score: int | None = None
    stage: OptionalText = None
    stage_dates: dict[str, AwareDatetime] = Field(default_factory=dict)
    stage_reason: OptionalText = Field(default=None, description="Why the lead is in its stage.")
    team: OptionalText = Field(default=None, description="The team that owns the lead now.")
    explanation: OptionalText = None
    talking_points: OptionalText = Field(
        default=None, description="What sales can say: the stage's and recent campaigns' points."
    )
    stalled: OptionalBool = Field(
        default=None,
        description="In a stage with stalled_after_days, quiet for that long (None: no such rule).",
    )


DESCRIPTIVE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "phone",
    "source",
    "owner",
    "lead_status",
    "status_reason",
    "created_at",
)
"""Lead fields that connected systems own (merged by the contract's ownership rules)."""

COMPUTED_FIELDS: tuple[str, ...] = (
    "fit_score",
    "engagement_score",
    "score",
    "stage",
    "stage_dates",
    "stage_reason",
    "team",
    "explanation",
    "talking_points",
    "stalled",
)
"""Lead fields the funnel contract computes and writes to every system."""


class Activity(BaseModel):
    """Something a person did that engagement scoring counts (a click, a form, a call…).

    It names its person by ``email`` or, when the mapping has a ``lead_key``, by
    ``lead_key`` (an identity token, see :func:`key_token`).
    """

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    lead_key: OptionalText = Field(default=None, description="Identity token of the person.")
    type: str = Field(min_length=1, description="Activity type, e.g. email_click, demo_request.")
    occurred_at: AwareDatetime
    activity_id: OptionalText = None
    campaign: OptionalText = None
    asset: OptionalText = None

    @model_validator(mode="after")
    def _names_a_person(self) -> Activity:
        if self.email is None and self.lead_key is None:
            raise ValueError("the activity names no person (no email and no lead key)")
        return self

    @property
    def person_key(self) -> str:
        """The identity token of the person it belongs to."""
        token = self.lead_key or self.email
        assert token is not None  # checked on validation
        return token


LEAD_FIELDS: frozenset[str] = frozenset(Lead.model_fields)
"""Every built-in field of :class:`Lead` (read once: ``Lead.model_fields`` is slow)."""

_DESCRIPTIVE = frozenset(DESCRIPTIVE_FIELDS)


def is_descriptive(name: str) -> bool:
    """Whether ``name`` is a field systems own: a built-in descriptive field or a custom
    attribute (any name that is not a built-in lead field)."""
    return name in _DESCRIPTIVE or (name not in LEAD_FIELDS and "." not in name)


def lead_value(lead: Lead, name: str) -> Any:
    """The value of built-in field or custom attribute ``name`` of ``lead``."""
    if name in LEAD_FIELDS:
        return getattr(lead, name)
    return lead.attributes.get(name)


def key_token(key: str, value: Any) -> str | None:
    """The identity token of ``value`` under identity key ``key``, or ``None`` if blank.

    An email is its own token (normalised); any other key gives ``key:value``, which can
    never be an email (a normalised address holds no ``:``).
    """
    if value is None or isinstance(value, list | bool):
        return None
    if key == "email":
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return f"{key}:{text}" if text else None


def lead_tokens(lead: Lead, keys: Sequence[str]) -> list[str]:
    """``lead``'s identity tokens, one per identity key that has a value, in key order."""
    tokens = (key_token(key, lead_value(lead, key)) for key in keys)
    return [token for token in tokens if token is not None]
