"""REST resources: SOQL query with paging, sObject describe, and sObject Collections."""

from __future__ import annotations

import copy
import re
import secrets
from typing import TYPE_CHECKING, Any

from funnelsync.plugins.salesforce.emulator import dml
from funnelsync.plugins.salesforce.emulator.api_errors import ApiError, not_found
from funnelsync.plugins.salesforce.emulator.exchange import Reply, Request, json_reply
from funnelsync.plugins.salesforce.emulator.queries import run_query
from funnelsync.plugins.salesforce.emulator.schema import UnknownObjectError

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import Org

COLLECTION_LIMIT = 200
_BATCH_SIZE = re.compile(r"batchSize=(\d+)")
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header"
)


def query(org: Org, request: Request, version: str, endpoint: str) -> Reply:
    """``GET query/?q=`` (or ``queryAll/``): the first page of the rows."""
    soql = request.params.get("q")
    if not soql:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    rows = run_query(org, soql, include_deleted=endpoint == "queryAll", version=version)
    size = org.query_batch_size
    asked = _BATCH_SIZE.search(request.headers.get("sforce-query-options", ""))
    if asked:
        size = min(max(int(asked.group(1)), 200), 2000)
    locator = "01g" + secrets.token_hex(8).upper()[:15]
    org.locators[locator] = (rows, size)
    return _page(org, locator, 0, version, endpoint)


def query_more(org: Org, version: str, endpoint: str, position: str) -> Reply:
    """``GET query/<locator>-<offset>``: the page a ``nextRecordsUrl`` points at."""
    locator, _, offset = position.rpartition("-")
    if locator not in org.locators or not offset.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(org, locator, int(offset), version, endpoint)


def _page(org: Org, locator: str, offset: int, version: str, endpoint: str) -> Reply:
    rows, size = org.locators[locator]
    end = offset + size
    body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
    if end < len(rows):
        body["nextRecordsUrl"] = f"/services/data/v{version}/{endpoint}/{locator}-{end}"
    else:
        del org.locators[locator]
    body["records"] = rows[offset:end]
    return json_reply(200, body)


def describe(org: Org, version: str, sobject: str) -> Reply:
    """``GET sobjects/{S}/describe``."""
    try:
        return json_reply(200, org.schema(sobject).describe(version))
    except UnknownObjectError:
        raise not_found() from None


def _records(request: Request) -> tuple[list[Any], bool]:
    payload = request.json()
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "records: expected an array of sObjects")
    records = payload["records"]
    if len(records) > COLLECTION_LIMIT:
        message = (
            "record limit reached. cannot submit more than "
            f"{COLLECTION_LIMIT} records into this call"
        )
        raise ApiError(400, "EXCEEDED_ID_LIMIT", message)
    return records, bool(payload.get("allOrNone", False))


def _type_of(record: Any) -> str | None:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    kind = attributes.get("type") if isinstance(attributes, dict) else None
    return kind if isinstance(kind, str) else None


def _save_one(org: Org, record: Any, operation: str, external: tuple[str, str] | None) -> Any:
    kind = _type_of(record)
    if kind is None or kind not in org.schemas or (external and external[0] != kind):
        return dml.SaveOutcome(
            None, errors=[dml.error("INVALID_TYPE", "Must send a concrete entity type.")]
        )
    fields = {key: value for key, value in record.items() if key.casefold() != "id"}
    record_id = next((v for k, v in record.items() if k.casefold() == "id"), None)
    if operation == "create":
        if record_id is not None:
            message = "cannot specify Id in an insert call"
            return dml.SaveOutcome(None, errors=[dml.error("INVALID_FIELD", message, ["Id"])])
        return dml.save(org, kind, fields, None, api=True)
    if operation == "update":
        if not isinstance(record_id, str):
            message = "Id not specified in an update call"
            return dml.SaveOutcome(None, errors=[dml.error("MISSING_ARGUMENT", message, ["Id"])])
        return dml.save(org, kind, fields, record_id, api=True)
    assert external is not None
    return dml.upsert(org, kind, external[1], fields)


def collections(
    org: Org, request: Request, operation: str, external: tuple[str, str] | None
) -> Reply:
    """Create (``POST``), update (``PATCH``) or upsert (``PATCH {S}/{Field}``) ≤ 200 records."""
    if external is not None:
        definition = (
            org.schema(external[0]).find(external[1]) if external[0] in org.schemas else None
        )
        if definition is None or not (definition.external_id or definition.name == "Id"):
            message = (
                f"Field name provided, {external[1]} is not an External ID or indexed field "
                f"for {external[0]}"
            )
            raise ApiError(400, "INVALID_FIELD", message)
    records, all_or_none = _records(request)
    snapshot = copy.deepcopy(org.records) if all_or_none else None
    outcomes = [_save_one(org, record, operation, external) for record in records]
    if snapshot is not None and any(outcome.errors for outcome in outcomes):
        org.records = snapshot
        rolled_back = dml.error("ALL_OR_NONE_OPERATION_ROLLED_BACK", _ROLLED_BACK)
        for outcome in outcomes:
            if not outcome.errors:
                outcome.record_id = None
                outcome.errors = [rolled_back]
    return json_reply(
        200, [outcome.result(external is not None, org.echo_failure_ids) for outcome in outcomes]
    )
