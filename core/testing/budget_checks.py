"""The check of writing when the API budget is spent: writes are held, not sent or refused."""

from __future__ import annotations

from collections.abc import Sequence

from funnelsync.connector import BudgetExhaustedError, Connector, LeadWrite, WriteStatus
from funnelsync.testing.checks import ConformanceFailure, Session, check
from funnelsync.testing.writes import new_write, write
from funnelsync.testing.writing_checks import held


@check(
    "spent_budget_holds_writes",
    "once the API budget is spent, writes are held: not sent, not refused, sent next run",
    "write_leads",
)
def spent_budget_holds_writes(session: Session) -> None:
    """With the budget spent, a second batch comes back ``held`` (or raises
    :class:`BudgetExhaustedError`) without a request; afterwards the same writes land."""
    session.needs("spend_budget", "makes the system report the connector's API budget spent")
    spend = session.target.spend_budget
    assert spend is not None
    connector = session.connector()
    batch = [new_write(session, connector) for _ in range(2)]
    with spend():
        _first_write(connector, [new_write(session, connector)])
        before = session.requests(connector)
        written = connector.calls.write
        outcome = _held(connector, batch)
        sent = session.requests(connector) - before
        counted = connector.calls.write - written
    if outcome:
        raise ConformanceFailure(
            f"with the API budget spent, writes came back {outcome}: return "
            "WriteStatus.held with the reason for every write not sent (or raise "
            "funnelsync.BudgetExhaustedError before sending any), not retryable: the engine "
            "would retry at once; not rejected: it would quarantine good leads."
        )
    if sent or counted:
        raise ConformanceFailure(
            f"with the API budget spent, writing a batch made {sent} requests and counted "
            f"{counted} write calls: once the system says the budget is spent, send nothing "
            "more (no write, no retry) until the next run."
        )
    landed = held(session, session.connector()) if connector.capabilities.read_leads else {}
    if found := sorted(set(landed) & {w.key for w in batch}):
        raise ConformanceFailure(
            f"writes held by the spent budget are in the system ({', '.join(found)}): a held "
            "write must not have been sent."
        )
    again = write(session.connector(), batch)
    if any(result.status is not WriteStatus.ok for result in again):
        raise ConformanceFailure(
            "once the budget was back, writing the held writes again failed: "
            + "; ".join(f"{r.key}: {r.status} {r.message or ''}" for r in again)
        )


def _first_write(connector: Connector, batch: Sequence[LeadWrite]) -> None:
    """The connector's first write with the budget spent: it may not know yet (``ok``), or
    may hold it; anything else is a failure."""
    try:
        results = write(connector, batch)
    except ConformanceFailure as exc:
        if isinstance(exc.__cause__, BudgetExhaustedError):
            return
        raise
    if statuses := [str(r.status) for r in results if r.status not in _FIRST]:
        raise ConformanceFailure(
            f"with the API budget spent, a first write came back {statuses}: hold it "
            "(WriteStatus.held, not retryable or rejected) or raise "
            "funnelsync.BudgetExhaustedError; it may be ok only if the connector could not "
            "know the budget before its first request."
        )


_FIRST = frozenset({WriteStatus.ok, WriteStatus.held})


def _held(connector: Connector, batch: Sequence[LeadWrite]) -> str:
    """``""`` if ``write_leads`` held every write (or raised the budget error), else what
    came back instead."""
    try:
        results = write(connector, batch)
    except ConformanceFailure as exc:
        if isinstance(exc.__cause__, BudgetExhaustedError):
            return ""
        raise
    wrong = [r for r in results if r.status is not WriteStatus.held or not r.message]
    return ", ".join(f"{r.status} ({r.message or 'no message'})" for r in wrong)
