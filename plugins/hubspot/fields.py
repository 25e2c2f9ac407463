"""Contact property definitions: described, created, and the lifecycle stage order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelsync.connector import ConnectorError, FieldInfo
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi, HubSpotError

_FIELD_TYPES = {
    "string": ("string", "text"),
    "text": ("string", "text"),
    "number": ("number", "number"),
    "integer": ("number", "number"),
    "datetime": ("datetime", "date"),
    "date": ("date", "date"),
    "bool": ("bool", "booleancheckbox"),
    "boolean": ("bool", "booleancheckbox"),
    "enumeration": ("enumeration", "select"),
    "picklist": ("enumeration", "select"),
}
"""``FieldInfo.type`` → HubSpot ``(type, fieldType)`` for new properties; others are text."""


class ContactProperties:
    """The portal's contact properties, fetched once per connector and cached."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._cache: dict[str, dict[str, Any]] | None = None

    def all(self) -> dict[str, dict[str, Any]]:
        """Property name → HubSpot's definition."""
        if self._cache is None:
            answer = self.api.call(CallKind.read, self.api.properties_core.get_all, "contacts").body
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise ConnectorError(f"HubSpot's contact properties answered {answer!r}")
            self._cache = {str(item["name"]): item for item in results}
        return self._cache

    def describe(self) -> list[FieldInfo]:
        """Every contact property as a :class:`FieldInfo` (options as the picklist)."""
        return [
            FieldInfo(
                name,
                str(item.get("type", "string")),
                writable=not read_only(item),
                picklist=tuple(str(option["value"]) for option in item.get("options") or []),
                restricted=item.get("type") == "enumeration",
            )
            for name, item in self.all().items()
        ]

    def of_type(self, *types: str) -> frozenset[str]:
        """The names of properties of the given HubSpot types."""
        return frozenset(name for name, item in self.all().items() if item.get("type") in types)

    def stage_order(self) -> dict[str, int]:
        """``lifecyclestage`` option → its place in the stage order (display order)."""
        stage = self.all().get("lifecyclestage") or {}
        return {
            str(option["value"]): int(option.get("displayOrder", index))
            for index, option in enumerate(stage.get("options") or [])
        }

    def create(self, fields: Sequence[FieldInfo], group: str) -> list[str]:
        """Create the properties in ``fields`` the portal lacks; returns the names created.

        The cache is dropped afterwards (also when a create failed or found the property
        made meanwhile), so the next question reads the portal's properties again."""
        missing = [info for info in fields if info.name not in self.all()]
        if not missing:
            return []
        try:
            return self._create(missing, group)
        finally:
            self._cache = None

    def _create(self, missing: Sequence[FieldInfo], group: str) -> list[str]:
        self._ensure_group(group)
        created = []
        for info in missing:
            kind, field_type = _FIELD_TYPES.get(info.type.lower(), ("string", "text"))
            definition: dict[str, Any] = {
                "name": info.name,
                "label": info.name.replace("_", " ").capitalize(),
                "type": kind,
                "fieldType": field_type,
                "groupName": group,
                "description": "Written by funnelsync from the funnel contract.",
            }
            if kind == "enumeration":
                definition["options"] = [
                    {"label": value, "value": value, "displayOrder": order, "hidden": False}
                    for order, value in enumerate(info.picklist)
                ]
            try:
                self.api.call(
                    CallKind.write,
                    self.api.properties_core.create,
                    "contacts",
                    property_create=definition,
                )
            except HubSpotError as exc:
                if exc.status == 409:  # created meanwhile (or by a retried call)
                    continue
                raise
            created.append(info.name)
        return created

    def _ensure_group(self, group: str) -> None:
        answer = self.api.call(CallKind.read, self.api.properties_groups.get_all, "contacts").body
        names = {item.get("name") for item in (answer or {}).get("results") or []}
        if group in names:
            return
        try:
            self.api.call(
                CallKind.write,
                self.api.properties_groups.create,
                "contacts",
                property_group_create={"name": group, "label": group, "displayOrder": -1},
            )
        except HubSpotError as exc:
            if exc.status != 409:
                raise


def read_only(item: dict[str, Any]) -> bool:
    """Whether HubSpot refuses writes to the property (read-only value, or calculated)."""
    metadata = item.get("modificationMetadata") or {}
    return bool(metadata.get("readOnlyValue") or item.get("calculated"))
