"""Field mappings: how one connection's fields and values translate to canonical ones.

A connector ships a default :class:`Mapping`; a connection's config overrides it field by
field (a field set to ``null`` drops the default). Reading maps system fields to a
canonical :class:`~funnelsync.models.Lead` or :class:`~funnelsync.models.Activity`;
writing maps canonical values back to system fields, through the same value maps.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from collections.abc import Mapping as AbcMapping
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from funnelsync.contract import Attribute, AttributeType
from funnelsync.models import LEAD_FIELDS, Activity, Lead, as_moment, key_token
from funnelsync.trusted_lead import checked_lead

STAGE_DATES_PREFIX = "stage_dates."


class Direction(StrEnum):
    """Which way a mapped field flows."""

    read = "read"
    write = "write"
    both = "both"


Transform = Literal["strip", "lower", "upper", "title"]
"""Text clean-ups applied to a value read from a system."""


class FieldMap(BaseModel):
    """One canonical field ↔ one system field (immutable: its derived views are cached)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, description="The field's name in the system.")
    direction: Direction = Direction.both
    transform: Transform | None = None
    format: str | list[str] | None = Field(
        default=None,
        description="strftime/strptime format for timestamps and dates, or a list tried in "
        "order (the first is used for writing); ISO 8601 if unset.",
    )
    values: dict[str, str] = Field(
        default_factory=dict, description="Canonical value → system value (used both ways)."
    )
    max_length: int | None = Field(
        default=None, ge=2, description="Longest text the system field holds; longer is cut with …"
    )

    @cached_property
    def reads(self) -> bool:
        """Whether the field is read from the system."""
        return self.direction in (Direction.read, Direction.both)

    @cached_property
    def writes(self) -> bool:
        """Whether the field is written to the system."""
        return self.direction in (Direction.write, Direction.both)

    @cached_property
    def formats(self) -> tuple[str, ...]:
        """The formats to read timestamps with, in order (none: ISO 8601)."""
        if self.format is None:
            return ()
        return (self.format,) if isinstance(self.format, str) else tuple(self.format)

    @cached_property
    def canonical_values(self) -> dict[str, str]:
        """Case-folded system value → canonical value: :attr:`values` read backwards."""
        return {system.casefold(): canon for canon, system in self.values.items()}


class ConstantValue(BaseModel):
    """A fixed value for an activity field, e.g. ``type: {value: meeting}`` for a file of
    meetings that has no type column."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1)


class LeadKey(BaseModel):
    """Which identity key an activity names its person by, and in which column."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, description="An identity key of the workspace, e.g. crm_id.")
    field: str = Field(min_length=1, description="The system field holding the key's value.")


def _field_map_from_name(value: Any) -> Any:
    return {"field": value} if isinstance(value, str) else value


