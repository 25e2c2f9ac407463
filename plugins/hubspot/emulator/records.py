"""The object endpoints: list, create, update one, and batch read / create / update / upsert.

Batches take at most 100 inputs (400 above). When every input carries an
``objectWriteTraceId`` a batch is applied record by record and answers 207 with one
error per failed input (its ``context`` names the trace id); otherwise the first failing
input fails the whole batch with its own status (400 or 409) and nothing is written.
Without ``echo_trace_ids`` (the ``upsert_trace_ids`` variant off), results carry no trace
id and come in reverse input order, and each error names its input's ``id`` in
``context.ids`` instead. Without ``echo_id_property`` a result's ``properties`` hold only
the properties written, not the ``idProperty`` value; without ``create_trace_ids`` batch
creates answer the same way as untraced upserts.

A create's ``associations`` are checked (``to.id`` must exist; the type id must be a
HUBSPOT_DEFINED one from the object type, e.g. 202 note → contact) and made with it; an
engagement (note, call…) needs ``hs_timestamp``. The wording of these errors is the
emulator's own: HubSpot documents their category, not their text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from funnelsync.plugins.hubspot.emulator.errors import ApiError, validation_error
from funnelsync.plugins.hubspot.emulator.properties import ENGAGEMENT_TYPES, format_datetime
from funnelsync.plugins.hubspot.emulator.store import CrmStore, StoredObject

BATCH_LIMIT = 100
LIST_LIMIT = 100
TYPE_TARGETS = {
    ("notes", 202): "contacts",
    ("calls", 194): "contacts",
    ("meetings", 200): "contacts",
    ("emails", 198): "contacts",
}
"""HUBSPOT_DEFINED association type ids a create may use: (from type, id) → to type."""


@dataclass(frozen=True)
class Reply:
    """An HTTP status and a JSON body."""

    status: int
    body: Any


def list_page(store: CrmStore, object_type: str, query: dict[str, list[str]]) -> Reply:
    """``GET /crm/v3/objects/{objectType}``: a page in id order, ``after`` being an id."""
    limit = int(_first(query, "limit") or 10)
    if not 0 < limit <= LIST_LIMIT:
        raise validation_error(f"limit must be between 1 and {LIST_LIMIT}")
    after = int(_first(query, "after") or 0)
    requested = [p for value in query.get("properties", []) for p in value.split(",") if p]
    remaining = [obj for obj in store.all(object_type) if obj.number_id >= after]
    body: dict[str, Any] = {
        "results": [store.as_json(object_type, obj, requested) for obj in remaining[:limit]]
    }
    if len(remaining) > limit:
        following = remaining[limit].id
        body["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
    return Reply(200, body)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def create_one(store: CrmStore, object_type: str, body: Any) -> Reply:
    """``POST /crm/v3/objects/{objectType}``: one new object, 201."""
    values = _properties(body)
    obj = store.create(object_type, store.changes(object_type, values, None))
    return Reply(201, store.as_json(object_type, obj, list(values)))


def update_one(
    store: CrmStore, object_type: str, object_id: str, query: dict[str, list[str]], body: Any
) -> Reply:
    """``PATCH /crm/v3/objects/{objectType}/{objectId}``: change one object, found by id or
    by the unique property named in ``idProperty``; 404 if there is none."""
    values = _properties(body)
    key = unquote(object_id)
    current = store.find(object_type, key, _first(query, "idProperty"))
    if current is None:
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No {object_type} object with id {key}")
    store.update(object_type, current, store.changes(object_type, values, current))
    return Reply(200, store.as_json(object_type, current, list(values)))


def _properties(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
        raise validation_error("Each input needs a properties object.")
    return dict(item["properties"])


def _inputs(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("The request body needs an inputs array.")
    inputs = body["inputs"]
    if len(inputs) > BATCH_LIMIT:
        raise validation_error(
            f"Batch input exceeds the limit: {len(inputs)} inputs, at most {BATCH_LIMIT}.",
        )
    if not all(isinstance(item, dict) for item in inputs):
        raise validation_error("Each input must be a JSON object.")
    return list(inputs)


def batch_reply(
    started: datetime, results: list[dict[str, Any]], errors: list[dict[str, Any]], ok: int
) -> Reply:
    """A ``BatchResponse…`` reply: status ``ok`` without errors, else 207 listing them."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": format_datetime(started),
        "completedAt": format_datetime(datetime.now(UTC)),
    }
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return Reply(207 if errors else ok, body)


def batch_read(store: CrmStore, object_type: str, body: Any) -> Reply:
    """``POST .../batch/read``: the objects found; missing ids are one 207 error."""
    started = datetime.now(UTC)
    inputs = _inputs(body)
    id_property = body.get("idProperty")
    requested = body.get("properties") or None
    results, missing = [], []
    for item in inputs:
        obj = store.find(object_type, str(item.get("id", "")), id_property)
        if obj is None:
            missing.append(str(item.get("id", "")))
        else:
            results.append(store.as_json(object_type, obj, requested))
    errors = []
    if missing:
        error = ApiError(
            404,
            "OBJECT_NOT_FOUND",
            f"Could not get some {object_type} objects, they may be deleted or not exist.",
        )
        errors.append(error.standard({"ids": missing}))
    return batch_reply(started, results, errors, 200)


