"""Reading what changed in one connection since its cursors, quarantining bad records.

Records quarantined on an earlier run because they could not be mapped are tried again
from their stored payload (the mapping may have been fixed since).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from funnelsync.connector import BudgetExhaustedError, Connector, ReadBatch, RowBatch, SystemRecord
from funnelsync.mapping import MappingError, read_activity, read_lead
from funnelsync.models import key_token, lead_tokens, normalise_email
from funnelsync.sync.engine.activity_row_batches import Tokens, activity_rows_of, takes_rows
from funnelsync.sync.engine.activity_rows import (
    ActivityMapper,
    Engaged,
    MappedActivity,
    NewActivities,
)
from funnelsync.sync.engine.packed import Packed, pack, unpack
from funnelsync.sync.engine.progress import ProgressSink
from funnelsync.sync.state.store import (
    FieldWarning,
    NewQuarantine,
    QuarantineEntry,
    RecordKey,
    StateStore,
)
from funnelsync.sync.workspace.loading import Connection

LEADS = "leads"
ACTIVITIES = "activities"
DELETIONS = "deletions"
_Batch = TypeVar("_Batch", ReadBatch, RowBatch)


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """A lead record read in this run: its raw fields and its identity tokens (one per
    identity key it has, in key order).

    Reading maps each record once, to check it and find its tokens, and keeps only the
    fields (packed): the canonical form is mapped again only if the record's person is
    rebuilt.
    """

    key: RecordKey
    location: str
    packed: Packed
    tokens: tuple[str, ...]

    @property
    def fields(self) -> Mapping[str, Any]:
        """The fields read."""
        return unpack(self.packed)


@dataclass(slots=True)
class ConnectionRead:
    """What one run read from one connection."""

    connection: Connection
    records: list[ReadRecord] = field(default_factory=list)
    activities_read: int = 0
    """Activities read and mapped (they go to :class:`NewActivities`, not here)."""
    echoes: int = 0
    """Activities read back with the id of a timeline entry funnelsync wrote: not counted,
    not stored (they are not engagement)."""
    quarantined: list[NewQuarantine] = field(default_factory=list)
    resolved: list[RecordKey] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    deleted: list[RecordKey] = field(default_factory=list)
    """Records the system reports deleted since the last run."""
    unreadable_keys: set[str] = field(default_factory=set)
    """Identity tokens of lead records that could not be mapped: never create these people
    here."""
    warnings: list[FieldWarning] = field(default_factory=list)
    """Optional values left empty (or ambiguous) in records that were read."""
    leads_read: int = 0
    rows_read: int = 0
    """Rows read from the system in this run (leads, activities, rows it could not parse)."""
    rows_quarantined: int = 0
    """Of ``rows_read``, those quarantined (records retried from the quarantine not counted)."""
    stopped: str | None = None
    """Why reading stopped before the end (the API budget), if it did."""


def _payload(record_id: str, fields: Mapping[str, Any]) -> str:
    return json.dumps({"record_id": record_id, "fields": dict(fields)}, default=str)


def _tokens_of(connection: Connection, fields: Mapping[str, Any], keys: Sequence[str]) -> set[str]:
    """Identity tokens in a record that could not be mapped, read as plainly as possible."""
    tokens: set[str] = set()
    mapped = connection.mapping.active_lead_fields()
    for key in keys:
        field_map = mapped.get(key)
        raw = fields.get(field_map.field) if field_map else None
        if not isinstance(raw, str):
            continue
        try:
            token = key_token(key, normalise_email(raw) if key == "email" else raw)
        except ValueError:
            continue
        if token is not None:
            tokens.add(token)
    return tokens


def _no_key_reason(connection: Connection, keys: Sequence[str]) -> str:
    mapped = connection.mapping.active_lead_fields()
    columns = [f"{mapped[key].field} ({key})" for key in keys if key in mapped]
    return (
        f"no identity key: {', '.join(columns) or ', '.join(keys)} "
        f"{'is' if len(columns) == 1 else 'are all'} blank; a lead needs one of the "
        f"identity keys {', '.join(keys)}"
    )


class _Reader:
    """Reads one connection into a :class:`ConnectionRead`."""

    def __init__(
        self,
        connection: Connection,
        connector: Connector,
        quarantined: Sequence[QuarantineEntry],
        progress: ProgressSink,
        keys: Sequence[str],
        activities: NewActivities,
        echoes: Collection[str],
    ):
        self.keys = keys
        self.activities = activities
        self.echoes = echoes
        self.map_activity = ActivityMapper(connection.mapping)
        self.result = ConnectionRead(connection)
        self.connection = connection
        self.connector = connector
        self.progress = progress
        self.seen: set[str] = set()
        """Record ids handled in this run (read, or retried from quarantine)."""
        self.quarantined = {entry.record_key: entry for entry in quarantined}
        self.quarantined_activities = {
            key.removeprefix("activity:") for key in self.quarantined if key.startswith("activity:")
        }
        """Ids of the activities in ``quarantined``."""
        self.read_locations: set[str] = set()

    def batches(self, stream: str, batches: Iterator[_Batch]) -> Iterator[_Batch]:
        for batch in batches:
            self.result.rows_read += len(batch.rejected)
            self.result.rows_quarantined += len(batch.rejected)
            for rejected in batch.rejected:
                self.result.quarantined.append(
                    NewQuarantine(
                        self.connection.name,
                        rejected.location,
                        "read",
                        rejected.location,
                        rejected.reason,
                        json.dumps({"text": rejected.payload}),
                    )
                )
            if batch.cursor is not None:
                self.result.cursors[stream] = batch.cursor
            yield batch
            read = len(batch.records) if isinstance(batch, ReadBatch) else len(batch.ids)
            self.progress.advance(
                f"{self.connection.name}: read {stream}", read + len(batch.rejected)
            )

    def lead(
        self, record_id: str, location: str, fields: Mapping[str, Any], fresh: bool = True
    ) -> None:
        """Map one lead record; ``fresh`` when it was read from the system in this run."""
        name = self.connection.name
        self.seen.add(record_id)
        self.result.rows_read += fresh
        warnings: list[str] = []
        try:
            lead = read_lead(self.connection.mapping, fields, warnings)
            tokens = tuple(lead_tokens(lead, self.keys))
            if not tokens:
                raise MappingError(_no_key_reason(self.connection, self.keys))
        except MappingError as exc:
            self.result.rows_quarantined += fresh
            self.result.quarantined.append(
                NewQuarantine(
                    name, record_id, "read", location, str(exc), _payload(record_id, fields)
                )
            )
            self.result.unreadable_keys |= _tokens_of(self.connection, fields, self.keys)
            return
        self.result.warnings += [FieldWarning(name, record_id, location, w) for w in warnings]
        self.read_locations.add(location)
        if record_id in self.quarantined:
            self.result.resolved.append((name, record_id))
        self.result.records.append(ReadRecord((name, record_id), location, pack(fields), tokens))

    def activities_of(self, records: Sequence[SystemRecord]) -> None:
        """Map the activities of one batch and hand them to :class:`NewActivities`; those
        that cannot be mapped are quarantined, echoes of funnelsync's own timeline entries
        only counted."""
        name, result, echoes = self.connection.name, self.result, self.echoes
        map_activity, add, activities = self.map_activity, self.activities.add, self.activities
        # A sync stores what it reads: the common activity goes straight to its stored row.
        to_row = map_activity.row if activities.storing and map_activity.plain else None
        result.rows_read += len(records)
        for record in records:
            record_id = record.record_id
            row = None if to_row is None else to_row(name, record_id, record.fields)
            mapped = None
            if row is None:
                mapped = map_activity(record.fields)
                if mapped is None:
                    mapped = self._activity_in_full(record)
                    if mapped is None:
                        continue
            if record_id in self.quarantined_activities:
                result.resolved.append((name, f"activity:{record_id}"))
            if record_id in echoes:
                result.echoes += 1
                continue
            result.activities_read += 1
            if row is not None:
                activities.add_row(row)
            elif mapped is not None:
                add(name, record_id, mapped)

    def _activity_in_full(self, record: SystemRecord) -> MappedActivity | None:
        """The activity through the canonical model, or ``None`` once quarantined."""
        name = self.connection.name
        try:
            activity = read_activity(self.connection.mapping, record.fields)
        except MappingError as exc:
            self.result.rows_quarantined += 1
            self.result.quarantined.append(
                NewQuarantine(
                    name,
                    f"activity:{record.record_id}",
                    "read",
                    record.location,
                    str(exc),
                    _payload(record.record_id, record.fields),
                )
            )
            return None
        engaged = Engaged(activity.type, activity.occurred_at, activity.campaign, activity.asset)
        return MappedActivity(activity.person_key, engaged)


def read_connection(
    connection: Connection,
    connector: Connector,
    store: StateStore,
    quarantined: Sequence[QuarantineEntry],
    progress: ProgressSink,
    keys: Sequence[str] = ("email",),
    activities: NewActivities | None = None,
    echoes: Collection[str] = frozenset(),
) -> ConnectionRead:
    """Read the leads and activities that changed since the stored cursors.

    ``quarantined`` are this connection's quarantine entries, retried here; a lead with
    none of the identity ``keys`` is quarantined. Activities go to ``activities`` as they
    are read (by default held in memory), except ``echoes`` (ids of funnelsync's own
    timeline entries in this system), which are only counted. When the system's API
    budget runs out, what was read so far is returned with ``stopped`` set.
    """
    if activities is None:
        activities = NewActivities(None, hold=True)
    reader = _Reader(connection, connector, quarantined, progress, keys, activities, echoes)
    name = connection.name
    try:
        _read_streams(reader, store)
    except BudgetExhaustedError as exc:
        reader.result.stopped = str(exc)
    activities.flush()
    for entry in reader.quarantined.values():
        if entry.kind != "read" or entry.record_key in reader.seen or entry.parked:
            continue
        if entry.location in reader.read_locations:
            # Another record now sits where this one was (e.g. a fixed CSV row with a new
            # key): the quarantined version is gone from the system.
            reader.result.resolved.append((name, entry.record_key))
            continue
        payload = json.loads(entry.payload)
        if "fields" not in payload or entry.record_key.startswith("activity:"):
            continue
        reader.lead(entry.record_key, entry.location, payload["fields"], fresh=False)
    return reader.result


def _read_streams(reader: _Reader, store: StateStore) -> None:
    """Read each stream the connector has, from its stored cursor."""
    connector, name = reader.connector, reader.connection.name
    if connector.capabilities.read_leads:
        batches = connector.read_leads(store.cursor(name, LEADS))
        for batch in reader.batches(LEADS, batches):
            for record in batch.records:
                reader.result.leads_read += 1
                reader.lead(record.record_id, record.location, record.fields)
    if connector.capabilities.read_activities and takes_rows(reader):
        rows, tokens = connector.read_activity_rows(store.cursor(name, ACTIVITIES)), Tokens()
        for row_batch in reader.batches(ACTIVITIES, rows):
            activity_rows_of(reader, row_batch, tokens)
    elif connector.capabilities.read_activities:
        batches = connector.read_activities(store.cursor(name, ACTIVITIES))
        for batch in reader.batches(ACTIVITIES, batches):
            reader.activities_of(batch.records)
    if connector.capabilities.deletes:
        batches = connector.read_deletions(store.cursor(name, DELETIONS))
        for batch in reader.batches(DELETIONS, batches):
            reader.result.deleted += [(name, record.record_id) for record in batch.records]
