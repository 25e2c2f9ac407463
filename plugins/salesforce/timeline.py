"""Writing significant activities as completed Tasks, through sObject Collections.

Each entry is one Task: ``Subject``, ``ActivityDate`` (the day it happened, UTC),
``Type`` (``tasks.task_type``/``task_types``), ``Description`` (what happened and its
campaign), ``Status`` Completed, ``WhoId`` the Lead or Contact, and funnelsync's
reference in ``tasks.ref_field``. Up to 200 Tasks a call (``allOrNone`` false).

Per-record errors: ``CANNOT_UPDATE_CONVERTED_LEAD`` (the Lead was converted) → the Task
is sent again on the Lead's Contact; ``UNABLE_TO_LOCK_ROW`` → ``retryable``; any other
→ ``rejected`` with Salesforce's code and message. A failed call is ``retryable`` or
``rejected`` as its error says; a spent API budget → ``held``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelsync.connector import (
    ActivityWrite,
    BudgetExhaustedError,
    WriteResult,
    WriteStatus,
)
from funnelsync.plugins.salesforce import soql
from funnelsync.plugins.salesforce.api import CallFailedError, SalesforceApi
from funnelsync.plugins.salesforce.reading import pages
from funnelsync.plugins.salesforce.saves import describe_error
from funnelsync.plugins.salesforce.settings import TaskSettings

COLLECTION_SIZE = 200
_LOCKED = "UNABLE_TO_LOCK_ROW"
_CONVERTED = "CANNOT_UPDATE_CONVERTED_LEAD"


class TaskWriter:
    """Creates the Tasks of one ``write_activities`` call."""

    def __init__(self, api: SalesforceApi, settings: TaskSettings) -> None:
        self.api = api
        self.settings = settings

    def task(self, write: ActivityWrite, who_id: str) -> dict[str, Any]:
        """The Task record for ``write`` on ``who_id``."""
        record: dict[str, Any] = {
            "attributes": {"type": "Task"},
            "Subject": write.subject[:255],
            "ActivityDate": write.occurred_at.date().isoformat(),
            "Description": write.description,
            "Status": "Completed",
            "WhoId": who_id,
            self.settings.ref_field: write.ref,
        }
        task_type = self.settings.type_of(write.type)
        if task_type:
            record["Type"] = task_type
        return record

    def write(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """One result per write, in order."""
        results: dict[str, WriteResult] = {}
        try:
            for start in range(0, len(writes), COLLECTION_SIZE):
                chunk = writes[start : start + COLLECTION_SIZE]
                self._send([(write, write.record_id) for write in chunk], results)
        except BudgetExhaustedError as exc:
            if not results:
                raise
            for write in writes:
                results.setdefault(
                    write.ref, WriteResult(write.ref, WriteStatus.held, None, str(exc))
                )
        missing = "Salesforce returned no result for it"
        return [
            results.get(write.ref) or WriteResult(write.ref, WriteStatus.retryable, None, missing)
            for write in writes
        ]

    def _send(
        self, chunk: list[tuple[ActivityWrite, str]], results: dict[str, WriteResult]
    ) -> None:
        body = {"allOrNone": False, "records": [self.task(write, who) for write, who in chunk]}
        self.api.budget.check()
        try:
            answer = self.api.call(
                "write", lambda sf: sf.restful("composite/sobjects", method="POST", json=body)
            )
        except CallFailedError as exc:
            status = WriteStatus.retryable if exc.retryable else WriteStatus.rejected
            for write, _ in chunk:
                results[write.ref] = WriteResult(write.ref, status, None, str(exc))
            return
        converted: list[ActivityWrite] = []
        for (write, _), outcome in zip(
            chunk, answer if isinstance(answer, list) else [], strict=False
        ):
            errors = outcome.get("errors") or []
            code = errors[0].get("statusCode") if errors else None
            if outcome.get("success"):
                results[write.ref] = WriteResult(write.ref, WriteStatus.ok, str(outcome["id"]))
            elif code == _CONVERTED:
                converted.append(write)
            else:
                status = WriteStatus.retryable if code == _LOCKED else WriteStatus.rejected
                message = describe_error(errors[0]) if errors else "failed without an error"
                results[write.ref] = WriteResult(write.ref, status, None, message)
        if converted:
            self._to_contacts(converted, results)

    def _to_contacts(self, writes: list[ActivityWrite], results: dict[str, WriteResult]) -> None:
        """Send the Tasks of converted Leads again, on each Lead's Contact."""
        ids = [write.record_id for write in writes]
        contact_of: dict[str, str] = {}
        for query in soql.matching("Lead", ("Id", "ConvertedContactId"), "Id", ids):
            for page in pages(self.api, query):
                for row in page:
                    if row.get("ConvertedContactId"):
                        contact_of[str(row["Id"])] = str(row["ConvertedContactId"])
        again = []
        for write in writes:
            contact = contact_of.get(write.record_id)
            if contact is None:
                message = f"{_CONVERTED}: the lead was converted and its Contact was not found"
                results[write.ref] = WriteResult(write.ref, WriteStatus.rejected, None, message)
            else:
                again.append((write, contact))
        if again:
            self._send(again, results)

    def find(self, refs: Sequence[str]) -> dict[str, str]:
        """Tasks holding these refs: ref → Task Id."""
        field = self.settings.ref_field
        found: dict[str, str] = {}
        for query in soql.matching("Task", ("Id", field), field, list(refs)):
            for page in pages(self.api, query):
                for row in page:
                    if row.get(field):
                        found[str(row[field])] = str(row["Id"])
        return found
