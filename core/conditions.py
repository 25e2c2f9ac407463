"""Evaluating field conditions (used by fit rules and stage entry rules) against a lead."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from funnelsync.contract import FieldCondition
from funnelsync.models import Lead, as_moment, lead_value
from funnelsync.rule_kinds import NO_RULE_KINDS, RuleKinds


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    if isinstance(left, str) != isinstance(right, str):
        # A number against text (``company_size equals "500"``, ``source equals 2024``):
        # compare as numbers when the text is one.
        left_number, right_number = _as_number(left), _as_number(right)
        return left_number is not None and left_number == right_number
    return bool(left == right)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def condition_holds(
    condition: FieldCondition, lead: Lead, kinds: RuleKinds = NO_RULE_KINDS
) -> bool:
    """Whether ``lead`` meets ``condition`` (a missing value meets only ``present: false``)."""
    if condition.kind is not None:
        return kinds[condition.kind].holds(lead, condition.field, condition.args)
    assert condition.field is not None  # the contract model requires it without a kind
    value = lead_value(lead, condition.field)
    if condition.present is not None:
        return (value is not None and value != []) is condition.present
    if value is None:
        return False
    if isinstance(value, list):
        # A multi-picklist meets a condition when one of its values does.
        return any(_holds(condition, item) for item in value)
    return _holds(condition, value)


def _holds(condition: FieldCondition, value: Any) -> bool:
    if condition.equals is not None:
        return _same(value, condition.equals)
    if condition.in_ is not None:
        return any(_same(value, option) for option in condition.in_)
    if condition.matches is not None:
        return _compiled(condition.matches).search(str(value)) is not None
    bound = condition.min if condition.min is not None else condition.max
    if isinstance(bound, date):
        return _within_dates(condition, as_moment(value))
    number = _as_number(value)
    if number is None:
        return False
    low_ok = condition.min is None or number >= condition.min  # type: ignore[operator]
    high_ok = condition.max is None or number <= condition.max  # type: ignore[operator]
    return low_ok and high_ok


def _within_dates(condition: FieldCondition, moment: datetime | None) -> bool:
    """Whether ``moment`` lies between the condition's date bounds (a ``max`` date counts
    its whole day)."""
    if moment is None:
        return False
    low, high = as_moment(condition.min), as_moment(condition.max)
    if high is not None and not isinstance(condition.max, datetime):
        high += timedelta(days=1) - timedelta(microseconds=1)
    return (low is None or moment >= low) and (high is None or moment <= high)


def _number(value: float | date) -> str:
    """``200`` for 200.0 and ``1000000`` for 1e6 (not ``1e+06``); ``2.5`` stays ``2.5``;
    a date in ISO 8601."""
    if isinstance(value, date):
        return value.isoformat()
    return str(int(value)) if value.is_integer() else repr(value)


def describe_condition(condition: FieldCondition, kinds: RuleKinds = NO_RULE_KINDS) -> str:
    """A short human reading of ``condition``, e.g. ``industry in Healthcare, Software``."""
    if condition.kind is not None:
        kind = kinds.get(condition.kind)
        return kind.describe(condition.field, condition.args) if kind else condition.kind
    field = (condition.field or "").replace("_", " ")
    if condition.present is not None:
        return f"{field} {'given' if condition.present else 'missing'}"
    if condition.equals is not None:
        return f"{field} {condition.equals}"
    if condition.in_ is not None:
        return f"{field} in {', '.join(str(option) for option in condition.in_)}"
    if condition.matches is not None:
        return f"{field} matches {condition.matches}"
    if condition.min is not None and condition.max is not None:
        return f"{field} {_number(condition.min)}-{_number(condition.max)}"
    if condition.min is not None:
        return f"{field} ≥ {_number(condition.min)}"
    assert condition.max is not None  # the contract requires exactly one operator
    return f"{field} ≤ {_number(condition.max)}"
