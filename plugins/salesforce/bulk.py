"""Bulk API 2.0 writes: one ingest job per kind of save, per-record results read back.

Each job goes through simple-salesforce's ``sf.bulk2.<Object>`` (create, upload the CSV,
close, poll every ``bulk_poll_seconds``), then its successful, failed and unprocessed
records are fetched and matched back to the writes: by ``Id`` for updates, by the
external id for upserts, by the whole row for inserts (the results' order is not the
upload's). In the CSV an empty cell leaves a field unchanged and ``#N/A`` clears it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from itertools import groupby
from typing import Any, cast

from simple_salesforce.api import Salesforce
from simple_salesforce.bulk2 import SFBulk2Handler, SFBulk2Type
from simple_salesforce.exceptions import SalesforceOperationError

from funnelsync.connector import WriteStatus
from funnelsync.plugins.salesforce.api import CallFailedError, SalesforceApi
from funnelsync.plugins.salesforce.saves import Results, Save, describe_error
from funnelsync.plugins.salesforce.settings import SalesforceSettings

_NULL = "#N/A"
_FIELDS = re.compile(r"[A-Za-z0-9_,]*")
_REDO = ("UNABLE_TO_LOCK_ROW", "CANNOT_UPDATE_CONVERTED_LEAD")
"""Errors the collections path handles (retry with backoff; write to the Contact)."""

_JobOutput = tuple[str, str, str]
"""A job's successful, failed and unprocessed records, as CSV."""


def _cell(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_error(text: str) -> dict[str, Any]:
    """A failed result's ``sf__Error`` (``CODE:message:Field1,Field2 --``) as an error entry."""
    code, _, rest = text.removesuffix(" --").partition(":")
    message, _, fields = rest.rpartition(":")
    if not message or not _FIELDS.fullmatch(fields):
        message, fields = rest, ""
    return {"statusCode": code, "message": message, "fields": [f for f in fields.split(",") if f]}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class BulkWriter:
    """Saves through Bulk API 2.0 jobs."""

    def __init__(
        self, api: SalesforceApi, settings: SalesforceSettings, prepare: Callable[[Save], Save]
    ) -> None:
        self.api = api
        self.settings = settings
        self.prepare = prepare

    def save(self, saves: list[Save], results: Results) -> list[Save]:
        """Save ``saves``; returns those to redo through sObject Collections (locked rows,
        leads converted meanwhile)."""

        def kind(save: Save) -> tuple[str, str]:
            return save.operation, save.sobject

        redo: list[Save] = []
        for (operation, sobject), group in groupby(sorted(saves, key=kind), key=kind):
            redo += self._job(operation, sobject, list(group), results)
        return redo

    def _key_columns(self, operation: str, columns: list[str]) -> list[str]:
        if operation == "update":
            return ["Id"]
        if operation == "upsert" and self.settings.external_id_field:
            return [self.settings.external_id_field]
        return columns

    def _job(self, operation: str, sobject: str, saves: list[Save], results: Results) -> list[Save]:
        prepared = [self.prepare(save) for save in saves]
        columns = sorted({name for p in prepared for name in p.fields})
        if operation == "update":
            columns = ["Id", *columns]
        rows = []
        for save, p in zip(saves, prepared, strict=True):
            row = {c: _cell(p.fields[c]) if c in p.fields else "" for c in columns}
            if operation == "update":
                row["Id"] = save.record_id or ""
            rows.append(row)
        key_columns = self._key_columns(operation, columns)
        waiting: dict[tuple[str, ...], list[Save]] = {}
        for save, row in zip(saves, rows, strict=True):
            waiting.setdefault(tuple(row[c] for c in key_columns), []).append(save)
        self.api.budget.check()
        try:
            outputs = self.api.call("write", lambda sf: self._run(sf, operation, sobject, rows))
        except (SalesforceOperationError, CallFailedError) as exc:
            results.sent = True
            retry = not isinstance(exc, CallFailedError) or exc.retryable
            status = WriteStatus.retryable if retry else WriteStatus.rejected
            for save in saves:
                results.set(save.index, status, save.record_id, f"Bulk API job failed: {exc}")
            return []
        results.sent = True
        return self._match(outputs, key_columns, waiting, results)

    def _run(
        self, sf: Salesforce, operation: str, sobject: str, rows: list[dict[str, str]]
    ) -> list[_JobOutput]:
        handler = cast(SFBulk2Handler, sf.bulk2)
        target: SFBulk2Type = getattr(handler, sobject)
        wait = self.settings.bulk_poll_seconds
        if operation == "update":
            jobs = target.update(records=rows, wait=wait)
        elif operation == "upsert":
            external = self.settings.external_id_field or "Id"
            jobs = target.upsert(records=rows, external_id_field=external, wait=wait)
        else:
            jobs = target.insert(records=rows, wait=wait)
        outputs = []
        for job in jobs:
            job_id = str(job["job_id"])
            outputs.append(
                (
                    target.get_successful_records(job_id),
                    target.get_failed_records(job_id),
                    target.get_unprocessed_records(job_id),
                )
            )
        return outputs

    def _match(
        self,
        outputs: list[_JobOutput],
        key_columns: list[str],
        waiting: dict[tuple[str, ...], list[Save]],
        results: Results,
    ) -> list[Save]:
        def take(row: dict[str, str]) -> Save | None:
            pending = waiting.get(tuple(row.get(c, "") for c in key_columns))
            return pending.pop(0) if pending else None

        redo = []
        for successful, failed, unprocessed in outputs:
            for row in _rows(successful):
                save = take(row)
                if save is not None:
                    results.set(save.index, WriteStatus.ok, row.get("sf__Id") or save.record_id)
            for row in _rows(failed):
                save = take(row)
                if save is None:
                    continue
                error = parse_error(row.get("sf__Error", ""))
                if error["statusCode"] in _REDO:
                    redo.append(save)
                else:
                    message = describe_error(error)
                    results.set(save.index, WriteStatus.rejected, save.record_id, message)
            for row in _rows(unprocessed):
                save = take(row)
                if save is not None:
                    message = "the Bulk API job did not process it"
                    results.set(save.index, WriteStatus.retryable, save.record_id, message)
        return redo
