"""Reading people (Leads, Contacts) and deletions changed since a cursor.

Each object is queried with every field, ordered by ``SystemModstamp, Id``, one batch per
query page (``nextRecordsUrl``); each batch carries the cursor after its last record.
Leads come first, then (with ``read_contacts``) Contacts. A converted Lead is presented
as its Contact (see :mod:`~funnelsync.plugins.salesforce.records`), and a Contact is
presented once per read however it was reached.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from simple_salesforce.api import Salesforce

from funnelsync.connector import ReadBatch, SystemRecord
from funnelsync.plugins.salesforce import cursors, soql
from funnelsync.plugins.salesforce.api import SalesforceApi
from funnelsync.plugins.salesforce.describe import PEOPLE, Describer
from funnelsync.plugins.salesforce.records import (
    ACCOUNT_FIELDS,
    contact_record,
    lead_record,
    tombstone,
)
from funnelsync.plugins.salesforce.settings import SalesforceSettings

Row = dict[str, Any]
_CONVERTED_LEAD_FIELDS = ("Id", "Status", "CreatedDate", "ConvertedContactId")
_TOMBSTONE_FIELDS = ("Id", "Email", "MasterRecordId", "SystemModstamp")


def pages(api: SalesforceApi, query: str, *, deleted: bool = False) -> Iterator[list[Row]]:
    """The rows of ``query`` page by page (``queryAll`` when ``deleted``)."""
    result = api.call("read", lambda sf: sf.query(query, include_deleted=deleted))
    while True:
        yield list(result["records"])
        if result["done"]:
            return
        result = api.call("read", partial(_more, url=str(result["nextRecordsUrl"])))


def _more(sf: Salesforce, url: str) -> Any:
    return sf.query_more(url, identifier_is_url=True)


def _rows(api: SalesforceApi, queries: Iterator[str]) -> list[Row]:
    return [row for query in queries for page in pages(api, query) for row in page]


class PeopleReader:
    """Reads the people of one org for one :meth:`read` (it remembers who it presented)."""

    def __init__(self, api: SalesforceApi, describer: Describer, settings: SalesforceSettings):
        self.api = api
        self.describer = describer
        self.settings = settings
        self._presented: set[str] = set()

    def _contact_fields(self) -> list[str]:
        fields = self.describer.selectable("Contact")
        has_account = self.describer.find("Contact", "AccountId") is not None
        return [*fields, *ACCOUNT_FIELDS] if has_account else fields

    def read(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Leads, then Contacts if configured, changed since ``cursor``."""
        positions = cursors.decode(cursor)
        streams = PEOPLE if self.settings.read_contacts else PEOPLE[:1]
        for sobject in streams:
            fields = (
                self.describer.selectable(sobject) if sobject == "Lead" else self._contact_fields()
            )
            query = soql.changed(sobject, fields, positions.get(sobject))
            for page in pages(self.api, query):
                fresh = cursors.fresh_rows(positions, sobject, page)
                records = self._leads(fresh) if sobject == "Lead" else self._contacts(fresh)
                yield ReadBatch(records=records, cursor=cursors.encode(positions))

    def _leads(self, page: Sequence[Row]) -> list[SystemRecord]:
        instance = self.api.instance_url
        converted = {
            str(row["ConvertedContactId"]): row
            for row in page
            if row.get("IsConverted") and row.get("ConvertedContactId")
        }
        contacts = self._contacts_by_id(list(converted))
        records = []
        for row in page:
            contact_id = row.get("ConvertedContactId")
            if not row.get("IsConverted"):
                records.append(lead_record(row, instance))
            elif contact_id in contacts and contact_id not in self._presented:
                self._presented.add(str(contact_id))
                records.append(contact_record(contacts[str(contact_id)], row, instance))
        return records

    def _contacts(self, page: Sequence[Row]) -> list[SystemRecord]:
        fresh = [row for row in page if row["Id"] not in self._presented]
        leads = self._converted_leads_of([str(row["Id"]) for row in fresh])
        instance = self.api.instance_url
        self._presented.update(str(row["Id"]) for row in fresh)
        return [contact_record(row, leads.get(str(row["Id"])), instance) for row in fresh]

    def _contacts_by_id(self, ids: list[str]) -> dict[str, Row]:
        if not ids:
            return {}
        queries = soql.matching("Contact", self._contact_fields(), "Id", ids)
        return {str(row["Id"]): row for row in _rows(self.api, queries)}

    def _converted_leads_of(self, contact_ids: list[str]) -> dict[str, Row]:
        if not contact_ids:
            return {}
        queries = soql.matching(
            "Lead", _CONVERTED_LEAD_FIELDS, "ConvertedContactId", contact_ids, "IsConverted = true"
        )
        return {str(row["ConvertedContactId"]): row for row in _rows(self.api, queries)}


def read_deletions(api: SalesforceApi, cursor: str | None) -> Iterator[ReadBatch]:
    """Leads and Contacts deleted since ``cursor`` (``queryAll`` with ``IsDeleted = true``;
    Salesforce keeps them about 15 days in the recycle bin), as tombstones."""
    positions = cursors.decode(cursor)
    for sobject in PEOPLE:
        query = soql.changed(sobject, _TOMBSTONE_FIELDS, positions.get(sobject), "IsDeleted = true")
        for page in pages(api, query, deleted=True):
            fresh = cursors.fresh_rows(positions, sobject, page)
            records = [tombstone(row, sobject, api.instance_url) for row in fresh]
            yield ReadBatch(records=records, cursor=cursors.encode(positions))
