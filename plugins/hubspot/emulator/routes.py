"""Which endpoints the emulator serves, the scope each needs, and their handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from funnelsync.plugins.hubspot.emulator.errors import ApiError, validation_error
from funnelsync.plugins.hubspot.emulator.properties import property_from_create
from funnelsync.plugins.hubspot.emulator.records import (
    Reply,
    batch_read,
    batch_reply,
    batch_write,
    create_one,
    list_page,
    update_one,
)
from funnelsync.plugins.hubspot.emulator.search import search
from funnelsync.plugins.hubspot.emulator.store import CrmStore
from funnelsync.plugins.hubspot.emulator.variants import AnswerVariants

ASSOCIATION_BATCH_LIMIT = 1000
ASSOCIATION_TYPE_IDS = {
    ("calls", "contacts"): 194,
    ("meetings", "contacts"): 200,
    ("emails", "contacts"): 198,
    ("notes", "contacts"): 202,
    ("contacts", "calls"): 193,
    ("contacts", "meetings"): 199,
    ("contacts", "emails"): 197,
    ("contacts", "notes"): 201,
}
"""HubSpot's default association type ids between contacts and engagements."""

READ_OBJECTS = "crm.objects.contacts.read"
WRITE_OBJECTS = "crm.objects.contacts.write"
READ_SCHEMAS = "crm.schemas.contacts.read"
WRITE_SCHEMAS = "crm.schemas.contacts.write"
ALL_SCOPES = frozenset({READ_OBJECTS, WRITE_OBJECTS, READ_SCHEMAS, WRITE_SCHEMAS})


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    search_cap: int
    variants: AnswerVariants = field(default_factory=AnswerVariants)


Handler = Callable[[CrmStore, Call], Reply]


@dataclass(frozen=True)
class Route:
    """An endpoint: method, path pattern, required scope, limits that apply, handler."""

    method: str
    pattern: re.Pattern[str]
    scope: str
    handler: Handler
    exempt: bool = False
    """Exempt from the ten-second window (and sends no rate-limit headers)."""
    search: bool = False


def _route(method: str, path: str, scope: str, handler: Handler, **flags: bool) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), scope, handler, **flags)


def _associations(store: CrmStore, call: Call) -> Reply:
    from_type, to_type = call.params["from_type"], call.params["to_type"]
    store.type_of(from_type)
    store.type_of(to_type)
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("The request body needs an inputs array.")
    if len(body["inputs"]) > ASSOCIATION_BATCH_LIMIT:
        raise validation_error(f"At most {ASSOCIATION_BATCH_LIMIT} inputs are allowed.")
    type_id = ASSOCIATION_TYPE_IDS.get((from_type, to_type), 1)
    started = datetime.now(UTC)
    results, errors = [], []
    for item in body["inputs"]:
        key = str(item.get("id", ""))
        obj = store.objects[from_type].get(key)
        targets = sorted(obj.associations.get(to_type, ()), key=int) if obj else []
        if not targets:
            error = ApiError(
                404, "OBJECT_NOT_FOUND", f"No {to_type} is associated with {from_type} {key}."
            )
            errors.append(error.standard({"fromObjectId": [key]}))
            continue
        results.append(
            {
                "from": {"id": key},
                "to": [
                    {
                        "toObjectId": target,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                        ],
                    }
                    for target in targets
                ],
            }
        )
    return batch_reply(started, results, errors, 200)


def _list_properties(store: CrmStore, call: Call) -> Reply:
    props = store.properties[_known(store, call)]
    return Reply(200, {"results": [prop.as_json() for prop in props.values()]})


def _get_property(store: CrmStore, call: Call) -> Reply:
    prop = store.properties[_known(store, call)].get(call.params["name"])
    if prop is None:
        raise ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property {call.params['name']}")
    return Reply(200, prop.as_json())


