"""Writing leads: sObject Collections (≤ 200 records a call, ``allOrNone=false``), or Bulk
API 2.0 above ``bulk_threshold`` records.

- A write with a Lead id updates that Lead; with a Contact id (a converted person) it
  updates the Contact, Lead field names translated (``Country`` → ``MailingCountry``) and
  fields a Contact lacks (``Status``, ``Company``…) left out.
- A write without an id creates a Lead: upserted by ``external_id_field`` (set to the
  write's key) when configured; otherwise a live Lead (or, with ``read_contacts``, a
  Contact) with that email is looked up first and updated instead, so a re-run never
  duplicates. Empty required fields get ``create_defaults``.
- ``CANNOT_UPDATE_CONVERTED_LEAD``: the Lead was converted meanwhile; the write goes to
  its Contact. ``UNABLE_TO_LOCK_ROW``: retried with backoff (``lock_retries`` tries), then
  ``retryable``. Any other per-record error is ``rejected`` with Salesforce's code,
  message and fields.
- The API budget is checked first (before any look-up) and before every write call: if it
  is spent before anything was sent, :class:`BudgetExhaustedError` is raised; after that,
  the writes not yet made come back ``held`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import Any

from funnelsync.connector import BudgetExhaustedError, LeadWrite, WriteResult, WriteStatus
from funnelsync.plugins.salesforce import soql
from funnelsync.plugins.salesforce.api import CallFailedError, SalesforceApi
from funnelsync.plugins.salesforce.bulk import BulkWriter
from funnelsync.plugins.salesforce.describe import Describer
from funnelsync.plugins.salesforce.reading import pages
from funnelsync.plugins.salesforce.records import CONTACT_ALIASES
from funnelsync.plugins.salesforce.saves import (
    CONTACT_PREFIX,
    LEAD_PREFIX,
    Results,
    Save,
    describe_error,
)
from funnelsync.plugins.salesforce.settings import SalesforceSettings
from funnelsync.retry import RetryableError, retrying

COLLECTION_SIZE = 200
_LOCKED = "UNABLE_TO_LOCK_ROW"
_CONVERTED = "CANNOT_UPDATE_CONVERTED_LEAD"


class _LockedError(RetryableError):
    """Some records of a collection call were locked by another transaction."""


class LeadWriter:
    """Saves one batch of lead writes; see the module docstring for the rules."""

    def __init__(
        self,
        api: SalesforceApi,
        describer: Describer,
        settings: SalesforceSettings,
        sleep: Callable[[float], None],
    ) -> None:
        self.api = api
        self.describer = describer
        self.settings = settings
        self.sleep = sleep

    def write(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Save ``writes``; exactly one result each, in the same order."""
        results = Results(writes)
        try:
            self.api.budget.check()  # spent: not even the look-ups below
            saves = self._match_existing(self._plan(writes, results), results)
            if len(saves) > self.settings.bulk_threshold:
                bulk = BulkWriter(self.api, self.settings, self._with_defaults)
                saves = bulk.save(saves, results)
            self._collections(saves, results)
        except BudgetExhaustedError as exc:
            if not results.sent:
                raise
            return results.finish(WriteStatus.held, str(exc))
        return results.finish(WriteStatus.retryable, "Salesforce returned no result for it")

    # --- planning ----------------------------------------------------------------------

    def _plan(self, writes: Sequence[LeadWrite], results: Results) -> list[Save]:
        saves = []
        external = self.settings.external_id_field
        for index, write in enumerate(writes):
            fields = dict(write.fields)
            record_id = write.record_id
            if record_id is None:
                operation = "upsert" if external else "create"
                saves.append(Save(index, write.key, "Lead", operation, None, fields))
            elif record_id.startswith(LEAD_PREFIX):
                saves.append(Save(index, write.key, "Lead", "update", record_id, fields))
            elif record_id.startswith(CONTACT_PREFIX):
                contact = Save(index, write.key, "Contact", "update", record_id, fields)
                saves.extend(self._to_contact(contact, results))
            else:
                message = f"{record_id} is not a Lead (00Q…) or Contact (003…) id"
                results.set(index, WriteStatus.rejected, record_id, message)
        return saves

    def _to_contact(self, save: Save, results: Results) -> list[Save]:
        """``save`` as a Contact update; none if no field is left (then it is ``ok``)."""
        writable = {name.casefold(): name for name in self.describer.writable("Contact")}
        fields: dict[str, Any] = {}
        for name, value in save.fields.items():
            target = writable.get(CONTACT_ALIASES.get(name, name).casefold())
            if target is not None:
                fields[target] = value
        if not fields:
            left_out = ", ".join(sorted(save.fields))
            message = f"nothing to write on the Contact (it has no {left_out})"
            results.set(save.index, WriteStatus.ok, save.record_id, message)
            return []
        return [Save(save.index, save.key, "Contact", "update", save.record_id, fields)]

    def _match_existing(self, saves: list[Save], results: Results) -> list[Save]:
        """Turn creates of people Salesforce already has (same email) into updates."""
        creates = {s.key.casefold(): s for s in saves if s.operation == "create"}
        if not creates:
            return saves
        found: dict[str, tuple[str, str]] = {}
        lead_fields = ("Id", "Email", "IsConverted", "ConvertedContactId")
        for row in self._rows(soql.matching("Lead", lead_fields, "Email", list(creates))):
            email = str(row["Email"]).casefold()
            if row["IsConverted"] and row["ConvertedContactId"]:
                found.setdefault(email, ("Contact", str(row["ConvertedContactId"])))
            elif not row["IsConverted"]:
                found[email] = ("Lead", str(row["Id"]))
        rest = [key for key in creates if key not in found]
        if self.settings.read_contacts and rest:
            for row in self._rows(soql.matching("Contact", ("Id", "Email"), "Email", rest)):
                found.setdefault(str(row["Email"]).casefold(), ("Contact", str(row["Id"])))
        matched = []
        for save in saves:
            target = found.get(save.key.casefold()) if save.operation == "create" else None
            if target is None:
                matched.append(save)
                continue
            sobject, record_id = target
            update = Save(save.index, save.key, sobject, "update", record_id, save.fields)
            matched.extend(self._to_contact(update, results) if sobject == "Contact" else [update])
        return matched

    def _rows(self, queries: Iterator[str]) -> list[dict[str, Any]]:
        return [row for query in queries for page in pages(self.api, query) for row in page]

    def _with_defaults(self, save: Save) -> Save:
        if save.operation == "update":
            return save
        fields = dict(save.fields)
        for name, value in self.settings.create_defaults.items():
            if fields.get(name) in (None, ""):
                fields[name] = value
        if save.operation == "upsert" and self.settings.external_id_field:
            fields[self.settings.external_id_field] = save.key
        return Save(save.index, save.key, save.sobject, save.operation, save.record_id, fields)

    # --- sObject Collections -----------------------------------------------------------

    def _collections(self, saves: list[Save], results: Results) -> None:
        def kind(save: Save) -> tuple[str, str]:
            return save.operation, save.sobject

        for _, group in groupby(sorted(saves, key=kind), key=kind):
            same = list(group)
            for start in range(0, len(same), COLLECTION_SIZE):
                self._save_retrying(same[start : start + COLLECTION_SIZE], results)

    def _save_retrying(self, chunk: list[Save], results: Results) -> None:
        pending = chunk
        try:
            for attempt in retrying(
                attempts=self.settings.lock_retries,
                initial_s=0.5,
                max_wait_s=10,
                on=(_LockedError,),
                sleep=self.sleep,
            ):
                with attempt:
                    pending = self._save_chunk(pending, results)
                    if pending:
                        raise _LockedError(f"{len(pending)} record(s) locked")
        except _LockedError:
            message = (
                f"{_LOCKED}: the record stayed locked by another transaction after "
                f"{self.settings.lock_retries} tries"
            )
            for save in pending:
                results.set(save.index, WriteStatus.retryable, save.record_id, message)

    def _request(self, chunk: list[Save]) -> tuple[str, str, dict[str, Any]]:
        records = []
        for save in chunk:
            prepared = self._with_defaults(save)
            record: dict[str, Any] = {"attributes": {"type": save.sobject}, **prepared.fields}
            if save.operation == "update":
                record["id"] = save.record_id
            records.append(record)
        body = {"allOrNone": False, "records": records}
        operation = chunk[0].operation
        if operation == "upsert":
            path = f"composite/sobjects/{chunk[0].sobject}/{self.settings.external_id_field}"
            return path, "PATCH", body
        return "composite/sobjects", "POST" if operation == "create" else "PATCH", body

    def _save_chunk(self, chunk: list[Save], results: Results) -> list[Save]:
        """One collections call; returns the saves that hit a locked row."""
        path, method, body = self._request(chunk)
        self.api.budget.check()
        try:
            answer = self.api.call("write", lambda sf: sf.restful(path, method=method, json=body))
        except CallFailedError as exc:
            results.sent = True
            status = WriteStatus.retryable if exc.retryable else WriteStatus.rejected
            for save in chunk:
                results.set(save.index, status, save.record_id, str(exc))
            return []
        results.sent = True
        locked: list[Save] = []
        converted: list[Save] = []
        for save, outcome in zip(chunk, answer if isinstance(answer, list) else [], strict=False):
            errors = outcome.get("errors") or []
            if outcome.get("success"):
                results.set(save.index, WriteStatus.ok, str(outcome.get("id")))
            elif errors and errors[0].get("statusCode") == _LOCKED:
                locked.append(save)
            elif errors and errors[0].get("statusCode") == _CONVERTED:
                converted.append(save)
            else:
                message = describe_error(errors[0]) if errors else "failed without an error"
                results.set(save.index, WriteStatus.rejected, save.record_id, message)
        if converted:
            self._collections(self._to_contacts_of_converted(converted, results), results)
        return locked

    def _to_contacts_of_converted(self, saves: list[Save], results: Results) -> list[Save]:
        """Saves aimed at converted leads, redirected to those leads' Contacts."""
        external = self.settings.external_id_field
        by_id = [s.record_id for s in saves if s.record_id]
        by_key = [s.key for s in saves if not s.record_id]
        contact_of: dict[str, str] = {}
        fields = ("Id", "ConvertedContactId", *([external] if external else []))
        queries = [soql.matching("Lead", fields, "Id", by_id)] if by_id else []
        if by_key and external:
            queries.append(soql.matching("Lead", fields, external, by_key))
        for query_set in queries:
            for row in self._rows(query_set):
                contact = row.get("ConvertedContactId")
                if contact:
                    contact_of[str(row["Id"])] = str(contact)
                    if external and row.get(external):
                        contact_of[str(row[external]).casefold()] = str(contact)
        redirected = []
        for save in saves:
            contact_id = contact_of.get(save.record_id or save.key.casefold())
            if contact_id is None:
                message = f"{_CONVERTED}: the lead was converted and its Contact was not found"
                results.set(save.index, WriteStatus.rejected, save.record_id, message)
                continue
            as_contact = Save(save.index, save.key, "Contact", "update", contact_id, save.fields)
            redirected.extend(self._to_contact(as_contact, results))
        return redirected
