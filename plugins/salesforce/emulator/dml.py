"""Saving records the way Salesforce does: checks in order, per-record errors, side effects.

A save is refused with Salesforce's status codes and messages: ``MALFORMED_ID``,
``ENTITY_IS_DELETED``, an injected error, ``CANNOT_UPDATE_CONVERTED_LEAD``,
``INVALID_FIELD``, ``INVALID_FIELD_FOR_INSERT_UPDATE``,
``INVALID_TYPE_ON_FIELD_IN_RECORD``, ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``,
``INVALID_EMAIL_ADDRESS``, ``STRING_TOO_LONG``, an activity's ``WhoId`` that is not a
live Lead or Contact (``FIELD_INTEGRITY_EXCEPTION``, ``INVALID_CROSS_REFERENCE_KEY``,
``ENTITY_IS_DELETED``, a converted Lead: ``CANNOT_UPDATE_CONVERTED_LEAD``),
``REQUIRED_FIELD_MISSING``,
``DUPLICATE_VALUE``, ``FIELD_CUSTOM_VALIDATION_EXCEPTION``. A successful save moves the
record's ``LastModifiedDate`` and ``SystemModstamp`` to the org's clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from funnelsync.plugins.salesforce.emulator.schema import USER_ID, FieldDef, SObjectSchema
from funnelsync.plugins.salesforce.emulator.values import ValueTypeError, coerce, coerce_cell

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import Org

_CONVERTED_LEAD = "CANNOT_UPDATE_CONVERTED_LEAD"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONVERTED_COPY = {
    "FirstName": "FirstName",
    "LastName": "LastName",
    "Email": "Email",
    "Title": "Title",
    "Phone": "Phone",
    "MobilePhone": "MobilePhone",
    "LeadSource": "LeadSource",
    "Description": "Description",
    "HasOptedOutOfEmail": "HasOptedOutOfEmail",
    "DoNotCall": "DoNotCall",
    "Street": "MailingStreet",
    "City": "MailingCity",
    "State": "MailingState",
    "PostalCode": "MailingPostalCode",
    "Country": "MailingCountry",
}
"""Lead field → Contact field copied on conversion (custom fields: same name on both)."""


def error(
    status_code: str, message: str, fields: tuple[str, ...] | list[str] = ()
) -> dict[str, Any]:
    """One per-record error as sObject Collections return it."""
    return {"statusCode": status_code, "message": message, "fields": list(fields)}


@dataclass(slots=True)
class SaveOutcome:
    """The result of saving one record."""

    record_id: str | None
    created: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    def result(self, upsert: bool = False, failure_id: bool = False) -> dict[str, Any]:
        """The record's entry in a collections response (``created`` for upserts). A failed
        one has no ``id``, as Salesforce documents, unless ``failure_id``."""
        body: dict[str, Any] = {"success": not self.errors}
        if not self.errors or failure_id:
            body = {"id": self.record_id, **body}
        body["errors"] = self.errors
        if upsert:
            body["created"] = self.created
        return body


def _failed(*errors: dict[str, Any], record_id: str | None = None) -> SaveOutcome:
    return SaveOutcome(record_id, errors=list(errors))


def save(
    org: Org,
    sobject: str,
    fields: Mapping[str, Any],
    record_id: str | None,
    *,
    api: bool = False,
    cells: bool = False,
) -> SaveOutcome:
    """Create (``record_id`` None) or update a record.

    ``api`` applies injected errors (the seeding API bypasses them); ``cells`` reads the
    values as Bulk CSV cells.
    """
    schema = org.schema(sobject)
    existing: dict[str, Any] | None = None
    if record_id is not None:
        found = org.find(record_id)
        if found is None or found[0] != schema.name:
            message = f"{schema.name} ID: id value of incorrect type: {record_id}"
            return _failed(error("MALFORMED_ID", message, ["Id"]))
        existing = found[1]
        if existing["IsDeleted"]:
            return _failed(error("ENTITY_IS_DELETED", "entity is deleted"), record_id=record_id)
    if api:
        injected = _take_injected(org, schema, record_id, fields)
        if injected is not None:
            return _failed(injected, record_id=record_id)
    if existing is not None and existing.get("IsConverted"):
        converted = error("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        return _failed(converted, record_id=record_id)
    values, errors = _values(schema, fields, creating=existing is None, cells=cells)
    if errors:
        return _failed(*errors, record_id=record_id)
    merged = {**(existing or _defaults(schema)), **values}
    problem = _who_problem(org, values) or _record_problem(org, schema, merged, record_id)
    if problem is not None:
        return _failed(problem, record_id=record_id)
    created = existing is None
    if existing is None:
        existing = _new_record(org, schema)
    owner = existing.get("OwnerId")
    existing.update(values)
    if not created and existing.get("OwnerId") != owner and "LastTransferDate" in schema.fields:
        existing["LastTransferDate"] = org.now().date()  # the owner changed: a transfer
    derive(org, schema.name, existing)
    touch(org, existing)
    return SaveOutcome(existing["Id"], created)


def upsert(
    org: Org, sobject: str, external_field: str, fields: Mapping[str, Any], *, cells: bool = False
) -> SaveOutcome:
    """Update the record whose ``external_field`` matches, or create one."""
    schema = org.schema(sobject)
    definition = schema.find(external_field)
    value = next((v for k, v in fields.items() if k.casefold() == external_field.casefold()), None)
    if definition is None or value in (None, ""):
        return _failed(error("REQUIRED_FIELD_MISSING", f"Missing value for {external_field}"))
    matches = [
        key
        for key, record in org.table(schema.name).items()
        if not record["IsDeleted"] and _same(record.get(definition.name), value)
    ]
    if len(matches) > 1:
        message = f"more than one record found for external id field: {matches}"
        return _failed(error("DUPLICATE_EXTERNAL_ID", message, [definition.name]))
    return save(org, schema.name, fields, matches[0] if matches else None, api=True, cells=cells)


def _same(stored: Any, given: Any) -> bool:
    if isinstance(stored, str) and isinstance(given, str):
        return stored.casefold() == given.casefold()
    return bool(stored == given)


def _take_injected(
    org: Org, schema: SObjectSchema, record_id: str | None, fields: Mapping[str, Any]
) -> dict[str, Any] | None:
    keys = {record_id} if record_id else set()
    keys |= {
        str(value)
        for name, value in fields.items()
        if isinstance(value, str)
        and (definition := schema.find(name)) is not None
        and (definition.type == "email" or definition.external_id or name == "WhoId")
    }
    for injected in org.injected:
        if injected.times > 0 and injected.match in keys:
            injected.times -= 1
            return error(injected.status_code, injected.message, injected.fields)
    return None


def _values(
    schema: SObjectSchema, fields: Mapping[str, Any], *, creating: bool, cells: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name, raw in fields.items():
        if name in ("attributes", "Id", "id") or (cells and raw == ""):
            continue
        definition = schema.find(name)
        if definition is None:
            message = f"No such column '{name}' on sobject of type {schema.name}"
            errors.append(error("INVALID_FIELD", message, [name]))
            continue
        if not (definition.createable if creating else definition.updateable):
            message = (
                f"Unable to create/update fields: {definition.name}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set."
            )
            errors.append(error("INVALID_FIELD_FOR_INSERT_UPDATE", message, [definition.name]))
            continue
        try:
            value = coerce_cell(definition, raw) if cells else coerce(definition, raw)
        except ValueTypeError as exc:
            errors.append(error("INVALID_TYPE_ON_FIELD_IN_RECORD", str(exc), [definition.name]))
            continue
        problem = _value_problem(definition, value)
        if problem is not None:
            errors.append(problem)
            continue
        values[definition.name] = value
    return values, errors


def _value_problem(definition: FieldDef, value: Any) -> dict[str, Any] | None:
    name = definition.name
    if value is None:
        return None
    if definition.type == "picklist" and definition.restricted and value not in definition.picklist:
        message = f"{name}: bad value for restricted picklist field: {value}"
        return error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, [name])
    if definition.type == "email" and not _EMAIL.fullmatch(value):
        return error("INVALID_EMAIL_ADDRESS", f"{name}: invalid email address: {value}", [name])
    if isinstance(value, str) and definition.length and len(value) > definition.length:
        message = f"{name}: data value too large: {value[:40]} (max length={definition.length})"
        return error("STRING_TOO_LONG", message, [name])
    return None


_WHO_TYPES = {"00Q": "Lead", "003": "Contact"}


def _who_problem(org: Org, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """An activity's ``WhoId`` must name a live Lead or Contact, and not a converted Lead."""
    who = values.get("WhoId")
    if not isinstance(who, str) or not who:
        return None
    if who[:3] not in _WHO_TYPES:
        message = f"Name ID: id value of incorrect type: {who}"
        return error("FIELD_INTEGRITY_EXCEPTION", message, ["WhoId"])
    found = org.find(who)
    if found is None:
        return error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["WhoId"])
    if found[1].get("IsDeleted"):
        return error("ENTITY_IS_DELETED", "entity is deleted", ["WhoId"])
    if found[1].get("IsConverted"):
        return error(_CONVERTED_LEAD, "cannot reference converted lead", ["WhoId"])
    return None


