"""Checks recorded requests against HubSpot's official OpenAPI specs.

A small validator for the JSON Schema subset these specs use (``$ref``, ``type``,
``properties``, ``required``, ``items``, ``additionalProperties``, ``enum``). It is
stricter than JSON Schema in one way: an object key the schema does not declare is a
problem, since HubSpot silently ignores such keys.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnelsync.plugins.hubspot.emulator.server import RecordedRequest

SPEC_FILES = (
    "crm_contacts_v3.json",
    "crm_objects_v3.json",
    "crm_properties_v3.json",
    "crm_associations_v4.json",
)
_DEFAULT_DIR = Path(__file__).resolve().parents[4] / "shared" / "reference" / "hubspot-openapi"


def spec_dir() -> Path | None:
    """Where the spec files are (``FUNNELSYNC_HUBSPOT_SPECS`` or ../shared), if present."""
    configured = os.environ.get("FUNNELSYNC_HUBSPOT_SPECS")
    folder = Path(configured) if configured else _DEFAULT_DIR
    return folder if all((folder / name).is_file() for name in SPEC_FILES) else None


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation: dict[str, Any]
    spec: dict[str, Any]

    @property
    def literal_length(self) -> int:
        return len(re.sub(r"\{[^}]+\}", "", self.template))


class SpecValidator:
    """The operations of the spec files, and what is wrong with a request."""

    def __init__(self, folder: Path) -> None:
        self.operations: list[_Operation] = []
        for name in SPEC_FILES:
            spec = json.loads((folder / name).read_text(encoding="utf-8"))
            for template, item in spec["paths"].items():
                regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
                for method, operation in item.items():
                    if method in ("get", "post", "put", "patch", "delete"):
                        shared = item.get("parameters", [])
                        merged = {
                            **operation,
                            "parameters": [*shared, *operation.get("parameters", [])],
                        }
                        self.operations.append(
                            _Operation(method.upper(), template, re.compile(regex), merged, spec)
                        )

    def problems(self, requests: Iterable[RecordedRequest]) -> list[str]:
        """Every problem of every request, prefixed with the request."""
        found = []
        for request in requests:
            found += [f"{request.method} {request.path}: {p}" for p in self._check(request)]
        return found

    def _check(self, request: RecordedRequest) -> list[str]:
        matches = [
            op
            for op in self.operations
            if op.method == request.method and op.pattern.match(request.path)
        ]
        if not matches:
            return ["no such operation in the spec"]
        operation = max(matches, key=lambda op: op.literal_length)
        problems = self._query(operation, request.query)
        body = operation.operation.get("requestBody")
        if body is None:
            return problems + (["has a body the spec does not take"] if request.body else [])
        if request.body is None:
            return problems + (["needs a body"] if body.get("required") else [])
        schema = body["content"]["application/json"]["schema"]
        return problems + _validate(operation.spec, schema, request.body, "body")

    def _query(self, operation: _Operation, query: dict[str, list[str]]) -> list[str]:
        declared = {
            p["name"]: p["schema"]
            for p in operation.operation["parameters"]
            if p.get("in") == "query"
        }
        problems = []
        for name, values in query.items():
            if name not in declared:
                problems.append(f"query parameter {name!r} is not in the spec")
                continue
            kind = declared[name].get("type")
            for value in values:
                if kind == "integer" and not value.lstrip("-").isdigit():
                    problems.append(f"query {name}={value!r} is not an integer")
                if kind == "boolean" and value not in ("true", "false"):
                    problems.append(f"query {name}={value!r} is not a boolean")
        return problems


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _validate(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if kind in _TYPES:
        wrong_bool = isinstance(value, bool) and kind in ("integer", "number")
        if not isinstance(value, _TYPES[kind]) or wrong_bool:
            return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    problems: list[str] = []
    if kind == "array":
        for index, item in enumerate(value):
            problems += _validate(spec, schema.get("items", {}), item, f"{where}[{index}]")
    if kind == "object":
        declared = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        problems += [
            f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value
        ]
        for name, item in value.items():
            if name in declared:
                problems += _validate(spec, declared[name], item, f"{where}.{name}")
            elif isinstance(extra, dict):
                problems += _validate(spec, extra, item, f"{where}.{name}")
            else:
                problems.append(f"{where}: {name!r} is not in the spec")
    return problems
