"""A small in-memory system and a connector that follows every rule of the kit.

:class:`MemorySystem` behaves like a vendor API in miniature: token auth, records and
activities ordered by (modification time, id), a forward-only ``stage`` field, a
``lead_status`` picklist it enforces, whole-call rate limiting for locked keys, a deletion
log, a daily API budget it reports as spent or not, and a request count.
:class:`MemoryConnector` is the reference connector the broken ones in
:mod:`broken_connectors` each spoil in one way.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from funnelsync import (
    Activity,
    AuthenticationError,
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    FieldMapping,
    Lead,
    LeadWrite,
    ReadBatch,
    SystemRecord,
    WriteResult,
    WriteStatus,
)
from funnelsync.mapping import FieldMap
from funnelsync.testing import ConformanceTarget

TOKEN = "mem-token-5ecret-0001"
WRONG_TOKEN = "mem-token-wr0ng-0002"
STAGES = ("subscriber", "lead", "mql", "sql", "customer")
STATUSES = ("new", "working", "nurture")
FIELDS = (
    "email", "first_name", "last_name", "company", "title", "stage", "lead_status", "updated_at",
)  # fmt: skip
ACTIVITY_FIELDS = {"email": "person_email", "type": "kind", "occurred_at": "at", "asset": "subject"}
"""Canonical activity field → the memory system's activity field."""
SYSTEMS: dict[str, MemorySystem] = {}
log = logging.getLogger(__name__)