_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class Mapping(BaseModel):
    """How a connection's lead and activity fields map to canonical fields."""

    model_config = ConfigDict(extra="forbid")

    lead_fields: dict[str, FieldMap | None] = Field(
        default_factory=dict,
        description="Canonical lead field or contract attribute → system field.",
    )
    activity_fields: dict[str, FieldMap | ConstantValue | None] = Field(
        default_factory=dict,
        description="Canonical activity field → system field, or a constant {value: ...}.",
    )
    lead_key: LeadKey | None = Field(
        default=None,
        description="Link activities to people by this identity key and column, not by email.",
    )
    timezone: str = Field(default="UTC", description="Zone of naive timestamps in this system.")
    _attributes: dict[str, Attribute] = PrivateAttr(default_factory=dict)

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
            if name in ("stage_dates", "attributes") or (
                name not in Lead.model_fields and not _ATTRIBUTE_NAME.match(name)
            ):
                builtin = (f for f in Lead.model_fields if f not in ("stage_dates", "attributes"))
                raise ValueError(
                    f"unknown canonical lead field {name!r}; expected one of "
                    f"{', '.join(builtin)}, stage_dates.<stage> or an attribute of the "
                    "contract (a lower-case name)"
                )
        return value

    @field_validator("activity_fields")
    @classmethod
    def _known_activity_fields(
        cls, value: dict[str, FieldMap | ConstantValue | None]
    ) -> dict[str, FieldMap | ConstantValue | None]:
        unknown = sorted(set(value) - set(Activity.model_fields) | ({"lead_key"} & set(value)))
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

    @model_validator(mode="after")
    def _constants_only_for_activities(self) -> Mapping:
        for name, item in self.activity_fields.items():
            if isinstance(item, ConstantValue) and name in ("email", "occurred_at"):
                raise ValueError(f"activity field {name} cannot be a constant value")
        return self

    def overlay(self, override: Mapping | None) -> Mapping:
        """This mapping with ``override``'s fields replacing (or, if ``None``, dropping) ours."""
        if override is None:
            return self
        lead = {**self.lead_fields, **override.lead_fields}
        activity = {**self.activity_fields, **override.activity_fields}
        timezone = override.timezone if "timezone" in override.model_fields_set else self.timezone
        lead_key = override.lead_key if "lead_key" in override.model_fields_set else self.lead_key
        return Mapping(
            lead_fields={k: v for k, v in lead.items() if v is not None},
            activity_fields={k: v for k, v in activity.items() if v is not None},
            lead_key=lead_key,
            timezone=timezone,
        ).with_attributes(self._attributes)

    def with_attributes(self, attributes: AbcMapping[str, Attribute]) -> Mapping:
        """This mapping reading and writing the contract's ``attributes`` by their types."""
        copy = self.model_copy()
        copy._attributes = dict(attributes)
        return copy

    @property
    def attributes(self) -> dict[str, Attribute]:
        """The contract attributes this mapping converts by type (see :meth:`with_attributes`)."""
        return self._attributes

    def active_lead_fields(self) -> dict[str, FieldMap]:
        """Canonical lead field → its mapping, leaving out dropped fields."""
        return {k: v for k, v in self.lead_fields.items() if v is not None}

    def active_activity_fields(self) -> dict[str, FieldMap | ConstantValue]:
        """Canonical activity field → its mapping or constant, leaving out dropped fields."""
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
            value = field_map.canonical_values.get(value.strip().casefold(), value)
        if timestamp:
            value = parse_timestamp(value, field_map.formats)
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


class AmbiguousDateError(ValueError):
    """A value that two of the formats read as different dates (day/month swapped)."""

    def __init__(self, text: str, first: datetime, other: datetime, used: str) -> None:
        super().__init__(
            f"{text!r} is ambiguous: read as {first:%Y-%m-%d} by {used!r}, but another "
            f"format reads it as {other:%Y-%m-%d}"
        )
        self.value = first


def parse_timestamp(text: str, formats: Sequence[str]) -> datetime:
    """``text`` read by the first of ``formats`` that fits (ISO 8601 when none given).

    Raises :class:`MappingError` when none fits, and :class:`AmbiguousDateError` (holding
    the first reading) when a later format reads it as another date.
    """
    text = text.strip()
    if not formats:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise MappingError(f"{text!r} is not an ISO 8601 timestamp") from None
    readings: list[tuple[str, datetime]] = []
    for fmt in formats:
        try:
            readings.append((fmt, datetime.strptime(text, fmt)))  # noqa: DTZ007 - zone by caller
        except ValueError:
            continue
    if not readings:
        expected = " or ".join(repr(fmt) for fmt in formats)
        raise MappingError(f"{text!r} is not format {expected}")
    used, first = readings[0]
    for _, other in readings[1:]:
        if other.date() != first.date():
            raise AmbiguousDateError(text, first, other, used)
    return first


_TIMESTAMP_LEAD_FIELDS = frozenset({"created_at", "updated_at"})
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


def _number(text: str) -> float:
    return float(text.strip().replace(",", ""))