def _create_property(store: CrmStore, call: Call) -> Reply:
    object_type = _known(store, call)
    prop = property_from_create(call.body, store.groups[object_type])
    if prop.name in store.properties[object_type]:
        raise ApiError(409, "CONFLICT", f"A property named '{prop.name}' already exists.")
    store.properties[object_type][prop.name] = prop
    return Reply(201, prop.as_json())


def _list_groups(store: CrmStore, call: Call) -> Reply:
    groups = store.groups[_known(store, call)]
    return Reply(200, {"results": [_group(name, label) for name, label in groups.items()]})


def _create_group(store: CrmStore, call: Call) -> Reply:
    groups = store.groups[_known(store, call)]
    body = call.body
    if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
        raise validation_error("A property group needs a name and a label.")
    name = str(body["name"])
    if name in groups:
        raise ApiError(409, "CONFLICT", f"A property group named '{name}' already exists.")
    groups[name] = str(body["label"])
    return Reply(201, _group(name, groups[name]))


def _group(name: str, label: str) -> dict[str, Any]:
    return {"name": name, "label": label, "displayOrder": -1, "archived": False}


def _known(store: CrmStore, call: Call) -> str:
    object_type = call.params["object_type"]
    store.type_of(object_type)
    return object_type


def _on_type(handle: Callable[[CrmStore, str, Call], Reply]) -> Handler:
    return lambda store, call: handle(store, call.params["object_type"], call)


def _writer(operation: str) -> Handler:
    def write(store: CrmStore, kind: str, call: Call) -> Reply:
        upsert = operation == "upsert"
        traces = {
            "upsert": call.variants.upsert_trace_ids,
            "create": call.variants.create_trace_ids,
        }
        return batch_write(
            store,
            kind,
            operation,
            call.body,
            echo_trace_ids=traces.get(operation, True),
            echo_id_property=not upsert or call.variants.upsert_key_in_results,
        )

    return _on_type(write)


_OBJECTS = "/crm/v3/objects/{object_type}"
_PROPERTIES = "/crm/v3/properties/{object_type}"
ROUTES = (
    _route("GET", _OBJECTS, READ_OBJECTS, _on_type(lambda s, k, c: list_page(s, k, c.query))),
    _route("POST", _OBJECTS, WRITE_OBJECTS, _on_type(lambda s, k, c: create_one(s, k, c.body))),
    _route(
        "POST",
        _OBJECTS + "/search",
        READ_OBJECTS,
        _on_type(lambda s, k, c: Reply(200, search(s, k, c.body, c.search_cap, c.variants))),
        exempt=True,
        search=True,
    ),
    _route(
        "PATCH",
        _OBJECTS + "/{object_id}",
        WRITE_OBJECTS,
        _on_type(lambda s, k, c: update_one(s, k, c.params["object_id"], c.query, c.body)),
    ),
    _route(
        "POST",
        _OBJECTS + "/batch/read",
        READ_OBJECTS,
        _on_type(lambda s, k, c: batch_read(s, k, c.body)),
    ),
    *(
        _route("POST", f"{_OBJECTS}/batch/{operation}", WRITE_OBJECTS, _writer(operation))
        for operation in ("create", "update", "upsert")
    ),
    _route("GET", _PROPERTIES, READ_SCHEMAS, _list_properties),
    _route("POST", _PROPERTIES, WRITE_SCHEMAS, _create_property),
    _route("GET", _PROPERTIES + "/groups", READ_SCHEMAS, _list_groups),
    _route("POST", _PROPERTIES + "/groups", WRITE_SCHEMAS, _create_group),
    _route("GET", _PROPERTIES + "/{name}", READ_SCHEMAS, _get_property),
    _route(
        "POST",
        "/crm/v4/associations/{from_type}/{to_type}/batch/read",
        READ_OBJECTS,
        _associations,
        exempt=True,
    ),
)


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route serving ``method path`` and its path parameters; 404 if none."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    raise ApiError(404, "OBJECT_NOT_FOUND", f"Unable to route {method} {path}")
