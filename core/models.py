"""Canonical records: the one shape every connected system is mapped into and out of.

Timestamps are always timezone-aware. A naive timestamp (no offset) is read as UTC unless
the connection's mapping names another zone (see :mod:`funnelsync.mapping`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


@lru_cache(maxsize=1 << 18)
def normalise_email(value: str) -> str:
    """Return ``value`` trimmed, lower-cased and checked as an email address.

    Raises ``ValueError`` with the reason when it is not a valid address.
    """
    candidate = value.strip().lower()
    if not candidate:
        raise ValueError("email is empty")
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


Email = Annotated[str, BeforeValidator(_email_from_any)]
"""An email address, normalised (trimmed, lower case) and validated."""

AwareDatetime = Annotated[datetime, AfterValidator(_require_aware)]
"""A timestamp with a zone; a naive value is taken as UTC."""


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptionalDatetime = Annotated[AwareDatetime | None, BeforeValidator(_blank_to_none)]


class Lead(BaseModel):
    """One person in the funnel, as funnelsync sees them across every system.

    Descriptive fields come from the connected systems; the computed fields
    (scores, stage, stage dates, explanation) are set by the funnel contract.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    email: Email
    first_name: OptionalText = None
    last_name: OptionalText = None
    title: OptionalText = None
    company: OptionalText = None
    industry: OptionalText = None
    company_size: OptionalInt = Field(default=None, ge=0)
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

    fit_score: int | None = None
    engagement_score: int | None = None
    score: int | None = None
    stage: OptionalText = None
    stage_dates: dict[str, AwareDatetime] = Field(default_factory=dict)
    stage_reason: OptionalText = Field(default=None, description="Why the lead is in its stage.")
    team: OptionalText = Field(default=None, description="The team that owns the lead now.")
    explanation: OptionalText = None


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
)
"""Lead fields the funnel contract computes and writes to every system."""


class Activity(BaseModel):
    """Something a person did that engagement scoring counts (a click, a form, a call…)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    type: str = Field(min_length=1, description="Activity type, e.g. email_click, demo_request.")
    occurred_at: AwareDatetime
    activity_id: OptionalText = None
    campaign: OptionalText = None
    asset: OptionalText = None
