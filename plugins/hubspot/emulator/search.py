"""``POST /crm/v3/objects/{objectType}/search``: filters, one sort, offset paging, the cap.

Filter groups are ORed and the filters in a group ANDed (at most 5 groups, 10 filters per
group, 25 in all). Numbers, dates and datetimes compare as numbers (dates as epoch ms or
ISO 8601); text compares without case, enumerations with it. Results sort by the one sort
given (a property name, ascending, or ``{"propertyName", "direction"}``), else oldest
created first. Records with equal sort values come in an arbitrary but stable order — never
rely on it. Paging is an offset in ``after``; no page starts at or past the result cap
(10,000 unless configured), which is a 400, as in HubSpot. The variants
``search_next_at_cap`` (the page ending at the cap has no ``paging.next``) and
``search_total_extra`` (``total`` differs from the results) give the other documented
answers. Records held out of the index (not yet indexed writes) match nothing.
"""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable
from typing import Any

from funnelsync.plugins.hubspot.emulator.errors import validation_error
from funnelsync.plugins.hubspot.emulator.properties import PropertyDef, epoch_ms, parse_moment
from funnelsync.plugins.hubspot.emulator.store import CrmStore, StoredObject
from funnelsync.plugins.hubspot.emulator.variants import AnswerVariants

MAX_LIMIT = 200
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25
_SEARCHABLE = ("firstname", "lastname", "email", "phone", "company")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq,
    "NEQ": operator.ne,
    "LT": operator.lt,
    "LTE": operator.le,
    "GT": operator.gt,
    "GTE": operator.ge,
}

Test = Callable[[StoredObject], bool]


def search(
    store: CrmStore,
    object_type: str,
    body: Any,
    cap: int,
    variants: AnswerVariants | None = None,
) -> dict[str, Any]:
    """Run one search request and return its page."""
    variants = variants or AnswerVariants()
    objects = [o for o in store.type_of(object_type).values() if o.id not in store.unindexed]
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object.")
    limit = _int(body.get("limit", 10), "limit")
    after = _int(body.get("after") or 0, "after")
    if not 0 < limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if after >= cap:
        raise validation_error(
            f"Search results are limited to {cap}; page {after} is past them. "
            "Narrow the search (e.g. on lastmodifieddate) to page further."
        )
    tests = _filter_groups(store, object_type, body.get("filterGroups") or [])
    query = str(body.get("query") or "").strip().lower()
    matches = [obj for obj in objects if _matches(obj, tests, query)]
    _sort(store, object_type, matches, body.get("sorts") or [])
    page = matches[after : min(after + limit, cap)]
    requested = body.get("properties") or None
    response: dict[str, Any] = {
        "total": max(len(matches) + variants.search_total_extra, 0),
        "results": [store.as_json(object_type, obj, requested) for obj in page],
    }
    at_cap = after + limit >= cap
    if after + limit < len(matches) and (variants.search_next_at_cap or not at_cap):
        following = str(after + limit)
        response["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
    return response


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {value!r}") from None


def _matches(obj: StoredObject, groups: list[list[Test]], query: str) -> bool:
    if groups:
        for group in groups:
            for test in group:
                if not test(obj):
                    break
            else:
                break
        else:
            return False
    if not query:
        return True
    return any(query in obj.properties.get(name, "").lower() for name in _SEARCHABLE)


def _filter_groups(store: CrmStore, object_type: str, groups: Any) -> list[list[Test]]:
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise validation_error(f"At most {MAX_GROUPS} filterGroups are allowed.")
    total = sum(len(group.get("filters") or []) for group in groups)
    if total > MAX_FILTERS:
        raise validation_error(f"At most {MAX_FILTERS} filters are allowed in all.")
    compiled = []
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise validation_error(f"At most {MAX_FILTERS_PER_GROUP} filters per group.")
        compiled.append([_compile(store, object_type, item) for item in filters])
    return compiled


def _compile(store: CrmStore, object_type: str, item: dict[str, Any]) -> Test:
    name, kind = str(item.get("propertyName", "")), str(item.get("operator", ""))
    prop = store.definition(object_type, name)
    if prop is None:
        raise validation_error(f"There was a problem with the request: unknown property {name}")
    if kind == "HAS_PROPERTY":
        return lambda obj: name in obj.properties
    if kind == "NOT_HAS_PROPERTY":
        return lambda obj: name not in obj.properties
    if kind in ("IN", "NOT_IN"):
        values = {_key(prop, str(v)) for v in item.get("values") or []}
        inside = kind == "IN"
        return lambda obj: (_value(prop, obj) in values) is inside
    if kind in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(item.get("value", "")).lower()
        wanted = kind == "CONTAINS_TOKEN"
        return lambda obj: _has_token(obj.properties.get(name, ""), pattern) is wanted
    target = _key(prop, str(item.get("value", "")))
    if kind == "BETWEEN":
        high = _key(prop, str(item.get("highValue", "")))
        return lambda obj: (
            _compare(_value(prop, obj), target, "GTE") and _compare(_value(prop, obj), high, "LTE")
        )
    if kind not in _OPERATORS:
        raise validation_error(f"Unknown filter operator {kind!r}")
    compare = _OPERATORS[kind]
    if isinstance(target, float):
        numbers_only = kind != "NEQ"

        def numeric(obj: StoredObject) -> bool:
            value = obj.numbers.get(name)
            return compare(value, target) if value is not None else not numbers_only

        return numeric
    return lambda obj: _compare(_value(prop, obj), target, kind)


def _key(prop: PropertyDef, text: str) -> float | str | None:
    """A filter value in the form stored values compare in."""
    if prop.type == "number":
        try:
            return float(text)
        except ValueError:
            raise validation_error(f"{text!r} is not a number (filter on {prop.name})") from None
    if prop.type in ("date", "datetime"):
        moment = parse_moment(text)
        if moment is None:
            raise validation_error(f"{text!r} is not a date (filter on {prop.name})")
        return float(epoch_ms(moment))
    return text if prop.type == "enumeration" else text.lower()


def _value(prop: PropertyDef, obj: StoredObject) -> float | str | None:
    if prop.name in obj.numbers:
        return obj.numbers[prop.name]
    stored = obj.properties.get(prop.name)
    if stored is None:
        return None
    return stored if prop.type == "enumeration" else stored.lower()


def _compare(value: float | str | None, target: float | str | None, kind: str) -> bool:
    if kind == "NEQ":
        return value != target
    if value is None or target is None or type(value) is not type(target):
        return False
    return _OPERATORS[kind](value, target)


def _has_token(text: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(token, pattern) for token in text.lower().split())


def _sort(store: CrmStore, object_type: str, matches: list[StoredObject], sorts: Any) -> None:
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise validation_error("Only one sort is allowed.")
    if not sorts:
        matches.sort(key=lambda obj: obj.number_id)
        return
    sort = sorts[0]
    name = sort if isinstance(sort, str) else str(sort.get("propertyName", ""))
    prop = store.definition(object_type, name)
    if prop is None:
        raise validation_error(f"Cannot sort on unknown property {name}")

    def key(obj: StoredObject) -> tuple[Any, ...]:
        value = obj.numbers.get(name) if name in obj.numbers else _value(prop, obj)
        return (value is None, 0 if value is None else value, obj.tiebreak)

    matches.sort(key=key, reverse=isinstance(sort, dict) and sort.get("direction") == "DESCENDING")
