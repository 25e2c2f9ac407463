"""Reading completed Tasks, Events and campaign responses as activities.

Each activity is one record with the object's own fields plus four the connector adds:

- ``Email``: the person's email (``Who.Email``; a campaign member's own ``Email``);
- ``ActivityType``: the canonical type (table below);
- ``OccurredAt``: when it happened, ISO 8601 in UTC;
- ``Campaign``: the campaign's name (campaign members only).

========================================  ===================
Salesforce                                ``ActivityType``
========================================  ===================
Task, ``TaskSubtype`` Call                ``call``
Task, ``TaskSubtype`` Email / ListEmail   ``sales_email``
Task, other subtypes, ``Type`` Call       ``call``
Task, other subtypes, ``Type`` Email      ``sales_email``
Task, other subtypes, ``Type`` Meeting    ``meeting``
Task, anything else                       ``task``
Event                                     ``meeting``
CampaignMember of a Webinar campaign      ``webinar_attended``
CampaignMember, other campaigns           ``campaign_response``
========================================  ===================

Only closed Tasks, Events and Tasks linked to a person (``WhoId``), and campaign members
who responded (``HasResponded``) are read; not the Tasks funnelsync wrote itself (those
with a value in the Task reference field, when the org has it). A record changed again is
read again, with the same ``Id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from funnelsync.connector import ReadBatch, SystemRecord
from funnelsync.plugins.salesforce import cursors, soql
from funnelsync.plugins.salesforce.api import SalesforceApi
from funnelsync.plugins.salesforce.reading import pages
from funnelsync.plugins.salesforce.records import clean, record_url

_TASK_TYPES = {"Call": "call", "Email": "sales_email", "ListEmail": "sales_email"}
_TYPE_FIELD = {"Call": "call", "Email": "sales_email", "Meeting": "meeting"}


@dataclass(frozen=True, slots=True)
class _Stream:
    sobject: str
    fields: tuple[str, ...]
    conditions: tuple[str, ...]
    when: tuple[str, ...]
    """Fields giving when it happened, first non-empty wins."""


_STREAMS = (
    _Stream(
        "Task",
        (
            *("Id", "WhoId", "Who.Email", "Subject", "TaskSubtype", "Type", "ActivityDate"),
            *("CompletedDateTime", "CreatedDate", "SystemModstamp"),
        ),
        ("IsClosed = true", "WhoId != null"),
        ("CompletedDateTime", "ActivityDate", "CreatedDate"),
    ),
    _Stream(
        "Event",
        (
            *("Id", "WhoId", "Who.Email", "Subject", "EventSubtype", "Type", "StartDateTime"),
            *("ActivityDateTime", "CreatedDate", "SystemModstamp"),
        ),
        ("WhoId != null",),
        ("StartDateTime", "ActivityDateTime", "CreatedDate"),
    ),
    _Stream(
        "CampaignMember",
        (
            *("Id", "LeadId", "ContactId", "Email", "Status", "HasResponded"),
            *("FirstRespondedDate", "CampaignId", "Campaign.Name", "Campaign.Type"),
            *("CreatedDate", "SystemModstamp"),
        ),
        ("HasResponded = true",),
        ("FirstRespondedDate", "CreatedDate"),
    ),
)


def activity_type(sobject: str, row: Mapping[str, Any]) -> str:
    """The canonical activity type of a Task, Event or CampaignMember row."""
    if sobject == "Event":
        return "meeting"
    if sobject == "CampaignMember":
        campaign = row.get("Campaign") or {}
        return "webinar_attended" if campaign.get("Type") == "Webinar" else "campaign_response"
    subtype = _TASK_TYPES.get(str(row.get("TaskSubtype")))
    return subtype or _TYPE_FIELD.get(str(row.get("Type")), "task")


def _occurred_at(stream: _Stream, row: Mapping[str, Any]) -> str | None:
    for name in stream.when:
        value = row.get(name)
        if isinstance(value, str) and value:
            if len(value) == 10:
                return datetime.combine(
                    date.fromisoformat(value), datetime.min.time(), UTC
                ).isoformat()
            return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    return None


def _record(stream: _Stream, row: Mapping[str, Any], instance_url: str) -> SystemRecord:
    fields = clean(row)
    who = row.get("Who") or {}
    campaign = row.get("Campaign") or {}
    fields["Email"] = row.get("Email") if stream.sobject == "CampaignMember" else who.get("Email")
    fields["ActivityType"] = activity_type(stream.sobject, row)
    fields["OccurredAt"] = _occurred_at(stream, row)
    fields["Campaign"] = campaign.get("Name")
    record_id = str(row["Id"])
    return SystemRecord(record_id, fields, record_url(instance_url, stream.sobject, record_id))


def read_activities(
    api: SalesforceApi, cursor: str | None, own_ref_field: str | None = None
) -> Iterator[ReadBatch]:
    """Tasks, then Events, then campaign responses changed since ``cursor``. With
    ``own_ref_field``, Tasks holding a value there (funnelsync's own timeline entries)
    are left out."""
    positions = cursors.decode(cursor)
    for stream in _STREAMS:
        conditions = stream.conditions
        if stream.sobject == "Task" and own_ref_field:
            conditions = (*conditions, f"{own_ref_field} = null")
        query = soql.changed(
            stream.sobject, stream.fields, positions.get(stream.sobject), *conditions
        )
        for page in pages(api, query):
            fresh = cursors.fresh_rows(positions, stream.sobject, page)
            records = [_record(stream, row, api.instance_url) for row in fresh]
            yield ReadBatch(records=records, cursor=cursors.encode(positions))
