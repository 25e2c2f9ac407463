"""Reading activities: engagement objects and the contacts' own activity properties.

Engagements (calls, meetings, emails, notes) changed since the cursor are searched like
contacts (notes funnelsync wrote itself, with a value in ``note_ref_property``, are left
out); each page's contacts come from one associations v4 batch read, and their
emails from contact batch reads (cached for the read). An engagement gives one activity
per associated contact that has an email; engagements without one are skipped. The
contact properties ``recent_conversion_date`` (last form submission),
``hs_email_last_click_date`` and ``hs_email_last_open_date`` (last marketing email click
and open) give one activity each, with an id that stays the same until the event does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from funnelsync.connector import ReadBatch, SystemRecord
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi
from funnelsync.plugins.hubspot.changes import ChangeReader
from funnelsync.plugins.hubspot.cursors import Position, decode_activities, encode_activities
from funnelsync.plugins.hubspot.times import from_ms, to_ms

ENGAGEMENT_PROPERTIES = {
    "calls": ("hs_timestamp", "hs_call_title"),
    "meetings": ("hs_timestamp", "hs_meeting_title", "hs_meeting_outcome"),
    "emails": ("hs_timestamp", "hs_email_subject", "hs_email_direction"),
    "notes": ("hs_timestamp",),
}
_TITLES = {"calls": "hs_call_title", "meetings": "hs_meeting_title", "emails": "hs_email_subject"}
CONTACT_EVENTS = (
    ("recent_conversion_date", "FORM_SUBMISSION", "recent_conversion_event_name", None),
    ("hs_email_last_click_date", "MARKETING_EMAIL_CLICK", None, "hs_email_last_email_name"),
    ("hs_email_last_open_date", "MARKETING_EMAIL_OPEN", None, "hs_email_last_email_name"),
)
"""(date property, activity type, title property, campaign property)."""
CONTACT_PROPERTIES = (
    "email",
    "recent_conversion_date",
    "recent_conversion_event_name",
    "hs_email_last_click_date",
    "hs_email_last_open_date",
    "hs_email_last_email_name",
)
_READ_BATCH = 100


def engagement_type(kind: str, values: dict[str, Any]) -> str:
    """The activity type token of one engagement."""
    if kind == "meetings":
        outcome = values.get("hs_meeting_outcome")
        return f"MEETING_{outcome}" if outcome in ("NO_SHOW", "CANCELED") else "MEETING"
    if kind == "emails":
        return "INCOMING_EMAIL" if values.get("hs_email_direction") == "INCOMING_EMAIL" else "EMAIL"
    return {"calls": "CALL", "notes": "NOTE"}[kind]


def _iso(text: Any) -> str | None:
    ms = to_ms(text) if isinstance(text, str) else None
    return from_ms(ms).isoformat() if ms is not None else None


def _activity(
    activity_id: str, email: str, kind: str, when: Any, title: Any, campaign: Any, where: str
) -> SystemRecord:
    fields = {
        "activity_id": activity_id,
        "contact_email": email,
        "activity_type": kind,
        "hs_timestamp": _iso(when),
        "title": title,
        "campaign": campaign,
    }
    return SystemRecord(activity_id, fields, where)


class ActivityReader:
    """Activities changed since an activity cursor, one batch per search page."""

    def __init__(
        self,
        api: HubSpotApi,
        engagements: Sequence[str],
        contact_events: bool,
        own_ref_property: str | None = None,
    ) -> None:
        self.api = api
        self.sources = [*engagements, *(["contacts"] if contact_events else [])]
        self.own_ref_property = own_ref_property
        """Notes with a value here are funnelsync's own timeline entries: left out."""
        self._emails: dict[str, str | None] = {}

    def batches(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Every activity changed since ``cursor``; each batch carries the cursor after it."""
        positions: dict[str, Position] = decode_activities(cursor)
        for source in self.sources:
            properties = (
                CONTACT_PROPERTIES if source == "contacts" else ENGAGEMENT_PROPERTIES[source]
            )
            if source == "notes" and self.own_ref_property:
                properties = (*properties, self.own_ref_property)
            reader = ChangeReader(self.api, source, properties)
            for page in reader.pages(positions.get(source)):
                if source == "contacts":
                    records = list(_contact_events(page.records))
                else:
                    records = list(self._engagements(source, page.records))
                if page.position is not None:
                    positions[source] = page.position
                yield ReadBatch(records, cursor=encode_activities(positions) if positions else None)

    def _engagements(self, kind: str, items: list[dict[str, Any]]) -> Iterator[SystemRecord]:
        if not items:
            return
        links = self._contacts_of(kind, [str(item["id"]) for item in items])
        self._load_emails(contact for ids in links.values() for contact in ids)
        for item in items:
            values = item.get("properties") or {}
            if self.own_ref_property and values.get(self.own_ref_property):
                continue  # a note funnelsync wrote (a timeline entry), not engagement
            for contact in links.get(str(item["id"]), []):
                email = self._emails.get(contact)
                if email:
                    yield _activity(
                        f"{kind}:{item['id']}:{contact}",
                        email,
                        engagement_type(kind, values),
                        values.get("hs_timestamp"),
                        values.get(_TITLES.get(kind, "")),
                        None,
                        f"hubspot {kind[:-1]} {item['id']}",
                    )

    def _contacts_of(self, kind: str, ids: list[str]) -> dict[str, list[str]]:
        request = {"inputs": [{"id": engagement} for engagement in ids]}
        body = self.api.call(
            CallKind.read,
            self.api.associations_batch.get_page,
            kind,
            "contacts",
            batch_input_public_fetch_associations_batch_request=request,
        ).body
        links: dict[str, list[str]] = {}
        for result in (body or {}).get("results") or []:
            source = str((result.get("from") or {}).get("id"))
            links[source] = [str(target["toObjectId"]) for target in result.get("to") or []]
        return links

    def _load_emails(self, contacts: Iterable[str]) -> None:
        wanted = sorted({contact for contact in contacts if contact not in self._emails})
        for start in range(0, len(wanted), _READ_BATCH):
            chunk = wanted[start : start + _READ_BATCH]
            request = {
                "inputs": [{"id": contact} for contact in chunk],
                "properties": ["email"],
                "propertiesWithHistory": [],
            }
            body = self.api.call(
                CallKind.read,
                self.api.contacts_batch.read,
                batch_read_input_simple_public_object_id=request,
            ).body
            self._emails.update(dict.fromkeys(chunk))
            for item in (body or {}).get("results") or []:
                self._emails[str(item["id"])] = (item.get("properties") or {}).get("email")


def _contact_events(items: list[dict[str, Any]]) -> Iterator[SystemRecord]:
    for item in items:
        values = item.get("properties") or {}
        email = values.get("email")
        if not email:
            continue
        for date_property, kind, title, campaign in CONTACT_EVENTS:
            when = to_ms(values.get(date_property))
            if when is None:
                continue
            yield _activity(
                f"contact:{item['id']}:{kind}:{when}",
                email,
                kind,
                values.get(date_property),
                values.get(title) if title else None,
                values.get(campaign) if campaign else None,
                f"hubspot contact {item['id']}",
            )
