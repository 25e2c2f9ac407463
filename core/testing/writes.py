"""Writes the checks make: new leads of a check run, and ``write_leads`` that must answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelsync.connector import Connector, LeadWrite, WriteResult
from funnelsync.testing.checks import ConformanceFailure, Session
from funnelsync.testing.dataset import email_field, system_field

_FIELDS = {"first_name": "Kit", "last_name": "Conformance", "company": "Conformance Inc"}


def new_write(session: Session, connector: Connector, **extra: Any) -> LeadWrite:
    """A write creating a lead of this run: email, names and company in the system's fields."""
    email = session.factory.email()
    fields: dict[str, Any] = {email_field(connector): email}
    for canonical, value in _FIELDS.items():
        if (name := system_field(connector, canonical)) is not None:
            fields[name] = value
    return LeadWrite(email, None, {**fields, **extra})


def write(connector: Connector, writes: Sequence[LeadWrite]) -> list[WriteResult]:
    """``write_leads``, with a failure that says so when it raises."""
    try:
        results = connector.write_leads(writes)
    except Exception as exc:
        raise ConformanceFailure(
            f"write_leads raised {type(exc).__name__}: {exc}. Return one WriteResult per "
            "write instead (rejected or retryable for the ones the system refused)."
        ) from exc
    keys = [w.key for w in writes]
    got = [r.key for r in results]
    if got != keys:
        raise ConformanceFailure(
            f"write_leads got {len(keys)} writes and returned results for keys {got}, "
            f"expected {keys}: return exactly one WriteResult per LeadWrite, in the order "
            "of the writes, with the write's key."
        )
    return results
