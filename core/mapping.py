"""Field mappings: how one connection's fields and values translate to canonical ones.

A connector ships a default :class:`Mapping`; a connection's config overrides it field by
field (a field set to ``null`` drops the default). Reading maps system fields to a
canonical :class:`~funnelsync.models.Lead` or :class:`~funnelsync.models.Activity`;
writing maps canonical values back to system fields, through the same value maps.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from funnelsync.models import Activity, Lead

STAGE_DATES_PREFIX = "stage_dates."


class Direction(StrEnum):
    """Which way a mapped field flows."""

    read = "read"
    write = "write"
    both = "both"


Transform = Literal["strip", "lower", "upper", "title"]
"""Text clean-ups applied to a value read from a system."""


class FieldMap(BaseModel):
    """One canonical field ↔ one system field."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, description="The field's name in the system.")
    direction: Direction = Direction.both
    transform: Transform | None = None
    format: str | None = Field(
        default=None, description="strftime/strptime format for timestamps; ISO 8601 if unset."
    )
    values: dict[str, str] = Field(
        default_factory=dict, description="Canonical value → system value (used both ways)."
    )
    max_length: int | None = Field(
        default=None, ge=2, description="Longest text the system field holds; longer is cut with …"
    )

    @property
    def reads(self) -> bool:
        """Whether the field is read from the system."""
        return self.direction in (Direction.read, Direction.both)

    @property
    def writes(self) -> bool:
        """Whether the field is written to the system."""
        return self.direction in (Direction.write, Direction.both)


def _field_map_from_name(value: Any) -> Any:
    return {"field": value} if isinstance(value, str) else value


