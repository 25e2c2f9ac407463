"""Field discovery through sObject describe: fields, picklists, and what is missing.

Describe results are fetched once per object per connector (one API call each).
"""

from __future__ import annotations

from typing import Any

from funnelsync.connector import FieldInfo
from funnelsync.mapping import Mapping
from funnelsync.plugins.salesforce.api import SalesforceApi
from funnelsync.plugins.salesforce.settings import SalesforceSettings

PEOPLE = ("Lead", "Contact")
_NOT_SELECTED = frozenset({"address", "location", "base64"})
"""Types a SELECT of every field leaves out (compound fields repeat their parts)."""
_PICKLISTS = frozenset({"picklist", "multipicklist"})
_TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox"}
)
"""Types whose describe ``length`` is the most characters a value may have."""
_KINDS = {
    "score": "Number(18, 0)",
    "fit_score": "Number(18, 0)",
    "engagement_score": "Number(18, 0)",
    "stage": "Text(80)",
    "explanation": "Long Text Area(32768)",
    "talking_points": "Text(255)",
}


def field_kind(canonical: str) -> str:
    """The Setup field type to create for a canonical field funnelsync writes."""
    return _KINDS.get(
        canonical, "Date/Time" if canonical.startswith("stage_dates.") else "Text(255)"
    )


def setup_advice(sobject: str, fields: list[tuple[str, str]]) -> str:
    """Tell a person exactly which fields to create on ``sobject``, and of which type."""
    listed = "; ".join(f"{name}: {kind}" for name, kind in fields)
    return (
        f"{sobject} lacks field(s) funnelsync writes; create them in Setup → Object Manager → "
        f"{sobject} → Fields & Relationships (and map the Lead fields to the Contact fields "
        f"under Lead → Map Lead Fields): {listed}"
    )


class Describer:
    """Cached describe results of the org's objects."""

    def __init__(self, api: SalesforceApi) -> None:
        self._api = api
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}

    def fields(self, sobject: str) -> dict[str, dict[str, Any]]:
        """The object's fields as describe lists them, by API name."""
        if sobject not in self._cache:
            described = self._api.call(
                "read", lambda sf: sf.restful(f"sobjects/{sobject}/describe")
            )
            fields = described["fields"] if isinstance(described, dict) else []
            self._cache[sobject] = {str(field["name"]): field for field in fields}
        return self._cache[sobject]

    def find(self, sobject: str, name: str) -> dict[str, Any] | None:
        """The field called ``name`` (API names ignore case)."""
        fields = self.fields(sobject)
        folded = name.casefold()
        return fields.get(name) or next(
            (field for key, field in fields.items() if key.casefold() == folded), None
        )

    def selectable(self, sobject: str) -> list[str]:
        """Every field a SELECT should name (all but compound and binary ones)."""
        return [name for name, f in self.fields(sobject).items() if f["type"] not in _NOT_SELECTED]

    def writable(self, sobject: str) -> set[str]:
        """Fields that can be set on update."""
        return {name for name, field in self.fields(sobject).items() if field["updateable"]}

    def picklist_defaults(self, sobject: str) -> dict[str, str]:
        """Picklist field → the value describe marks ``defaultValue``: what Salesforce puts
        in a new record that does not name the field (a new Lead's Status)."""
        defaults = {}
        for name, field in self.fields(sobject).items():
            for value in field.get("picklistValues") or ():
                if value.get("active") and value.get("defaultValue"):
                    defaults[name] = str(value["value"])
                    break
        return defaults

    def field_infos(self, sobject: str) -> list[FieldInfo]:
        """The object's fields as :class:`FieldInfo`, with active picklist values."""
        return [
            FieldInfo(
                name=name,
                type=str(field["type"]),
                writable=bool(field["updateable"] or field["createable"]),
                picklist=_picklist(field),
                restricted=bool(field.get("restrictedPicklist")),
                max_length=int(field.get("length") or 0) or None
                if field["type"] in _TEXT_TYPES
                else None,
            )
            for name, field in self.fields(sobject).items()
        ]


def _picklist(field: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(v["value"]) for v in field.get("picklistValues") or () if v.get("active"))


def missing_fields(describer: Describer, settings: SalesforceSettings) -> list[str]:
    """What to create in Setup so every field in ``settings.fields`` exists on Lead and Contact."""
    wanted = settings.fields.by_canonical()
    messages = []
    for sobject in PEOPLE:
        missing = [
            (name, field_kind(canonical))
            for canonical, name in wanted.items()
            if describer.find(sobject, name) is None
        ]
        external = settings.external_id_field
        if sobject == "Lead" and external:
            found = describer.find(sobject, external)
            if found is None:
                missing.append((external, "Text(255), Unique, External ID"))
            elif not found.get("externalId"):
                messages.append(
                    f"Lead.{external} (external_id_field) is not marked External ID; "
                    "edit the field in Setup and tick External ID and Unique"
                )
        if missing:
            messages.append(setup_advice(sobject, missing))
    return messages


def mapping_problems(describer: Describer, mapping: Mapping) -> list[str]:
    """Mapped Lead fields that do not exist or cannot be written, and value-map values that
    are not among a picklist's active values (on Lead, and on Contact where it has the field).
    """
    problems = []
    for canonical, field_map in mapping.active_lead_fields().items():
        where = f"lead_fields.{canonical}"
        lead_field = describer.find("Lead", field_map.field)
        if lead_field is None:
            problems.append(
                f"{where}: Lead has no field {field_map.field!r}; create it in Setup "
                f"({field_kind(canonical)}) or map another field"
            )
            continue
        if field_map.writes and not (lead_field["updateable"] or lead_field["createable"]):
            problems.append(
                f"{where}: Lead.{lead_field['name']} is read-only in Salesforce; "
                "map it with direction: read"
            )
        for sobject in PEOPLE:
            found = lead_field if sobject == "Lead" else describer.find(sobject, field_map.field)
            if found is None or found["type"] not in _PICKLISTS or not field_map.values:
                continue
            allowed = _picklist(found)
            unknown = sorted(set(field_map.values.values()) - set(allowed))
            if unknown:
                problems.append(
                    f"{where}: {', '.join(map(repr, unknown))} not among the active values of "
                    f"{sobject}.{found['name']} ({', '.join(allowed)}); add them to the "
                    "picklist in Setup or change the mapped values"
                )
    return problems
