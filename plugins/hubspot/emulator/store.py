"""The portal's data: objects by type, their properties and associations, and the clock.

Rules kept here, as HubSpot documents them: a contact's email is unique (secondary emails
included: a duplicate is a 409); ``lifecyclestage`` only moves forward in option order
unless it was cleared first; every change stamps the object's last-modified property.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from funnelsync.plugins.hubspot.emulator.errors import (
    ApiError,
    PropertyProblem,
    conflict,
    property_error,
)
from funnelsync.plugins.hubspot.emulator.properties import (
    PropertyDef,
    default_groups,
    default_properties,
    format_datetime,
)

BackwardLifecycle = Literal["reject", "keep"]
"""What a backward ``lifecyclestage`` write does: refused, or silently ignored."""

_ID_PROPERTY = "hs_object_id"
_ALWAYS_RETURNED = {
    "contacts": ("createdate", "hs_object_id", "lastmodifieddate"),
    "other": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
DEFAULT_RETURNED = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "other": _ALWAYS_RETURNED["other"],
}


class Clock:
    """The portal's clock: real time, or a time a test set (then it stands still)."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        """The current portal time."""
        return self.frozen if self.frozen is not None else datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        """Move a set clock forward."""
        self.frozen = self.now() + timedelta(seconds=seconds)


@dataclass
class StoredObject:
    """One CRM record: string property values (blank ones left out) and associations."""

    id: str
    properties: dict[str, str]
    numbers: dict[str, float] = field(default_factory=dict)
    """Number, date and datetime values as numbers (epoch ms), for search."""
    associations: dict[str, set[str]] = field(default_factory=dict)
    number_id: int = field(init=False)
    tiebreak: int = field(init=False)
    """Orders records with equal sort values: stable, but unrelated to the id."""

    def __post_init__(self) -> None:
        self.number_id = int(self.id)
        self.tiebreak = (self.number_id * 2654435761) % 4294967296