def _record_problem(
    org: Org, schema: SObjectSchema, merged: Mapping[str, Any], record_id: str | None
) -> dict[str, Any] | None:
    missing = [
        f.name for f in schema.fields.values() if f.required and merged.get(f.name) in (None, "")
    ]
    if missing:
        message = f"Required fields are missing: [{', '.join(missing)}]"
        return error("REQUIRED_FIELD_MISSING", message, missing)
    for definition in schema.fields.values():
        value = merged.get(definition.name)
        if not (definition.unique or definition.external_id) or value in (None, ""):
            continue
        for other_id, other in org.table(schema.name).items():
            if (
                other_id != record_id
                and not other["IsDeleted"]
                and _same(other.get(definition.name), value)
            ):
                message = (
                    f"duplicate value found: {definition.name} duplicates value on record "
                    f"with id: {other_id}"
                )
                return error("DUPLICATE_VALUE", message)
    for rule in org.rules:
        if rule.sobject == schema.name and rule.failing(merged):
            fields = [rule.field] if rule.field else []
            return error("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, fields)
    return None


def _defaults(schema: SObjectSchema) -> dict[str, Any]:
    record: dict[str, Any] = {name: None for name in schema.fields}
    for definition in schema.fields.values():
        if definition.type == "boolean" and not definition.nillable:
            record[definition.name] = False
        elif definition.default is not None:
            record[definition.name] = definition.default
    return record


def _new_record(org: Org, schema: SObjectSchema) -> dict[str, Any]:
    now = org.now()
    record = _defaults(schema)
    record.update(
        Id=org.new_id(schema.key_prefix),
        IsDeleted=False,
        CreatedDate=now,
        CreatedById=USER_ID,
        OwnerId=USER_ID,
    )
    org.table(schema.name)[record["Id"]] = record
    return record


def touch(org: Org, record: dict[str, Any]) -> None:
    """Mark ``record`` as modified now."""
    record["LastModifiedDate"] = record["SystemModstamp"] = org.now()
    record["LastModifiedById"] = USER_ID


def delete(org: Org, record: dict[str, Any], master_id: str | None = None) -> None:
    """Move ``record`` to the recycle bin (``master_id``: the record it was merged into)."""
    touch(org, record)
    record["IsDeleted"] = True
    record["MasterRecordId"] = master_id


def derive(org: Org, sobject: str, record: dict[str, Any]) -> None:
    """Recompute the fields Salesforce computes (names, addresses, closed, responded)."""
    if sobject in ("Lead", "Contact"):
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record["LastName"]) if p)
        prefix = "" if sobject == "Lead" else "Mailing"
        parts = ("Street", "City", "State", "PostalCode", "Country")
        address = {p[0].lower() + p[1:]: record.get(prefix + p) for p in parts}
        record["Address" if sobject == "Lead" else "MailingAddress"] = (
            address if any(address.values()) else None
        )
    elif sobject == "Task":
        record["IsClosed"] = record.get("Status") == "Completed"
        if record["IsClosed"] and record.get("CompletedDateTime") is None:
            record["CompletedDateTime"] = org.now()
    elif sobject == "CampaignMember":
        record["HasResponded"] = record.get("Status") == "Responded"
        if record["HasResponded"] and record.get("FirstRespondedDate") is None:
            record["FirstRespondedDate"] = org.now().date()
        person = org.find(record.get("ContactId") or record.get("LeadId") or "")
        record["Email"] = person[1].get("Email") if person else None