def batch_write(
    store: CrmStore,
    object_type: str,
    operation: str,
    body: Any,
    *,
    echo_trace_ids: bool = True,
    echo_id_property: bool = True,
) -> Reply:
    """``POST .../batch/{create,update,upsert}``."""
    started = datetime.now(UTC)
    inputs = _inputs(body)
    keys = [str(item.get("id")) for item in inputs if "id" in item]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise validation_error(f"Duplicate IDs found in batch input: {repeated}")
    traced = bool(inputs) and all("objectWriteTraceId" in item for item in inputs)
    planned: list[tuple[dict[str, Any], Callable[[], tuple[StoredObject, bool]] | ApiError]] = []
    for item in inputs:
        try:
            planned.append((item, _plan(store, object_type, operation, item)))
        except ApiError as error:
            if not traced:
                raise
            planned.append((item, error))
    results, errors = [], []
    for item, step in planned:
        trace = {"objectWriteTraceId": [str(item["objectWriteTraceId"])]} if traced else {}
        if traced and not echo_trace_ids:
            trace = {"ids": [str(item.get("id", ""))]}
        try:
            if isinstance(step, ApiError):
                raise step
            obj, new = step()
        except ApiError as error:
            if not traced:
                raise
            errors.append(error.standard(trace))
            continue
        returned = [
            *_properties(item),
            *([str(item["idProperty"])] if item.get("idProperty") and echo_id_property else []),
        ]
        result = store.as_json(object_type, obj, returned)
        if operation == "upsert":
            result["new"] = new
        if traced and echo_trace_ids:
            result["objectWriteTraceId"] = str(item["objectWriteTraceId"])
        results.append(result)
    if not echo_trace_ids:
        results.reverse()
    return batch_reply(started, results, errors, 201 if operation == "create" else 200)


def _plan(
    store: CrmStore, object_type: str, operation: str, item: dict[str, Any]
) -> Callable[[], tuple[StoredObject, bool]]:
    """Check one input now; the returned step applies it (checking creates again, as an
    earlier input of the batch may have taken the email since)."""
    values = _properties(item)
    if operation == "create":
        links = associations_of(store, object_type, item.get("associations"))
        if object_type in ENGAGEMENT_TYPES and not values.get("hs_timestamp"):
            raise ApiError(
                400,
                "VALIDATION_ERROR",
                'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is '
                'required","error":"REQUIRED_FIELD","name":"hs_timestamp"}]',
            )
        return _creating(store, object_type, values, links)
    key, id_property = str(item.get("id", "")), item.get("idProperty")
    current = store.find(object_type, key, id_property)
    if current is None and operation == "update":
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No {object_type} object with id {key}")
    if current is None:
        if id_property in (None, "hs_object_id"):
            raise validation_error(f"Cannot create an object by id; {key} does not exist")
        return _creating(store, object_type, {str(id_property): key, **values})
    changes = store.changes(object_type, values, current)
    return lambda: (current, store.update(object_type, current, changes) and False)


def _creating(
    store: CrmStore,
    object_type: str,
    values: dict[str, Any],
    links: Sequence[tuple[str, str]] = (),
) -> Callable[[], tuple[StoredObject, bool]]:
    store.changes(object_type, values, None)

    def create() -> tuple[StoredObject, bool]:
        obj = store.create(object_type, store.changes(object_type, values, None))
        for to_type, to_id in links:
            store.associate(object_type, obj.id, to_type, to_id)
        return obj, True

    return create


def associations_of(store: CrmStore, object_type: str, given: Any) -> list[tuple[str, str]]:
    """The (object type, id) pairs a create input's ``associations`` name, checked: each
    needs ``to.id`` and ``types`` of known HUBSPOT_DEFINED type ids from ``object_type``,
    and the object it names must exist."""
    if given is None:
        return []
    if not isinstance(given, list):
        raise validation_error("associations must be an array.")
    links = []
    for association in given:
        target = association.get("to") if isinstance(association, dict) else None
        types = association.get("types") if isinstance(association, dict) else None
        if not isinstance(target, dict) or "id" not in target or not isinstance(types, list):
            raise validation_error("Each association needs to.id and types.")
        to_id = str(target["id"])
        for spec in types:
            type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
            category = spec.get("associationCategory") if isinstance(spec, dict) else None
            to_type = TYPE_TARGETS.get((object_type, type_id)) if isinstance(type_id, int) else None
            if category != "HUBSPOT_DEFINED" or to_type is None:
                raise validation_error(
                    f"{category} association type {type_id} is not valid from {object_type}."
                )
            if to_id not in store.type_of(to_type):
                raise ApiError(
                    404,
                    "OBJECT_NOT_FOUND",
                    f"No {to_type} object with id {to_id} to associate with.",
                )
            links.append((to_type, to_id))
    return links
