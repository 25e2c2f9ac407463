"""Reading every connection into canonical leads and activities, quarantining bad records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from funnelsync.connector import Connector, ReadBatch
from funnelsync.mapping import MappingError, read_activity, read_lead
from funnelsync.merge import SourceLead
from funnelsync.models import Activity, normalise_email
from funnelsync.sync.progress import ProgressSink
from funnelsync.sync.workspace import Connection


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record set aside instead of synced, with where it is and why."""

    connection: str
    location: str
    reason: str
    payload: str


@dataclass(slots=True)
class SystemView:
    """What one connection holds: its leads by email, their raw fields, its activities."""

    connection: Connection
    leads: dict[str, SourceLead] = field(default_factory=dict)
    raw_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    unreadable_emails: set[str] = field(default_factory=set)
    """Emails of quarantined lead records: such a person must not be created again here."""
    leads_read: int = 0


def _batches(view: SystemView, batches: Iterator[ReadBatch]) -> Iterator[ReadBatch]:
    for batch in batches:
        for rejected in batch.rejected:
            view.quarantined.append(
                Quarantined(
                    view.connection.name, rejected.location, rejected.reason, rejected.payload
                )
            )
        yield batch


def _payload(fields: Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in dict(fields).items())


def _email_of(connection: Connection, fields: Mapping[str, Any]) -> str | None:
    """The normalised email of a record that failed to map, if it has a valid one."""
    email_map = connection.mapping.active_lead_fields().get("email")
    raw = fields.get(email_map.field) if email_map else None
    try:
        return normalise_email(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def read_system(connection: Connection, connector: Connector, progress: ProgressSink) -> SystemView:
    """Read all leads and activities of one connection (full read; cursors come later)."""
    view = SystemView(connection)
    name = connection.name
    capabilities = connector.capabilities
    if capabilities.read_leads:
        for batch in _batches(view, connector.read_leads(None)):
            for record in batch.records:
                view.leads_read += 1
                try:
                    lead = read_lead(connection.mapping, record.fields)
                except MappingError as exc:
                    view.quarantined.append(
                        Quarantined(name, record.location, str(exc), _payload(record.fields))
                    )
                    email = _email_of(connection, record.fields)
                    if email:
                        view.unreadable_emails.add(email)
                    continue
                earlier = view.leads.get(lead.email)
                if earlier is not None:
                    view.quarantined.append(
                        Quarantined(
                            name,
                            record.location,
                            f"duplicate email {lead.email}: the record at {earlier.location} "
                            "is synced and this one is left as it is",
                            _payload(record.fields),
                        )
                    )
                    continue
                view.leads[lead.email] = SourceLead(name, record.record_id, record.location, lead)
                view.raw_fields[lead.email] = dict(record.fields)
            progress.advance(f"{name}: read leads", len(batch.records) + len(batch.rejected))
    if capabilities.read_activities:
        for batch in _batches(view, connector.read_activities(None)):
            for record in batch.records:
                try:
                    view.activities.append(read_activity(connection.mapping, record.fields))
                except MappingError as exc:
                    view.quarantined.append(
                        Quarantined(name, record.location, str(exc), _payload(record.fields))
                    )
            progress.advance(f"{name}: read activities", len(batch.records) + len(batch.rejected))
    return view
