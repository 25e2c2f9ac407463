"""Connectors that each break one rule of the conformance kit, and the check that says so.

Each is :class:`MemoryConnector` with one realistic mistake; :data:`BROKEN` maps each to
the one check it must fail (every other check must pass).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from memory_connector import MemoryConnector, Row

from funnelsync import (
    ActivityWrite,
    AuthenticationError,
    Capabilities,
    ConnectorError,
    FieldMapping,
    LeadWrite,
    ReadBatch,
    SystemRecord,
    WriteResult,
    WriteStatus,
)
from funnelsync.mapping import LeadKey

log = logging.getLogger(__name__)


class BareTimeCursor(MemoryConnector):
    """Cursor = the last modification time only, resumed with ``>``: records sharing that
    time on the next page are lost."""

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        size, offset = self.settings.page_size, 0
        while True:
            rows = self.call("read", "page_by_time", cursor, size, offset)
            if not rows:
                return
            offset += len(rows)
            yield ReadBatch([self.record(r) for r in rows], cursor=rows[-1].modified.isoformat())
            if len(rows) < size:
                return


class CursorOneShort(MemoryConnector):
    """Every page but the last carries the cursor of its second-to-last record, so
    resuming there returns that page's last record again."""

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        batches = list(super().read_leads(cursor))
        for batch in batches[:-1]:
            previous = batch.records[-2]
            batch.cursor = json.dumps([previous.fields["updated_at"], previous.record_id])
        yield from batches


class OverlappingPages(MemoryConnector):
    """Each page also carries the next page's first record (an off-by-one page size)."""

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        batches = list(super().read_leads(cursor))
        for batch, following in itertools.pairwise(batches):
            batch.records.append(following.records[0])
        yield from batches


class ClockCursor(MemoryConnector):
    """The last cursor is the time of the read, not of the last record read: a record saved
    with an earlier time after the read is never seen."""

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        batches = list(super().read_leads(cursor))
        if batches:
            batches[-1].cursor = json.dumps([datetime.now(UTC).isoformat(), ""])
        yield from batches


class ResultsByKey(MemoryConnector):
    """Results sorted by key, not in the order of the writes."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        return sorted(super().write_leads(writes), key=lambda result: result.key)


class CreatesEveryTime(MemoryConnector):
    """A write without a record id always creates a record (no look-up by email first)."""

    def upserts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return items


class RetriesRefusals(MemoryConnector):
    """Writes a refused record again, twice, before giving up on it."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        results = super().write_leads(writes)
        for _ in range(2):
            again = [w for w, r in zip(writes, results, strict=True) if r.status == "rejected"]
            if again:
                super().write_leads(again)
        return results


class RefusalsAsRetryable(MemoryConnector):
    """Calls every refused record retryable, so the engine tries it forever."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        return [
            WriteResult(r.key, WriteStatus.retryable, r.record_id, r.message)
            if r.status is WriteStatus.rejected
            else r
            for r in super().write_leads(writes)
        ]


class RateLimitAsRejected(MemoryConnector):
    """Calls a rate limit a rejection, so the engine quarantines good leads."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        return [
            WriteResult(r.key, WriteStatus.rejected, r.record_id, r.message)
            if r.status is WriteStatus.retryable
            else r
            for r in super().write_leads(writes)
        ]


class IgnoresDetour(MemoryConnector):
    """Never forces a backward stage, detour or not."""

    def item(self, write: LeadWrite) -> dict[str, Any]:
        return {**super().item(write), "force": False}


class AcceptsAnyMapping(MemoryConnector):
    """Finds no problem with any mapping."""

    def validate_mapping(self, mapping: FieldMapping) -> list[str]:
        return []


class LogsToken(MemoryConnector):
    """Logs each request with its Authorization header."""

    def call(self, kind: str, method: str, *args: Any) -> Any:
        log.debug("%s with Authorization: Bearer %s", method, self.token)
        return super().call(kind, method, *args)


class TokenInErrors(MemoryConnector):
    """Puts the token it used into the authentication error."""

    def call(self, kind: str, method: str, *args: Any) -> Any:
        try:
            return super().call(kind, method, *args)
        except AuthenticationError:
            raise AuthenticationError(f"token {self.token} was refused") from None


class UncountedWrites(MemoryConnector):
    """Does not count its write requests in ``calls``."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        before = self.calls.write
        results = super().write_leads(writes)
        self.calls.write = before
        return results


class UndeclaredActivities(MemoryConnector):
    """Implements read_activities but does not declare it."""

    capabilities = Capabilities(read_leads=True, write_leads=True, deletes=True)


class DeclaresActivitiesWrite(MemoryConnector):
    """Declares writing activities, which no method serves."""

    capabilities = Capabilities(
        read_leads=True, write_leads=True, read_activities=True, deletes=True, write_activities=True
    )


class ActivitiesFirstPageOnly(MemoryConnector):
    """Reads one page of activities and stops, as if the page were all there is."""

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        yield next(iter(super().read_activities(cursor)), ReadBatch(cursor=cursor))


class ActivityCursorBareTime(MemoryConnector):
    """Activity cursor = the last modification time only, resumed with ``>``: activities
    sharing that time on the next page are lost."""

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        size, offset = self.settings.page_size, 0
        while True:
            rows = self.call("read", "page_by_time", cursor, size, offset, "activities")
            if not rows:
                return
            offset += len(rows)
            records = [self.activity(r) for r in rows]
            yield ReadBatch(records, cursor=rows[-1].modified.isoformat())
            if len(rows) < size:
                return


class ActivitiesByRecordId(MemoryConnector):
    """Puts the system's id of the person's record where the mapping reads the email (the
    WhoId instead of Who.Email)."""

    def activity(self, row: Row) -> SystemRecord:
        record = super().activity(row)
        email = str(record.fields["person_email"])
        found = self.call("read", "find", [email])
        fields = {**record.fields, "person_email": found.get(email.casefold(), email)}
        return SystemRecord(record.record_id, fields, record.location)


class BudgetAsRetryable(MemoryConnector):
    """Answers writes the spent budget leaves no room for as retryable, so the engine
    retries them at once."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        return [
            WriteResult(r.key, WriteStatus.retryable, r.record_id, r.message)
            if r.status is WriteStatus.held
            else r
            for r in super().write_leads(writes)
        ]


