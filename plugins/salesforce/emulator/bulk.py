"""Bulk API 2.0 ingest: jobs, one CSV upload each, and per-record CSV results.

States move ``Open`` → (upload, ``PATCH UploadComplete``) → ``InProgress`` →
``JobComplete`` (or ``Aborted``). Records are saved when the upload is closed; the job
then reports ``InProgress`` to the next :attr:`IngestJob.in_progress_polls` job-info
reads, as a real job takes a while. Results come as CSV with every cell quoted:
``sf__Id,sf__Created,<columns>`` for successes, ``sf__Id,sf__Error,<columns>`` for
failures (``CODE:message:fields --``), the uploaded columns for unprocessed records.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from funnelsync.plugins.salesforce.emulator import dml
from funnelsync.plugins.salesforce.emulator.api_errors import ApiError, not_found
from funnelsync.plugins.salesforce.emulator.exchange import Reply, Request, json_reply
from funnelsync.plugins.salesforce.emulator.schema import USER_ID
from funnelsync.plugins.salesforce.emulator.values import format_datetime

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import Org

_OPERATIONS = ("insert", "update", "upsert", "delete")
_DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^"}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_TERMINAL = ("JobComplete", "Aborted", "Failed")


@dataclass(slots=True)
class IngestJob:
    """One ingest job and what happened to its records."""

    id: str
    sobject: str
    operation: str
    external_id_field: str | None
    version: str
    created: datetime
    delimiter: str = "COMMA"
    line_ending: str = "LF"
    state: str = "Open"
    in_progress_polls: int = 1
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    successful: list[tuple[str, bool, dict[str, str]]] = field(default_factory=list)
    failed: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """The JobInfo Salesforce returns for the job."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": USER_ID,
            "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{self.version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
            "numberRecordsProcessed": len(self.successful) + len(self.failed),
            "numberRecordsFailed": len(self.failed),
            "retries": 0,
            "totalProcessingTime": 0,
        }
        if self.external_id_field:
            body["externalIdFieldName"] = self.external_id_field
        return body


def _invalid_job(message: str) -> ApiError:
    return ApiError(400, "INVALIDJOB", f"InvalidJob : {message}")


def create_job(org: Org, request: Request, version: str) -> Reply:
    """``POST jobs/ingest``."""
    spec = request.json()
    if not isinstance(spec, dict):
        raise _invalid_job("the job needs a JSON object")
    sobject, operation = spec.get("object"), spec.get("operation")
    if sobject not in org.schemas:
        raise _invalid_job(f"Unable to find object: {sobject}")
    if operation not in _OPERATIONS:
        raise _invalid_job(f"Invalid operation: {operation}")
    external = spec.get("externalIdFieldName")
    if operation == "upsert" and not external:
        raise _invalid_job("External ID was blank for upsert")
    delimiter = spec.get("columnDelimiter", "COMMA")
    line_ending = spec.get("lineEnding", "LF")
    if delimiter not in _DELIMITERS or line_ending not in _LINE_ENDINGS:
        raise _invalid_job("unsupported columnDelimiter or lineEnding")
    job = IngestJob(
        id=org.new_id("750"),
        sobject=str(sobject),
        operation=str(operation),
        external_id_field=external,
        version=version,
        created=org.now(),
        delimiter=delimiter,
        line_ending=line_ending,
    )
    org.jobs[job.id] = job
    return json_reply(200, job.info())


def _job(org: Org, job_id: str) -> IngestJob:
    job = org.jobs.get(job_id)
    if not isinstance(job, IngestJob):
        raise not_found()
    return job


def _wrong_state(job: IngestJob) -> ApiError:
    return ApiError(409, "INVALIDJOBSTATE", f"Job {job.id} is in state {job.state}")


def upload(org: Org, request: Request, job_id: str) -> Reply:
    """``PUT jobs/ingest/{id}/batches``: the job's CSV data; answers 201."""
    job = _job(org, job_id)
    if job.state != "Open" or job.rows:
        raise _wrong_state(job)
    if not request.headers.get("content-type", "").startswith("text/csv"):
        raise ApiError(415, "INVALIDCONTENTTYPE", "Content-Type must be text/csv")
    text = request.body.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_DELIMITERS[job.delimiter])
    job.columns = next(reader, [])
    job.rows = [dict(zip(job.columns, cells, strict=False)) for cells in reader if cells]
    return Reply(201)