def _attribute_value(attribute: Attribute, field_map: FieldMap, raw: Any, zone: tzinfo) -> Any:
    """A system value of a custom attribute as its JSON-native canonical value.

    Raises :class:`MappingError` saying what the type expects.
    """
    kind = attribute.type
    if kind in (AttributeType.date, AttributeType.datetime):
        value = _read_value(field_map, raw, zone, isinstance(raw, str))
        if isinstance(value, datetime):
            return value.date().isoformat() if kind is AttributeType.date else value.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        raise MappingError(f"{raw!r} is not a {kind.value}")
    value = _read_value(field_map, raw, zone, False)
    if value is None:
        return None
    text = str(value).strip()
    try:
        match kind:
            case AttributeType.integer:
                number = value if isinstance(value, int | float) else _number(text)
                if isinstance(number, bool) or not float(number).is_integer():
                    raise ValueError
                return int(number)
            case AttributeType.decimal:
                if isinstance(value, bool):
                    raise ValueError
                return float(value) if isinstance(value, int | float) else _number(text)
            case AttributeType.boolean:
                if isinstance(value, bool):
                    return value
                if text.casefold() in _TRUE | _FALSE:
                    return text.casefold() in _TRUE
                raise ValueError
            case AttributeType.picklist:
                return _pick(attribute, text)
            case AttributeType.multi_picklist:
                items = value if isinstance(value, list) else text.split(";")
                return [_pick(attribute, str(item).strip()) for item in items if str(item).strip()]
            case _:
                return text
    except MappingError:
        raise
    except ValueError:
        expected = {
            AttributeType.integer: "a whole number",
            AttributeType.decimal: "a decimal number",
            AttributeType.boolean: "true or false (yes/no, 1/0)",
        }[kind]
        raise MappingError(f"{value!r} is not {expected} (attribute type {kind.value})") from None


def _pick(attribute: Attribute, text: str) -> str:
    allowed = attribute.values or []
    for option in allowed:
        if option.casefold() == text.casefold():
            return option
    raise MappingError(
        f"{text!r} is not one of the {attribute.type.value} values {', '.join(allowed)}"
    )


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
        parts.append(f"{where}: {message}" if where else message)  # a whole-record rule
    return "; ".join(parts)


def read_lead(
    mapping: Mapping, fields: AbcMapping[str, Any], warnings: list[str] | None = None
) -> Lead:
    """Map one system lead to a canonical :class:`Lead`.

    Raises :class:`MappingError` naming the system field and the problem. An optional
    date or timestamp that cannot be read is left empty instead, with a warning appended
    to ``warnings``; so is an ambiguous one (read by the first format that fits). Which
    identity keys a lead needs is the engine's concern: a lead may lack an email here.
    """
    return _lead_reader(mapping).read(mapping, fields, warnings)