class Mapping(BaseModel):
    """How a connection's lead and activity fields map to canonical fields."""

    model_config = ConfigDict(extra="forbid")

    lead_fields: dict[str, FieldMap | None] = Field(default_factory=dict)
    activity_fields: dict[str, FieldMap | None] = Field(default_factory=dict)
    timezone: str = Field(default="UTC", description="Zone of naive timestamps in this system.")

    @field_validator("lead_fields", "activity_fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: _field_map_from_name(item) for key, item in value.items()}
        return value

    @field_validator("lead_fields")
    @classmethod
    def _known_lead_fields(cls, value: dict[str, FieldMap | None]) -> dict[str, FieldMap | None]:
        for name in value:
            if name.startswith(STAGE_DATES_PREFIX) and len(name) > len(STAGE_DATES_PREFIX):
                continue
            if name not in Lead.model_fields or name == "stage_dates":
                raise ValueError(
                    f"unknown canonical lead field {name!r}; expected one of "
                    f"{', '.join(f for f in Lead.model_fields if f != 'stage_dates')} "
                    "or stage_dates.<stage>"
                )
        return value

    @field_validator("activity_fields")
    @classmethod
    def _known_activity_fields(
        cls, value: dict[str, FieldMap | None]
    ) -> dict[str, FieldMap | None]:
        unknown = sorted(set(value) - set(Activity.model_fields))
        if unknown:
            raise ValueError(
                f"unknown canonical activity field(s) {', '.join(map(repr, unknown))}; expected "
                f"one of {', '.join(Activity.model_fields)}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
        return value

    def overlay(self, override: Mapping | None) -> Mapping:
        """This mapping with ``override``'s fields replacing (or, if ``None``, dropping) ours."""
        if override is None:
            return self
        lead = {**self.lead_fields, **override.lead_fields}
        activity = {**self.activity_fields, **override.activity_fields}
        timezone = override.timezone if "timezone" in override.model_fields_set else self.timezone
        return Mapping(
            lead_fields={k: v for k, v in lead.items() if v is not None},
            activity_fields={k: v for k, v in activity.items() if v is not None},
            timezone=timezone,
        )

    def active_lead_fields(self) -> dict[str, FieldMap]:
        """Canonical lead field → its mapping, leaving out dropped fields."""
        return {k: v for k, v in self.lead_fields.items() if v is not None}

    def active_activity_fields(self) -> dict[str, FieldMap]:
        """Canonical activity field → its mapping, leaving out dropped fields."""
        return {k: v for k, v in self.activity_fields.items() if v is not None}


class MappingError(ValueError):
    """A system record could not be mapped to a canonical record; the message says why."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_value(field_map: FieldMap, raw: Any, zone: tzinfo, timestamp: bool) -> Any:
    if _is_blank(raw):
        return None
    value = raw
    if isinstance(value, str):
        # Clean up the system's text first, then translate it: a value-map result is
        # already canonical and must not be transformed again.
        if field_map.transform is not None:
            value = _apply_transform(field_map.transform, value)
        if field_map.values:
            reverse = {sys.casefold(): canon for canon, sys in field_map.values.items()}
            value = reverse.get(value.strip().casefold(), value)
        if timestamp:
            value = _parse_timestamp(value, field_map.format)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _apply_transform(transform: Transform, value: str) -> str:
    text = value.strip()
    match transform:
        case "strip":
            return text
        case "lower":
            return text.lower()
        case "upper":
            return text.upper()
        case "title":
            return text.title()


def _parse_timestamp(text: str, fmt: str | None) -> datetime:
    text = text.strip()
    try:
        if fmt:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied by caller
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        expected = f"format {fmt!r}" if fmt else "an ISO 8601 timestamp"
        raise MappingError(f"{text!r} is not {expected}") from None


_TIMESTAMP_LEAD_FIELDS = frozenset({"created_at", "updated_at"})


def _describe(error: ValidationError, field_names: AbcMapping[str, str]) -> str:
    parts = []
    for item in error.errors():
        canonical = ".".join(str(part) for part in item["loc"])
        system = field_names.get(canonical, canonical)
        where = system if system == canonical else f"{system} ({canonical})"
        if item["type"] == "missing" or item.get("input", "") is None:
            message = "missing (blank or no such field)"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] != "value_error":
                message += f" (got {item['input']!r})"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def read_lead(mapping: Mapping, fields: AbcMapping[str, Any]) -> Lead:
    """Map one system lead to a canonical :class:`Lead`.

    Raises :class:`MappingError` naming the system field and the problem.
    """
    zone = ZoneInfo(mapping.timezone)
    data: dict[str, Any] = {}
    stage_dates: dict[str, Any] = {}
    system_names: dict[str, str] = {}
    for canonical, field_map in mapping.active_lead_fields().items():
        if not field_map.reads or field_map.field not in fields:
            continue
        system_names[canonical] = field_map.field
        is_date = canonical in _TIMESTAMP_LEAD_FIELDS or canonical.startswith(STAGE_DATES_PREFIX)
        try:
            value = _read_value(field_map, fields[field_map.field], zone, is_date)
        except MappingError as exc:
            raise MappingError(f"{field_map.field} ({canonical}): {exc}") from None
        if canonical.startswith(STAGE_DATES_PREFIX):
            if value is not None:
                stage_dates[canonical.removeprefix(STAGE_DATES_PREFIX)] = value
        else:
            data[canonical] = value
    if data.get("email") is None:
        email_map = mapping.active_lead_fields().get("email")
        if email_map is None or not email_map.reads:
            raise MappingError(
                "email: no system field is mapped (for reading) to email; "
                "every lead needs an email address"
            )
        raise MappingError(f"{email_map.field} (email): missing; every lead needs an email address")
    data["stage_dates"] = stage_dates
    try:
        return Lead.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_describe(exc, system_names)) from None


def read_activity(mapping: Mapping, fields: AbcMapping[str, Any]) -> Activity:
    """Map one system activity to a canonical :class:`Activity` (or raise :class:`MappingError`)."""
    zone = ZoneInfo(mapping.timezone)
    data: dict[str, Any] = {}
    system_names: dict[str, str] = {}
    for canonical, field_map in mapping.active_activity_fields().items():
        if not field_map.reads or field_map.field not in fields:
            continue
        system_names[canonical] = field_map.field
        try:
            data[canonical] = _read_value(
                field_map, fields[field_map.field], zone, canonical == "occurred_at"
            )
        except MappingError as exc:
            raise MappingError(f"{field_map.field} ({canonical}): {exc}") from None
    try:
        return Activity.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_describe(exc, system_names)) from None


def canonical_value(lead: Lead, canonical: str) -> Any:
    """The value of a mapped canonical lead field, including ``stage_dates.<stage>``."""
    if canonical.startswith(STAGE_DATES_PREFIX):
        return lead.stage_dates.get(canonical.removeprefix(STAGE_DATES_PREFIX))
    return getattr(lead, canonical)


def format_value(field_map: FieldMap, value: Any, zone: tzinfo = UTC) -> Any:
    """A canonical value as the system should store it (value map, timestamp format).

    Timestamps are written in ``zone`` (the connection's :attr:`Mapping.timezone`), the
    same zone naive values are read in, so a value read and written back is unchanged.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        return local.strftime(field_map.format) if field_map.format else local.isoformat()
    if isinstance(value, str):
        if field_map.values:
            value = field_map.values.get(value, value)
        limit = field_map.max_length
        if limit is not None and len(value) > limit:
            return value[: limit - 1] + "…"
    return value


def write_fields(mapping: Mapping, lead: Lead, only: set[str] | None = None) -> dict[str, Any]:
    """System field → value for every writable mapped field of ``lead`` (or just ``only``)."""
    zone = ZoneInfo(mapping.timezone)
    out: dict[str, Any] = {}
    for canonical, field_map in mapping.active_lead_fields().items():
        if not field_map.writes or (only is not None and canonical not in only):
            continue
        out[field_map.field] = format_value(field_map, canonical_value(lead, canonical), zone)
    return out


class NotScalarError(TypeError):
    """A value with no plain-text form: only text, numbers, booleans and None have one."""


def scalar_text(value: Any) -> str:
    """``value`` as plain text for a system field: None → ``""``, booleans
    ``true``/``false``, numbers via ``str``; anything else raises :class:`NotScalarError`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise NotScalarError(f"a {type(value).__name__} has no plain-text form")
