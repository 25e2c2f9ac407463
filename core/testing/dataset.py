"""The leads the kit puts into a system, and how it finds them again in what it reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from funnelsync.connector import Connector, ReadBatch, SystemRecord
from funnelsync.mapping import FieldMap
from funnelsync.models import Activity, Lead

DOMAIN = "conformance.example.com"


class LeadFactory:
    """Leads with emails unique to one check run, so records of other runs are ignored."""

    def __init__(self, check: str) -> None:
        self.tag = f"kit-{check.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        self.made = 0

    def email(self) -> str:
        """A fresh email of this run."""
        self.made += 1
        return f"{self.tag}-{self.made:04d}@{DOMAIN}"

    def mine(self, email: Any) -> bool:
        """Whether ``email`` is one this factory made."""
        return isinstance(email, str) and email.strip().casefold().startswith(self.tag)

    def leads(self, times: Sequence[datetime]) -> list[Lead]:
        """One lead per time, last modified then."""
        return [
            Lead(
                email=self.email(),
                first_name="Kit",
                last_name=f"Conformance {self.made}",
                company="Conformance Inc",
                created_at=when,
                updated_at=when,
            )
            for when in times
        ]

    def activities(self, leads: Sequence[Lead]) -> list[Activity]:
        """One call per lead, tagged in ``asset``, happening when the lead was last modified."""
        return [
            Activity(
                email=lead.email,
                type="call",
                occurred_at=lead.updated_at or datetime.now(UTC),
                asset=f"{self.tag}-call-{number:04d}",
            )
            for number, lead in enumerate(leads, 1)
        ]


def paged_times(page_size: int | None) -> list[datetime]:
    """Modification times for more than two pages, many sharing one time across a boundary.

    Without a page size, 12 leads; with one, ``2 * page_size + 5``. A run of
    ``page_size // 2 + 4`` leads (at least 4) shares one time, starting 3 before the end
    of the first page, so a cursor that is a bare timestamp loses or repeats records.
    """
    page = page_size or 6
    total = 2 * page + 5 if page_size else 12
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    shared_from, shared_to = page - 3, page - 3 + max(page // 2 + 4, 4)
    times = []
    for index in range(total):
        step = shared_from if shared_from <= index < shared_to else index
        times.append(start + timedelta(seconds=step))
    return times


def later_times(count: int) -> list[datetime]:
    """Times after every :func:`paged_times` time, and still in the past."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return [start + timedelta(seconds=index) for index in range(count)]


def email_field(connector: Connector) -> str:
    """The system field that holds the lead's email, by the connector's default mapping."""
    field_map = connector.default_mapping.active_lead_fields().get("email")
    if field_map is None:
        raise AssertionError(
            f"{type(connector).__name__}.default_mapping maps no 'email' field: map the "
            "system field holding the email, the kit finds its leads by it"
        )
    return field_map.field


def system_field(connector: Connector, canonical: str) -> str | None:
    """The system field the default mapping writes ``canonical`` to, if any."""
    field_map = connector.default_mapping.active_lead_fields().get(canonical)
    return field_map.field if field_map is not None and field_map.writes else None


def records_of(
    batches: Iterable[ReadBatch], factory: LeadFactory, field: str
) -> list[tuple[str, SystemRecord]]:
    """``(email, record)`` for each record of this run, in the order read."""
    found = []
    for batch in batches:
        for record in batch.records:
            email = record.fields.get(field)
            if factory.mine(email):
                found.append((str(email).strip().casefold(), record))
    return found


def asset_field(connector: Connector) -> str:
    """The system field the default mapping reads an activity's ``asset`` from."""
    field_map = connector.default_mapping.active_activity_fields().get("asset")
    if not isinstance(field_map, FieldMap) or not field_map.reads:
        raise AssertionError(
            f"{type(connector).__name__}.default_mapping reads no activity 'asset' field: map "
            "the field holding what an activity was about (subject, title, form); the kit "
            "finds its activities by it"
        )
    return field_map.field


def activities_of(
    batches: Iterable[ReadBatch], factory: LeadFactory, field: str
) -> list[tuple[str, SystemRecord]]:
    """``(tag, record)`` for each activity record of this run, in the order read."""
    found = []
    for batch in batches:
        for record in batch.records:
            tag = record.fields.get(field)
            if factory.mine(tag):
                found.append((str(tag).strip().casefold(), record))
    return found