class WritesPastTheBudget(MemoryConnector):
    """Never looks at the budget the system reports: keeps sending writes."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        spent, self.system.budget_spent = self.system.budget_spent, False
        try:
            return super().write_leads(writes)
        finally:
            self.system.budget_spent = spent


class CannotFindActivities(MemoryConnector):
    """Writes activities but cannot look up the ones a stopped run wrote."""

    capabilities = Capabilities(
        read_leads=True, write_leads=True, read_activities=True, deletes=True, write_activities=True
    )

    def write_activities(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        return [WriteResult(write.ref, WriteStatus.ok, write.ref) for write in writes]


class ForgetsDeletions(MemoryConnector):
    """Declares deletes but reports none."""

    def read_deletions(self, cursor: str | None) -> Iterator[ReadBatch]:
        yield ReadBatch(cursor=cursor or "0")


class RaisesOnRefusal(MemoryConnector):
    """Raises for the whole batch when the system refuses one record."""

    def result(self, write: LeadWrite, answer: dict[str, Any]) -> WriteResult:
        if "error" in answer:
            raise ConnectorError(answer["error"])
        return super().result(write, answer)


class ActivitiesByLeadKey(MemoryConnector):
    """Keeps the rules: activities name their person by the lead's record id, which the
    default mapping reads as the identity key ``memory_id`` (a ``lead_key``)."""

    default_mapping = MemoryConnector.default_mapping.model_copy(
        update={"lead_key": LeadKey(key="memory_id", field="person_id")}
    )

    def activity(self, row: Row) -> SystemRecord:
        record = super().activity(row)
        email = str(record.fields["person_email"])
        person = self.call("read", "find", [email]).get(email.casefold())
        fields = {"person_id": person, **record.fields}
        return SystemRecord(record.record_id, fields, record.location)


class LeadKeyOfAnotherLead(ActivitiesByLeadKey):
    """Names the person by a record id one past theirs (an off-by-one in a join)."""

    def activity(self, row: Row) -> SystemRecord:
        record = super().activity(row)
        number = int(str(record.fields["person_id"])[1:]) + 1
        fields = {**record.fields, "person_id": f"r{number:05d}"}
        return SystemRecord(record.record_id, fields, record.location)


class AsksTheBudgetEachWrite(MemoryConnector):
    """Makes a request of its own before every write to learn the budget, also once the
    system has said it is spent."""

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        self.call("read", "fields")
        return super().write_leads(writes)


BROKEN: dict[type[MemoryConnector], tuple[str, str]] = {
    BareTimeCursor: ("resumes_from_every_cursor", "lost"),
    CursorOneShort: ("resumes_from_every_cursor", "had already returned"),
    OverlappingPages: ("reads_every_record_once", "more than once"),
    ClockCursor: ("reads_only_what_changed", "changed since the cursor"),
    ResultsByKey: ("one_result_per_write_in_order", "in the order of the writes"),
    CreatesEveryTime: ("writes_are_idempotent", "not create another"),
    RetriesRefusals: ("rejects_what_the_system_refuses", "do not retry"),
    RefusalsAsRetryable: ("rejects_what_the_system_refuses", "WriteStatus.rejected"),
    RaisesOnRefusal: ("rejects_what_the_system_refuses", "raised ConnectorError"),
    RateLimitAsRejected: ("passing_failures_are_retryable", "WriteStatus.retryable"),
    IgnoresDetour: ("detour_writes_move_back", "force it"),
    AcceptsAnyMapping: ("validate_mapping_refuses_unknown_fields", "funnelsync_kit_no_such_field"),
    LogsToken: ("secrets_stay_hidden", "log line"),
    TokenInErrors: ("secrets_stay_hidden", "of refused connector"),
    UncountedWrites: ("calls_are_counted", "calls.write"),
    UndeclaredActivities: ("capabilities_match_methods", "does not declare read_activities"),
    DeclaresActivitiesWrite: ("capabilities_match_methods", "does not implement write_activities"),
    CannotFindActivities: ("capabilities_match_methods", "find_activities"),
    ForgetsDeletions: ("reports_deletions", "did not report"),
    ActivitiesFirstPageOnly: ("reads_every_activity_once", "Page until the system has no more"),
    ActivityCursorBareTime: ("resumes_activities_from_every_cursor", "lost"),
    ActivitiesByRecordId: ("activities_name_their_person", "not a valid email"),
    LeadKeyOfAnotherLead: ("activities_name_their_person", "which is not that lead's"),
    BudgetAsRetryable: ("spent_budget_holds_writes", "not retryable"),
    WritesPastTheBudget: ("spent_budget_holds_writes", "WriteStatus.held"),
    AsksTheBudgetEachWrite: ("spent_budget_holds_writes", "send nothing more"),
}
"""Each broken connector → the one check it must fail, and words its message must say."""
