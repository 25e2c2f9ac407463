"""Checks of writing: one result per write in order, idempotence, error classes, detours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from funnelsync.connector import Connector, LeadWrite, WriteResult, WriteStatus
from funnelsync.testing.checks import ConformanceFailure, Session, check
from funnelsync.testing.dataset import email_field, records_of, system_field
from funnelsync.testing.writes import new_write, write


def held(session: Session, connector: Connector) -> dict[str, Mapping[str, Any]]:
    """The fields of every lead of this run the system holds, by email (a full read)."""
    found: dict[str, Mapping[str, Any]] = {}
    for email, record in records_of(
        connector.read_leads(None), session.factory, email_field(connector)
    ):
        if email in found:
            raise ConformanceFailure(
                f"the system holds {email} twice after the kit's writes: writes must upsert "
                "by the lead's key, never create a second record."
            )
        found[email] = {"record_id": record.record_id, **record.fields}
    return found


def _failed(results: Sequence[WriteResult]) -> str:
    return "; ".join(f"{r.key}: {r.status} {r.message or ''}" for r in results)


@check(
    "one_result_per_write_in_order",
    "write_leads returns one WriteResult per write, in order",
    "write_leads",
)
def one_result_per_write_in_order(session: Session) -> None:
    """Creates and updates mixed: results line up with the writes and carry record ids."""
    connector = session.connector()
    creates = [new_write(session, connector) for _ in range(3)]
    first = write(connector, creates)
    if any(r.status is not WriteStatus.ok or not r.record_id for r in first):
        raise ConformanceFailure(
            "creating 3 ordinary leads did not give ok results with a record_id: " + _failed(first)
        )
    title = system_field(connector, "title") or system_field(connector, "company")
    assert title is not None
    updates = [
        LeadWrite(w.key, r.record_id, {title: "Updated"})
        for w, r in zip(creates, first, strict=True)
    ][::-1]
    mixed = [updates[0], new_write(session, connector), *updates[1:]]
    results = write(connector, mixed)
    if any(r.status is not WriteStatus.ok for r in results):
        raise ConformanceFailure("updating ordinary leads failed: " + _failed(results))
    changed = [r.record_id for r in results[:1] + results[2:]]
    if changed != [w.record_id for w in updates]:
        raise ConformanceFailure(
            f"updates returned record ids {changed}, expected {[w.record_id for w in updates]}:"
            " an update's result carries the id of the record it updated."
        )


@check(
    "writes_are_idempotent",
    "the same batch written twice changes nothing the second time",
    "write_leads",
    "read_leads",
)
def writes_are_idempotent(session: Session) -> None:
    """Writing the same creates twice leaves one record per lead, with the same values."""
    connector = session.connector()
    batch = [new_write(session, connector) for _ in range(3)]
    first = write(connector, batch)
    if any(r.status is not WriteStatus.ok for r in first):
        raise ConformanceFailure("creating 3 ordinary leads failed: " + _failed(first))
    before = held(session, connector)
    second = write(connector, batch)
    if any(r.status is not WriteStatus.ok for r in second):
        raise ConformanceFailure("writing the same batch again failed: " + _failed(second))
    if [r.record_id for r in second] != [r.record_id for r in first]:
        raise ConformanceFailure(
            f"writing the same batch again gave record ids {[r.record_id for r in second]}, "
            f"the first time {[r.record_id for r in first]}: a write without a record_id must "
            "find the lead by its key (email) and update it, not create another."
        )
    after = held(session, connector)
    if set(after) != set(before):
        raise ConformanceFailure(
            f"the system held {len(before)} of the kit's leads after the first write and "
            f"{len(after)} after the second: writes must be upserts by the lead's key."
        )
    for lead in batch:
        email = lead.key.casefold()
        was = {name: before[email].get(name) for name in lead.fields}
        now = {name: after[email].get(name) for name in lead.fields}
        if now != was:
            raise ConformanceFailure(
                f"writing the same batch again changed {email}: {was} became {now}. A "
                "repeated write must leave the record as it was."
            )


@check(
    "rejects_what_the_system_refuses",
    "a write the system refuses is rejected, with its message, and not retried",
    "write_leads",
)
def rejects_what_the_system_refuses(session: Session) -> None:
    """The refused write is ``rejected`` (others still ok) and costs no extra requests."""
    session.needs("rejected_fields", "fields with a value the system refuses")
    refused = session.target.rejected_fields or {}
    connector = session.connector()
    good_requests = _requests_for(session, connector, [new_write(session, connector)])
    bad = new_write(session, connector, **refused)
    bad_requests = _requests_for(session, connector, [bad])
    batch = [new_write(session, connector), new_write(session, connector, **refused)]
    batch.append(new_write(session, connector))
    results = write(connector, batch)
    statuses = [r.status for r in results]
    if statuses != [WriteStatus.ok, WriteStatus.rejected, WriteStatus.ok]:
        raise ConformanceFailure(
            f"writing [ok, refused by the system, ok] gave {[str(s) for s in statuses]}: a "
            "record the system refuses is WriteStatus.rejected (retryable is only for "
            "passing failures such as rate limits), and the others are still written."
        )
    if not results[1].message:
        raise ConformanceFailure(
            "the rejected write has no message: put the system's error in WriteResult.message"
        )
    if bad_requests > good_requests:
        raise ConformanceFailure(
            f"a write the system refused took {bad_requests} requests, an accepted one "
            f"{good_requests}: do not retry an error that retrying cannot fix (4xx other "
            "than rate limits)."
        )


def _requests_for(session: Session, connector: Connector, writes: list[LeadWrite]) -> int:
    before = session.requests(connector)
    write(connector, writes)
    return session.requests(connector) - before


@check(
    "passing_failures_are_retryable",
    "while the system answers with a passing failure, writes come back retryable",
    "write_leads",
)
def passing_failures_are_retryable(session: Session) -> None:
    """Writes during a rate limit or lock are ``retryable`` and land once it is over."""
    session.needs("busy", "makes the system answer writes with its passing failure")
    busy = session.target.busy
    assert busy is not None
    connector = session.connector()
    batch = [new_write(session, connector) for _ in range(2)]
    with busy(batch):
        results = write(connector, batch)
    statuses = [str(r.status) for r in results]
    if statuses != ["retryable", "retryable"]:
        raise ConformanceFailure(
            f"while the system answered with a passing failure, writes came back {statuses}: "
            "report rate limits, locks and timeouts as WriteStatus.retryable (not rejected: "
            "the engine would give up on the lead)."
        )
    again = write(connector, batch)
    if any(r.status is not WriteStatus.ok for r in again):
        raise ConformanceFailure(
            "once the system answered again, the writes failed: " + _failed(again)
        )


@check(
    "detour_writes_move_back", "a write marked detour may set a stage the system sees as backward"
)
def detour_writes_move_back(session: Session) -> None:
    """Ahead, then a detour back: the system holds the backward stage value."""
    session.needs("detour_values", "a stage value ahead and one the system sees as behind")
    values = session.target.detour_values
    assert values is not None
    connector = session.connector()
    stage = system_field(connector, "stage")
    if stage is None:
        raise ConformanceFailure(
            f"{connector.name}'s default mapping writes no 'stage' field: map the system field "
            "that holds the funnel stage."
        )
    ahead, behind = values
    (created,) = write(connector, [new_write(session, connector, **{stage: ahead})])
    if created.status is not WriteStatus.ok:
        raise ConformanceFailure(f"creating a lead at stage {ahead!r} failed: {created.message}")
    detour = LeadWrite(created.key, created.record_id, {stage: behind}, detour=True)
    (result,) = write(connector, [detour])
    if result.status is not WriteStatus.ok:
        raise ConformanceFailure(
            f"a detour write from {ahead!r} back to {behind!r} came back {result.status}: "
            f"{result.message}. When LeadWrite.detour is set, the backward move is intended: "
            "force it (e.g. clear the stage, then set it)."
        )
    holds = held(session, connector)[created.key.casefold()].get(stage)
    if holds != behind:
        raise ConformanceFailure(
            f"after the detour write the system holds {stage}={holds!r}, expected {behind!r}"
        )