class _LeadReader:
    """A mapping's lead fields decided once (see :func:`_lead_reader`): reads a record the
    way :func:`_read_lead_in_full` does, for records whose values read cleanly and are in
    a simple form; any other record (a value that does not read, a warning to give, a
    value pydantic must convert or refuse) is read in full, which gives the same lead or
    the error."""

    __slots__ = ("fields", "zone")

    def __init__(self, mapping: Mapping) -> None:
        self.zone = ZoneInfo(mapping.timezone)
        types = mapping.attributes
        self.fields: list[tuple[str, str, FieldMap, Attribute | None, bool, int]] = []
        """(system field, canonical field or stage, its map, attribute, timestamp, where to)."""
        for canonical, field_map in mapping.lead_fields.items():
            if field_map is None or not field_map.reads:
                continue
            attribute = types.get(canonical)
            stage = canonical.startswith(STAGE_DATES_PREFIX)
            timestamp = stage or canonical in _TIMESTAMP_LEAD_FIELDS
            plain = (
                attribute is None
                and not timestamp
                and field_map.transform is None
                and not field_map.values
            )
            to = _TO_STAGE_DATES if stage else _TO_ATTRIBUTES
            if not stage and attribute is None and canonical in LEAD_FIELDS:
                to = _TO_PLAIN_FIELD if plain else _TO_FIELD
            self.fields.append(
                (
                    field_map.field,
                    canonical[len(STAGE_DATES_PREFIX) :] if stage else canonical,
                    field_map,
                    attribute,
                    timestamp,
                    to,
                )
            )

    def read(
        self, mapping: Mapping, fields: AbcMapping[str, Any], warnings: list[str] | None
    ) -> Lead:
        zone = self.zone
        data: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        stage_dates: dict[str, Any] = {}
        try:
            for name, canonical, field_map, attribute, timestamp, to in self.fields:
                if name not in fields:
                    continue
                raw = fields[name]
                if to is _TO_PLAIN_FIELD and type(raw) is str:
                    data[canonical] = None if not raw or raw.isspace() else raw
                    continue
                if attribute is not None:
                    value = _attribute_value(attribute, field_map, raw, zone)
                else:
                    value = _read_value(field_map, raw, zone, timestamp)
                if to is _TO_STAGE_DATES:
                    if value is not None:
                        stage_dates[canonical] = value
                elif to is _TO_ATTRIBUTES:
                    if value is not None:
                        attributes[canonical] = value
                else:
                    data[canonical] = value
        except ValueError:  # MappingError or AmbiguousDateError: the full read words it
            return _read_lead_in_full(mapping, fields, warnings)
        data["stage_dates"] = stage_dates
        data["attributes"] = attributes
        lead = checked_lead(data)
        return _read_lead_in_full(mapping, fields, warnings) if lead is None else lead


_TO_STAGE_DATES, _TO_ATTRIBUTES, _TO_FIELD, _TO_PLAIN_FIELD = 0, 1, 2, 3

_READERS: dict[int, tuple[weakref.ref[Mapping], _MadeFrom, _LeadReader]] = {}
"""Each mapping's reader, by the mapping's id, with what it was made from."""

_MadeFrom = tuple[dict[str, "FieldMap | None"], str, dict[str, Attribute]]


def _attributes_of(mapping: Mapping) -> dict[str, Attribute]:
    """``mapping.attributes``, read without pydantic's private-attribute lookup (~2 µs)."""
    private = mapping.__pydantic_private__
    return mapping.attributes if private is None else private["_attributes"]


def _lead_reader(mapping: Mapping) -> _LeadReader:
    """``mapping``'s reader, made again whenever its lead fields, zone or attributes are
    no longer the ones it was made from (a mapping is a mutable model)."""
    key = id(mapping)
    known = _READERS.get(key)
    if known is not None and known[0]() is mapping:
        lead_fields, timezone, attributes = known[1]
        # Equal dicts of the same objects: compared by identity, item by item.
        if (
            timezone == mapping.timezone
            and lead_fields == mapping.lead_fields
            and attributes == _attributes_of(mapping)
        ):
            return known[2]
    reader = _LeadReader(mapping)

    def forget(_: weakref.ref[Mapping]) -> None:
        _READERS.pop(key, None)

    made_from = (dict(mapping.lead_fields), mapping.timezone, dict(mapping.attributes))
    _READERS[key] = (weakref.ref(mapping, forget), made_from, reader)
    return reader