class Refused(Exception):  # noqa: N818 - the system's answer
    """The system's error answer: an HTTP-like status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status


@dataclass
class Row:
    record_id: str
    fields: dict[str, Any]
    modified: datetime


@dataclass
class MemorySystem:
    """The system's state; every method that takes a token is one request."""

    rows: dict[str, Row] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    locked: set[str] = field(default_factory=set)
    activities: dict[str, Row] = field(default_factory=dict)
    budget_spent: bool = False
    """What the system's answers say about the day's API budget (as usage headers do)."""
    requests: int = 0
    clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(minutes=30))

    def register(self) -> str:
        name = uuid.uuid4().hex
        SYSTEMS[name] = self
        return name

    def _request(self, token: str) -> None:
        self.requests += 1
        if token != TOKEN:
            raise Refused(401, "invalid token")

    def seed(self, leads: Sequence[Lead]) -> None:
        for lead in leads:
            values = {"email": lead.email, "first_name": lead.first_name}
            values |= {"last_name": lead.last_name, "company": lead.company}
            record_id = f"r{len(self.rows) + 1:05d}"
            modified = lead.updated_at or self.clock
            self.rows[record_id] = Row(record_id, values, modified)

    def seed_activities(self, leads: Sequence[Lead], activities: Sequence[Activity]) -> None:
        """The leads, then each activity (of one of them, by email) modified when it happened."""
        self.seed(leads)
        ids = {str(row.fields["email"]): row.record_id for row in self.rows.values()}
        for activity in activities:
            assert activity.email in ids, "an activity of a lead the system lacks"
            record_id = f"a{len(self.activities) + 1:05d}"
            values = {"person_email": activity.email, "kind": activity.type}
            values |= {"at": activity.occurred_at.isoformat(), "subject": activity.asset}
            self.activities[record_id] = Row(record_id, values, activity.occurred_at)

    def page(
        self, token: str, after: tuple[str, str] | None, limit: int, table: str = "rows"
    ) -> list[Row]:
        self._request(token)
        rows: dict[str, Row] = getattr(self, table)
        ordered = sorted(rows.values(), key=lambda row: (row.modified, row.record_id))
        if after is not None:
            ordered = [r for r in ordered if (r.modified.isoformat(), r.record_id) > after]
        return ordered[:limit]

    def page_by_time(
        self, token: str, after: str | None, limit: int, offset: int, table: str = "rows"
    ) -> list[Row]:
        """Rows modified after a time (no id), for connectors with bare-time cursors."""
        self._request(token)
        rows: dict[str, Row] = getattr(self, table)
        ordered = sorted(rows.values(), key=lambda row: (row.modified, row.record_id))
        if after is not None:
            ordered = [r for r in ordered if r.modified.isoformat() > after]
        return ordered[offset : offset + limit]

    def deletions(self, token: str, after: int) -> list[str]:
        self._request(token)
        return self.deleted[after:]

    def delete(self, ids: Sequence[str]) -> None:
        for record_id in ids:
            del self.rows[record_id]
            self.deleted.append(record_id)

    def fields(self, token: str) -> list[str]:
        self._request(token)
        return list(FIELDS)

    def upsert(self, token: str, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Save each item ``{id, key, fields, force}`` (no id: create); one answer each.

        A locked key fails the whole call (429). A record is refused (400) for an unknown
        field, a status outside :data:`STATUSES`, or a backward stage without ``force``.
        """
        self._request(token)
        if any(item["key"] in self.locked for item in items):
            raise Refused(429, "rate limited, retry later")
        return [self._save(item) for item in items]

    def _save(self, item: dict[str, Any]) -> dict[str, Any]:
        fields = item["fields"]
        if unknown := sorted(set(fields) - set(FIELDS)):
            return {"error": f"PROPERTY_DOESNT_EXIST: {', '.join(unknown)}"}
        if "lead_status" in fields and fields["lead_status"] not in STATUSES:
            return {"error": f"INVALID_OPTION: {fields['lead_status']!r} is no lead status"}
        row = self.rows.get(item["id"]) if item["id"] else None
        if row is not None and not item["force"] and "stage" in fields:
            now, new = row.fields.get("stage"), fields["stage"]
            if now in STAGES and new in STAGES and STAGES.index(new) < STAGES.index(now):
                return {"error": f"STAGE_BACKWARD: {now} to {new}"}
        self.clock += timedelta(milliseconds=1)
        if row is None:
            row = Row(f"r{len(self.rows) + 1:05d}", {}, self.clock)
            self.rows[row.record_id] = row
        row.fields.update(fields)
        row.modified = self.clock
        return {"id": row.record_id}

    def find(self, token: str, emails: Sequence[str]) -> dict[str, str]:
        """The id of the record holding each email (case-insensitive), where one does."""
        self._request(token)
        wanted = {email.casefold() for email in emails}
        return {
            str(row.fields["email"]).casefold(): row.record_id
            for row in self.rows.values()
            if str(row.fields.get("email", "")).casefold() in wanted
        }


class MemorySettings(ConnectorSettings):
    system: str
    token: SecretStr
    page_size: int = 5


class MemoryConnector(Connector):
    """A connector that follows every rule the conformance kit checks."""

    name = "memory"
    settings_model = MemorySettings
    capabilities = Capabilities(
        read_leads=True, write_leads=True, read_activities=True, deletes=True
    )
    default_mapping = FieldMapping(
        lead_fields={name: FieldMap(field=name) for name in FIELDS},
        activity_fields={name: FieldMap(field=f) for name, f in ACTIVITY_FIELDS.items()},
    )
    settings: MemorySettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        assert isinstance(settings, MemorySettings)
        super().__init__(settings, context)
        self.system = SYSTEMS[settings.system]

    @property
    def token(self) -> str:
        return self.settings.token.get_secret_value()

    def call(self, kind: str, method: str, *args: Any) -> Any:
        """One request to the system, counted; a refused token is an AuthenticationError."""
        setattr(self.calls, kind, getattr(self.calls, kind) + 1)
        log.debug("calling %s", method)
        try:
            return getattr(self.system, method)(self.token, *args)
        except Refused as exc:
            if exc.status == 401:
                raise AuthenticationError("the memory system refused the token") from None
            raise

    def check(self) -> CheckResult:
        try:
            self.call("read", "fields")
        except ConnectorError as exc:
            return CheckResult(False, (str(exc),))
        return CheckResult(True, ("token accepted",))

    def describe_fields(self) -> list[FieldInfo]:
        return [FieldInfo(name, "string") for name in self.call("read", "fields")]

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        after = tuple(json.loads(cursor)) if cursor else None
        while True:
            rows = self.call("read", "page", after, self.settings.page_size)
            if not rows:
                return
            after = (rows[-1].modified.isoformat(), rows[-1].record_id)
            yield ReadBatch([self.record(row) for row in rows], cursor=json.dumps(after))
            if len(rows) < self.settings.page_size:
                return

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        after = tuple(json.loads(cursor)) if cursor else None
        while True:
            rows = self.call("read", "page", after, self.settings.page_size, "activities")
            if not rows:
                return
            after = (rows[-1].modified.isoformat(), rows[-1].record_id)
            records = [self.activity(row) for row in rows]
            yield ReadBatch(records, cursor=json.dumps(after))
            if len(rows) < self.settings.page_size:
                return

    def activity(self, row: Row) -> SystemRecord:
        return SystemRecord(row.record_id, dict(row.fields), f"memory activity {row.record_id}")

    def record(self, row: Row) -> SystemRecord:
        fields = {**row.fields, "updated_at": row.modified.isoformat()}
        return SystemRecord(row.record_id, fields, f"memory {row.record_id}")

    def read_deletions(self, cursor: str | None) -> Iterator[ReadBatch]:
        start = int(cursor or 0)
        ids = self.call("read", "deletions", start)
        records = [SystemRecord(i, {}, f"memory {i}") for i in ids]
        yield ReadBatch(records, cursor=str(start + len(ids)))

    def validate_mapping(self, mapping: FieldMapping) -> list[str]:
        known = set(self.call("read", "fields"))
        return [
            f"{field_map.field} ({canonical}) does not exist in the memory system"
            for canonical, field_map in mapping.active_lead_fields().items()
            if field_map.field not in known
        ]

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        if self.system.budget_spent:
            message = "the day's API budget is spent; written next run"
            return [WriteResult(w.key, WriteStatus.held, message=message) for w in writes]
        items = self.upserts([self.item(write) for write in writes])
        try:
            answers = self.call("write", "upsert", items)
        except Refused as exc:
            if exc.status != 429:
                raise ConnectorError(str(exc)) from None
            return [WriteResult(w.key, WriteStatus.retryable, message=str(exc)) for w in writes]
        return [self.result(w, answer) for w, answer in zip(writes, answers, strict=True)]

    def upserts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Give each create the id of the record already holding its email, if any."""
        creates = [item["key"] for item in items if item["id"] is None]
        found = self.call("read", "find", creates) if creates else {}
        for item in items:
            item["id"] = item["id"] or found.get(item["key"].casefold())
        return items

    def item(self, write: LeadWrite) -> dict[str, Any]:
        return {
            "id": write.record_id,
            "key": write.key,
            "fields": dict(write.fields),
            "force": write.detour,
        }

    def result(self, write: LeadWrite, answer: dict[str, Any]) -> WriteResult:
        if "error" in answer:
            return WriteResult(write.key, WriteStatus.rejected, message=answer["error"])
        return WriteResult(write.key, WriteStatus.ok, record_id=answer["id"])


def memory_target(kind: type[MemoryConnector], workspace: Path) -> ConformanceTarget:
    """A target for ``kind`` on a new :class:`MemorySystem`, with every optional part."""
    system = MemorySystem()
    name = system.register()

    def make(token: str = TOKEN) -> MemoryConnector:
        settings = MemorySettings.model_validate({"system": name, "token": token})
        return kind(settings, ConnectorContext("kit", workspace))

    @contextmanager
    def busy(writes: Sequence[LeadWrite]) -> Iterator[None]:
        keys = {write.key for write in writes}
        system.locked |= keys
        try:
            yield
        finally:
            system.locked -= keys

    @contextmanager
    def spend_budget() -> Iterator[None]:
        system.budget_spent = True
        try:
            yield
        finally:
            system.budget_spent = False

    return ConformanceTarget(
        make_connector=make,
        seed=system.seed,
        seed_activities=system.seed_activities,
        spend_budget=spend_budget,
        page_size=5,
        secrets=(TOKEN, WRONG_TOKEN),
        refused_connector=lambda: make(WRONG_TOKEN),
        delete=system.delete,
        rejected_fields={"lead_status": "no-such-status"},
        busy=busy,
        detour_values=("sql", "lead"),
        system_requests=lambda: system.requests,
    )
