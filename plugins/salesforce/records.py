"""How Salesforce rows are presented to the engine as :class:`SystemRecord` objects.

Every person is one record with Lead field names, so one mapping reads them all:

- an open **Lead**: its fields as queried;
- a **Contact** (the Contact of a converted Lead, or any Contact with ``read_contacts``):
  its own fields, plus Lead-named aliases — ``Company``, ``Industry`` and
  ``NumberOfEmployees`` from its Account, ``Street``… ``Country`` from its mailing
  address — and, when a Lead was converted into it, that Lead's ``Status`` and
  ``CreatedDate``, ``IsConverted = True`` and ``ConvertedLeadId``. The record id is the
  Contact's, so writes go to the Contact.

Values are as Salesforce returns them, except that the ``attributes`` entry and nested
objects (relationships, compound addresses) are dropped and whole-number floats (Salesforce
sends a Number(18, 0) as ``42.0``) become ints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from funnelsync.connector import SystemRecord

CONTACT_ALIASES = {
    "Street": "MailingStreet",
    "City": "MailingCity",
    "State": "MailingState",
    "PostalCode": "MailingPostalCode",
    "Country": "MailingCountry",
}
"""Lead field → the Contact field holding the same thing (used both ways)."""
ACCOUNT_ALIASES = {
    "Company": "Name",
    "Industry": "Industry",
    "NumberOfEmployees": "NumberOfEmployees",
}
"""Lead field → the field of the Contact's Account it is read from."""
ACCOUNT_FIELDS = tuple(f"Account.{name}" for name in ACCOUNT_ALIASES.values())


def clean(row: Mapping[str, Any]) -> dict[str, Any]:
    """A query row's own values, without ``attributes`` and nested objects."""
    fields: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        fields[name] = value
    return fields


def record_url(instance_url: str, sobject: str, record_id: str) -> str:
    """The record's page in Lightning, for people to open."""
    return f"{instance_url}/lightning/r/{sobject}/{record_id}/view"


def lead_record(row: Mapping[str, Any], instance_url: str) -> SystemRecord:
    """An open lead."""
    record_id = str(row["Id"])
    return SystemRecord(record_id, clean(row), record_url(instance_url, "Lead", record_id))


def contact_record(
    row: Mapping[str, Any], converted_from: Mapping[str, Any] | None, instance_url: str
) -> SystemRecord:
    """A contact, shaped like a lead (see the module docstring)."""
    fields = clean(row)
    account = row.get("Account")
    account_fields = clean(account) if isinstance(account, dict) else {}
    for lead_name, account_name in ACCOUNT_ALIASES.items():
        fields[lead_name] = account_fields.get(account_name)
    for lead_name, contact_name in CONTACT_ALIASES.items():
        fields[lead_name] = fields.get(contact_name)
    fields["IsConverted"] = converted_from is not None
    fields["ConvertedLeadId"] = converted_from["Id"] if converted_from else None
    fields["Status"] = converted_from.get("Status") if converted_from else None
    if converted_from is not None:
        fields["CreatedDate"] = converted_from.get("CreatedDate", fields.get("CreatedDate"))
    record_id = str(row["Id"])
    location = record_url(instance_url, "Contact", record_id)
    if converted_from is not None:
        location += f" (converted from Lead {converted_from['Id']})"
    return SystemRecord(record_id, fields, location)


def tombstone(row: Mapping[str, Any], sobject: str, instance_url: str) -> SystemRecord:
    """A deleted lead or contact: ``Id``, ``Email``, ``MasterRecordId`` (the record it was
    merged into, if any), ``SystemModstamp`` (when) and ``IsDeleted = True``."""
    record_id = str(row["Id"])
    fields = {**clean(row), "IsDeleted": True, "SObject": sobject}
    location = record_url(instance_url, sobject, record_id) + " (deleted)"
    return SystemRecord(record_id, fields, location)