def change_state(org: Org, request: Request, job_id: str) -> Reply:
    """``PATCH jobs/ingest/{id}``: ``UploadComplete`` runs the job, ``Aborted`` stops it."""
    job = _job(org, job_id)
    wanted = (request.json() or {}).get("state")
    if wanted == "UploadComplete" and job.state == "Open":
        _process(org, job)
        job.state = "InProgress"
    elif wanted == "Aborted" and job.state not in _TERMINAL:
        job.unprocessed = job.rows if job.state == "Open" else []
        job.state = "Aborted"
    else:
        raise _wrong_state(job)
    return json_reply(200, job.info())


def job_info(org: Org, job_id: str) -> Reply:
    """``GET jobs/ingest/{id}``."""
    job = _job(org, job_id)
    if job.state == "InProgress":
        if job.in_progress_polls > 0:
            job.in_progress_polls -= 1
        else:
            job.state = "JobComplete"
    return json_reply(200, job.info())


def delete_job(org: Org, job_id: str) -> Reply:
    """``DELETE jobs/ingest/{id}`` (only once the job has ended)."""
    job = _job(org, job_id)
    if job.state not in _TERMINAL:
        raise _wrong_state(job)
    del org.jobs[job_id]
    return Reply(204)


def results(org: Org, job_id: str, kind: str) -> Reply:
    """``GET jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords``.

    simple-salesforce asks for ``unprocessedRecords``; Salesforce accepts both spellings.
    """
    job = _job(org, job_id)
    if job.state not in _TERMINAL:
        raise _wrong_state(job)
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=_DELIMITERS[job.delimiter],
        lineterminator=_LINE_ENDINGS[job.line_ending],
        quoting=csv.QUOTE_ALL,
    )
    if kind == "successfulResults":
        writer.writerow(["sf__Id", "sf__Created", *job.columns])
        for record_id, created, row in job.successful:
            writer.writerow([record_id, str(created).lower(), *_cells(job, row)])
    elif kind == "failedResults":
        writer.writerow(["sf__Id", "sf__Error", *job.columns])
        for record_id, message, row in job.failed:
            writer.writerow([record_id, message, *_cells(job, row)])
    else:
        writer.writerow(job.columns)
        for row in job.unprocessed:
            writer.writerow(_cells(job, row))
    return Reply(200, out.getvalue().encode(), "text/csv")


def _cells(job: IngestJob, row: dict[str, str]) -> list[str]:
    return [row.get(column, "") for column in job.columns]


def _process(org: Org, job: IngestJob) -> None:
    for row in job.rows:
        row_id = row.get("Id") or None
        if job.operation == "delete":
            outcome = _delete(org, job.sobject, row_id)
        elif job.operation == "upsert":
            assert job.external_id_field is not None
            outcome = dml.upsert(org, job.sobject, job.external_id_field, row, cells=True)
        elif job.operation == "update" and row_id is None:
            missing = dml.error("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            outcome = dml.SaveOutcome(None, errors=[missing])
        else:
            outcome = dml.save(org, job.sobject, row, row_id, api=True, cells=True)
        if outcome.errors:
            first = outcome.errors[0]
            message = f"{first['statusCode']}:{first['message']}:{','.join(first['fields'])} --"
            job.failed.append((outcome.record_id or "", message, row))
        else:
            assert outcome.record_id is not None
            job.successful.append((outcome.record_id, outcome.created, row))


def _delete(org: Org, sobject: str, record_id: str | None) -> dml.SaveOutcome:
    found = org.find(record_id) if record_id else None
    if found is None or found[0] != sobject or found[1]["IsDeleted"]:
        return dml.SaveOutcome(
            record_id, errors=[dml.error("ENTITY_IS_DELETED", "entity is deleted")]
        )
    dml.delete(org, found[1])
    return dml.SaveOutcome(record_id)