def _read_lead_in_full(
    mapping: Mapping, fields: AbcMapping[str, Any], warnings: list[str] | None = None
) -> Lead:
    """:func:`read_lead`, every field through pydantic's validation."""
    zone = ZoneInfo(mapping.timezone)
    data: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    stage_dates: dict[str, Any] = {}
    system_names: dict[str, str] = {}
    types = mapping.attributes
    for canonical, field_map in mapping.lead_fields.items():
        if field_map is None or not field_map.reads or field_map.field not in fields:
            continue
        system_names[canonical] = field_map.field
        attribute = types.get(canonical)
        stage_date = canonical.startswith(STAGE_DATES_PREFIX)
        is_date = stage_date or canonical in _TIMESTAMP_LEAD_FIELDS
        raw = fields[field_map.field]
        try:
            if attribute is not None:
                value = _attribute_value(attribute, field_map, raw, zone)
            else:
                value = _read_value(field_map, raw, zone, is_date)
        except AmbiguousDateError as exc:
            value = exc.value if exc.value.tzinfo else exc.value.replace(tzinfo=zone)
            if attribute is not None:
                value = _attribute_value(attribute, field_map, value, zone)
            if warnings is not None:
                warnings.append(f"{field_map.field} ({canonical}): {exc}")
        except MappingError as exc:
            optional_date = is_date or (
                attribute is not None
                and attribute.type in (AttributeType.date, AttributeType.datetime)
            )
            if not optional_date:
                raise MappingError(f"{field_map.field} ({canonical}): {exc}") from None
            if warnings is not None:
                warnings.append(f"{field_map.field} ({canonical}): {exc}; left empty")
            value = None
        if stage_date:
            if value is not None:
                stage_dates[canonical[len(STAGE_DATES_PREFIX) :]] = value
        elif attribute is not None or canonical not in LEAD_FIELDS:
            if value is not None:
                attributes[canonical] = value
        else:
            data[canonical] = value
    data["stage_dates"] = stage_dates
    data["attributes"] = attributes
    try:
        return Lead.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_describe(exc, system_names)) from None


def read_activity(mapping: Mapping, fields: AbcMapping[str, Any]) -> Activity:
    """Map one system activity to a canonical :class:`Activity` (or raise :class:`MappingError`).

    With a ``lead_key`` the activity names its person by that key's column, not by email.
    """
    zone = ZoneInfo(mapping.timezone)
    data: dict[str, Any] = {}
    system_names: dict[str, str] = {}
    for canonical, field_map in mapping.activity_fields.items():
        if field_map is None:
            continue
        if isinstance(field_map, ConstantValue):
            data[canonical] = field_map.value
            continue
        if not field_map.reads or field_map.field not in fields:
            continue
        system_names[canonical] = field_map.field
        try:
            data[canonical] = _read_value(
                field_map, fields[field_map.field], zone, canonical == "occurred_at"
            )
        except MappingError as exc:
            raise MappingError(f"{field_map.field} ({canonical}): {exc}") from None
    lead_key = mapping.lead_key
    if lead_key is not None:
        raw = fields.get(lead_key.field)
        token = key_token(lead_key.key, None if _is_blank(raw) else raw)
        if token is None:
            raise MappingError(
                f"{lead_key.field} ({lead_key.key}): missing; the activity names no lead"
            )
        data["lead_key"] = token
        data.pop("email", None)
    try:
        return Activity.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_describe(exc, system_names)) from None


def canonical_value(lead: Lead, canonical: str) -> Any:
    """The value of a mapped canonical lead field, including ``stage_dates.<stage>`` and
    custom attributes."""
    return value_getter(canonical)(lead)


@lru_cache(maxsize=1024)
def value_getter(canonical: str) -> Callable[[Lead], Any]:
    """A function giving a lead's :func:`canonical_value` of ``canonical`` (decided once)."""
    if canonical.startswith(STAGE_DATES_PREFIX):
        stage = canonical.removeprefix(STAGE_DATES_PREFIX)
        return lambda lead: lead.stage_dates.get(stage)
    if canonical in LEAD_FIELDS:
        return attrgetter(canonical)
    return lambda lead: lead.attributes.get(canonical)


def format_value(field_map: FieldMap, value: Any, zone: tzinfo = UTC) -> Any:
    """A canonical value as the system should store it (value map, timestamp format).

    Timestamps are written in ``zone`` (the connection's :attr:`Mapping.timezone`), the
    same zone naive values are read in, so a value read and written back is unchanged.
    """
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, str) and field_map.formats:
        # A date or datetime attribute, kept as ISO 8601 text: written in the format.
        if _ISO_DATE.match(value):
            return date.fromisoformat(value).strftime(field_map.formats[0])
        moment = as_moment(value) if _ISO_DATETIME.match(value) else None
        if moment is not None:
            value = moment
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        formats = field_map.formats
        return local.strftime(formats[0]) if formats else local.isoformat()
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
