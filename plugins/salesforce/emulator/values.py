"""Field values: from JSON or Bulk CSV into the org, and back out as the API shows them.

The org keeps Python values: ``datetime`` (UTC, whole seconds) for datetime fields, ``date``
for date fields, ``float`` for numbers with decimals, ``int``, ``bool`` and ``str``.
Datetimes come out as ``2024-05-01T10:00:00.000+0000`` and numbers of ``double`` or
``currency`` fields as floats (``42.0``), as Salesforce's JSON has them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from funnelsync.plugins.salesforce.emulator.schema import FieldDef

BULK_NULL = "#N/A"
"""The Bulk API's cell value for "set this field to null" (an empty cell changes nothing)."""

_FLOAT_TYPES = frozenset({"double", "currency", "percent"})
_TEXT_TYPES = frozenset(
    {"string", "email", "phone", "url", "textarea", "picklist", "id", "reference", "combobox"}
)


class ValueTypeError(ValueError):
    """A value that does not fit the field's type; the message is Salesforce's."""


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 timestamp (``Z``, ``+hh:mm`` or ``+hhmm``) as UTC, to whole seconds."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueTypeError(f"'{text}' is not a valid value for the type xsd:dateTime") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0)


def format_datetime(when: datetime) -> str:
    """A datetime as Salesforce's JSON shows it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def coerce(definition: FieldDef, value: Any) -> Any:
    """``value`` (from JSON) as the org stores it in ``definition``'s field."""
    if value is None:
        return None
    kind = definition.type
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "int" and number and value == int(value):
        return int(value)
    if kind in _FLOAT_TYPES and number:
        return float(value)
    if kind == "datetime" and isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).replace(microsecond=0)
    if kind == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    if kind == "date" and isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    if kind in _TEXT_TYPES and (number or isinstance(value, str)):
        return str(value)
    raise ValueTypeError(f"{definition.name}: value not of required type: {value}")


def coerce_cell(definition: FieldDef, cell: str) -> Any:
    """A Bulk CSV cell as the org stores it (``#N/A`` is null)."""
    if cell == BULK_NULL:
        return None
    kind = definition.type
    try:
        if kind == "boolean":
            if cell.lower() in ("true", "false", "1", "0"):
                return cell.lower() in ("true", "1")
        elif kind == "int":
            return int(cell)
        elif kind in _FLOAT_TYPES:
            return float(cell)
        else:
            return coerce(definition, cell)
    except ValueError:
        pass
    raise ValueTypeError(f"{definition.name}: value not of required type: {cell}")


def to_json(definition: FieldDef | None, value: Any) -> Any:
    """A stored value as the REST API returns it."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if definition is not None and definition.type in _FLOAT_TYPES and isinstance(value, int):
        return float(value)
    return value