def modified_property(object_type: str) -> str:
    """The last-modified property: contacts have their own name for it."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def created_property(object_type: str) -> str:
    """The create-date property."""
    return "createdate" if object_type == "contacts" else "hs_createdate"


class CrmStore:
    """Objects, property definitions and groups of one emulated portal (not thread-safe)."""

    def __init__(self, backward_lifecycle: BackwardLifecycle = "reject") -> None:
        self.clock = Clock()
        self.backward_lifecycle = backward_lifecycle
        self.properties = default_properties()
        self.groups = default_groups()
        self.objects: dict[str, dict[str, StoredObject]] = {kind: {} for kind in self.properties}
        self._emails: dict[str, str] = {}
        self._next_id = 101
        self.unindexed: set[str] = set()
        """Ids search does not see yet (their writes are not indexed)."""

    def type_of(self, object_type: str) -> dict[str, StoredObject]:
        """The objects of ``object_type``; 400 if the portal has no such type."""
        if object_type not in self.objects:
            raise ApiError(
                400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}"
            )
        return self.objects[object_type]

    def definition(self, object_type: str, name: str) -> PropertyDef | None:
        """A property's definition, if the type has it."""
        return self.properties[object_type].get(name)

    def find(self, object_type: str, key: str, id_property: str | None) -> StoredObject | None:
        """The object whose ``id_property`` (default: its id) equals ``key``."""
        objects = self.type_of(object_type)
        if id_property in (None, _ID_PROPERTY):
            return objects.get(key)
        if object_type == "contacts" and id_property == "email":
            found = self._emails.get(key.strip().lower())
            contact = objects.get(found) if found else None
            return (
                contact
                if contact and contact.properties.get("email", "").lower() == key.strip().lower()
                else None
            )
        prop = self.definition(object_type, str(id_property))
        if prop is None or not prop.unique:
            raise ApiError(
                400, "VALIDATION_ERROR", f"{id_property} is not a unique property of {object_type}"
            )
        return next((o for o in objects.values() if o.properties.get(prop.name) == key), None)

    def email_owner(self, email: str) -> str | None:
        """The id of the contact holding ``email`` as primary or secondary address."""
        return self._emails.get(email.strip().lower())

    def changes(
        self,
        object_type: str,
        values: Mapping[str, Any],
        current: StoredObject | None,
        *,
        seeding: bool = False,
    ) -> dict[str, str]:
        """The normalised changes ``values`` make; raises the validation or 409 error."""
        self.type_of(object_type)
        problems: list[PropertyProblem] = []
        out: dict[str, str] = {}
        for name, raw in values.items():
            prop = self.definition(object_type, name)
            if prop is None:
                problems.append(
                    PropertyProblem(
                        name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                    )
                )
                continue
            if prop.read_only and not seeding:
                problems.append(
                    PropertyProblem(
                        name,
                        "READ_ONLY_VALUE",
                        f"{name} is a read only property; its value cannot be set.",
                    )
                )
                continue
            normalised = prop.normalise(_as_text(raw))
            if isinstance(normalised, PropertyProblem):
                problems.append(normalised)
            else:
                out[name] = normalised
        if object_type == "contacts":
            self._check_lifecycle(out, current, problems)
        if problems:
            raise property_error(problems)
        if object_type == "contacts":
            self._check_email(out, current)
        return out

    def _check_lifecycle(
        self, out: dict[str, str], current: StoredObject | None, problems: list[PropertyProblem]
    ) -> None:
        new = out.get("lifecyclestage")
        old = current.properties.get("lifecyclestage") if current else None
        if not new or not old:
            return
        stage = self.properties["contacts"]["lifecyclestage"]
        new_order, old_order = stage.option_order(new), stage.option_order(old)
        if new_order is None or old_order is None or new_order >= old_order:
            return
        if self.backward_lifecycle == "keep":
            del out["lifecyclestage"]
            return
        problems.append(
            PropertyProblem(
                "lifecyclestage",
                "INVALID_LIFECYCLE_STAGE",
                f"lifecyclestage can only be set forward (from {old} to {new} is backward); "
                "clear the value first to set an earlier stage",
            )
        )

    def _check_email(self, out: dict[str, str], current: StoredObject | None) -> None:
        email = out.get("email")
        if email is None:
            return
        owner = self.email_owner(email)
        if owner is not None and (current is None or owner != current.id):
            raise conflict(owner)

    def create(
        self, object_type: str, changes: Mapping[str, str], when: datetime | None = None
    ) -> StoredObject:
        """Store a new object with already checked ``changes``."""
        stamp = format_datetime(when or self.clock.now())
        new_id = str(self._next_id)
        self._next_id += 1
        obj = StoredObject(new_id, {})
        self.type_of(object_type)[new_id] = obj
        base = {_ID_PROPERTY: new_id, created_property(object_type): stamp}
        self._apply(object_type, obj, {**base, **changes}, stamp)
        return obj

    def update(
        self,
        object_type: str,
        obj: StoredObject,
        changes: Mapping[str, str],
        when: datetime | None = None,
    ) -> bool:
        """Apply checked ``changes``; stamps the object only if a value changed."""
        stamp = format_datetime(when or self.clock.now())
        return self._apply(object_type, obj, changes, stamp)

    def _apply(
        self, object_type: str, obj: StoredObject, changes: Mapping[str, str], stamp: str
    ) -> bool:
        changed = {k: v for k, v in changes.items() if obj.properties.get(k, "") != v}
        if not changed:
            return False
        if "email" in changed and obj.properties.get("email"):
            self._emails.pop(obj.properties["email"].lower(), None)
        for name, value in {**changed, modified_property(object_type): stamp}.items():
            prop = self.properties[object_type][name]
            if value:
                obj.properties[name] = value
                number = prop.numeric(value)
                if number is not None:
                    obj.numbers[name] = number
            else:
                obj.properties.pop(name, None)
                obj.numbers.pop(name, None)
        if object_type == "contacts":
            self._index_emails(obj)
        return True

    def _index_emails(self, contact: StoredObject) -> None:
        addresses = [contact.properties.get("email", "")]
        addresses += contact.properties.get("hs_additional_emails", "").split(";")
        for address in addresses:
            if address.strip():
                self._emails[address.strip().lower()] = contact.id

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Associate two objects (both directions)."""
        source, target = self.type_of(from_type)[from_id], self.type_of(to_type)[to_id]
        source.associations.setdefault(to_type, set()).add(to_id)
        target.associations.setdefault(from_type, set()).add(from_id)

    def as_json(
        self, object_type: str, obj: StoredObject, requested: list[str] | None
    ) -> dict[str, Any]:
        """The object as the API returns it (``SimplePublicObject``)."""
        kind = "contacts" if object_type == "contacts" else "other"
        names = list(requested) if requested else list(DEFAULT_RETURNED[kind])
        names += [name for name in _ALWAYS_RETURNED[kind] if name not in names]
        return {
            "id": obj.id,
            "properties": {
                name: obj.properties.get(name)
                for name in names
                if name in self.properties[object_type]
            },
            "createdAt": obj.properties[created_property(object_type)],
            "updatedAt": obj.properties[modified_property(object_type)],
            "archived": False,
        }

    def all(self, object_type: str) -> Iterator[StoredObject]:
        """Every object of a type, oldest first."""
        return iter(sorted(self.type_of(object_type).values(), key=lambda o: o.number_id))


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)
