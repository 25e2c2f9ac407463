"""Making a :class:`~funnelsync.models.Lead` from values already in their validated form,
without pydantic's per-field validation (the hot path of reading and merging leads).

:func:`checked_lead` gives exactly what ``Lead.model_validate(values)`` gives when every
value is in a form whose validation is known to be the identity or a simple, exact
conversion (text, whole numbers, aware timestamps, JSON-native attributes); for anything
else it returns ``None`` and the caller validates in full, which gives the same lead or
the error. :func:`built_lead` makes a lead from values that came out of validated leads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from funnelsync.models import Lead, _whole_number, normalise_email


class _Untrusted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A value whose validation is left to pydantic."""


def _text(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not str:
        raise _Untrusted
    return None if not value or value.isspace() else value


def _email(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not str:
        raise _Untrusted
    try:
        return normalise_email(value)
    except ValueError:
        raise _Untrusted from None


def _whole(value: Any) -> Any:
    if type(value) not in (str, int, float) and value is not None:
        raise _Untrusted
    try:
        number = _whole_number(value)
    except ValueError:
        raise _Untrusted from None
    if number is None:
        return None
    if type(number) is not int or number < 0:
        raise _Untrusted
    return number


def _integer(value: Any) -> Any:
    if value is None or type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    raise _Untrusted


def _flag(value: Any) -> Any:
    if value is None or type(value) is bool:
        return value
    if type(value) is str and (not value or value.isspace()):
        return None
    raise _Untrusted


def _moment(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is str and (not value or value.isspace()):
        return None
    if type(value) is not datetime or value.tzinfo is None or value.utcoffset() is None:
        raise _Untrusted
    return value


def _stage_dates(value: Any) -> dict[str, datetime]:
    if type(value) is not dict:
        raise _Untrusted
    dates = {}
    for stage, when in value.items():
        if type(stage) is not str or type(when) is not datetime:
            raise _Untrusted
        dates[stage] = _moment(when)
    return dates


def _attributes(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise _Untrusted
    attributes: dict[str, Any] = {}
    for name, item in value.items():
        if type(name) is not str:
            raise _Untrusted
        kind = type(item)
        if item is None or kind is str or kind is int or kind is float or kind is bool:
            attributes[name] = item
        elif kind is list and all(type(part) is str for part in item):
            attributes[name] = list(item)
        else:
            raise _Untrusted
    return attributes


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "email": _email,
    "company_size": _whole,
    "created_at": _moment,
    "updated_at": _moment,
    "attributes": _attributes,
    "fit_score": _integer,
    "engagement_score": _integer,
    "score": _integer,
    "stage_dates": _stage_dates,
    "stalled": _flag,
}
"""Fields not named here are optional text."""

_DEFAULTS: dict[str, Any] = {name: None for name in Lead.model_fields}
"""Every field, in the model's order (``attributes`` and ``stage_dates`` are always given)."""

_TEXT_FIELDS = frozenset(
    name
    for name, info in Lead.model_fields.items()
    if name not in _CHECKS and info.annotation == (str | None)
)


def _supported() -> bool:
    """Whether every field of :class:`Lead` has a check here (a new field of another kind
    makes every lead take pydantic's validation, until it has one)."""
    return set(Lead.model_fields) == set(_CHECKS) | _TEXT_FIELDS


_SUPPORTED = _supported()


def built_lead(values: Mapping[str, Any]) -> Lead:
    """A lead of ``values`` as given (as ``Lead.model_construct`` makes it, without its
    per-field loop): for values taken from validated leads. ``values`` must hold
    ``attributes`` and ``stage_dates``; the fields it names are the lead's fields set."""
    lead = Lead.__new__(Lead)
    data = _DEFAULTS.copy()
    data.update(values)
    object.__setattr__(lead, "__dict__", data)
    object.__setattr__(lead, "__pydantic_fields_set__", set(values))
    object.__setattr__(lead, "__pydantic_extra__", None)
    object.__setattr__(lead, "__pydantic_private__", None)
    return lead


def checked_lead(values: Mapping[str, Any]) -> Lead | None:
    """``Lead.model_validate(values)`` when every value is in a simple form, else ``None``."""
    if not _SUPPORTED or "attributes" not in values or "stage_dates" not in values:
        return None
    checked: dict[str, Any] = {}
    try:
        for name, value in values.items():
            check = _CHECKS.get(name)
            if check is not None:
                checked[name] = check(value)
            elif name in _TEXT_FIELDS:
                checked[name] = _text(value)
            else:
                return None
    except _Untrusted:
        return None
    return built_lead(checked)