def convert_lead(org: Org, lead_id: str, status: str, contact_id: str | None = None) -> str:
    """Convert a lead into a new Account and Contact, or into the existing Contact
    ``contact_id`` (and its Account), which keeps its own values; returns the Contact's Id."""
    found = org.find(lead_id)
    if found is None or found[0] != "Lead" or found[1]["IsDeleted"] or found[1]["IsConverted"]:
        raise LookupError(f"{lead_id} is not a live, unconverted lead")
    lead = found[1]
    if contact_id is None:
        contact = _new_contact(org, lead)
    else:
        existing = org.find(contact_id)
        if existing is None or existing[0] != "Contact" or existing[1]["IsDeleted"]:
            raise LookupError(f"{contact_id} is not a live contact")
        contact = existing[1]
        touch(org, contact)
    lead.update(
        IsConverted=True,
        Status=status,
        ConvertedDate=org.now().date(),
        ConvertedAccountId=contact.get("AccountId"),
        ConvertedContactId=contact["Id"],
    )
    touch(org, lead)
    _reparent_activities(org, lead_id, contact["Id"])
    return str(contact["Id"])


def _new_contact(org: Org, lead: Mapping[str, Any]) -> dict[str, Any]:
    account = _new_record(org, org.schema("Account"))
    account["Name"] = lead.get("Company")
    for name in ("Industry", "NumberOfEmployees", "Website"):
        account[name] = lead.get(name)
    touch(org, account)
    contact_schema = org.schema("Contact")
    contact = _new_record(org, contact_schema)
    copy = {**_CONVERTED_COPY, **{n: n for n in org.schema("Lead").fields if n.endswith("__c")}}
    for lead_field, contact_field in copy.items():
        if contact_field in contact_schema.fields:
            contact[contact_field] = lead.get(lead_field)
    contact["AccountId"] = account["Id"]
    derive(org, "Contact", contact)
    touch(org, contact)
    return contact


def _reparent_activities(org: Org, lead_id: str, contact_id: str) -> None:
    for sobject in ("Task", "Event"):
        for record in org.table(sobject).values():
            if record.get("WhoId") == lead_id:
                record["WhoId"] = contact_id
                touch(org, record)
    for member in org.table("CampaignMember").values():
        if member.get("LeadId") == lead_id:
            member["ContactId"] = contact_id
            touch(org, member)
