"""The records one ``write_leads`` call saves, and the results it hands back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from funnelsync.connector import LeadWrite, WriteResult, WriteStatus

LEAD_PREFIX = "00Q"
CONTACT_PREFIX = "003"


@dataclass(slots=True)
class Save:
    """One record to save in Salesforce, for the write at ``index``."""

    index: int
    key: str
    sobject: str
    """``Lead`` or ``Contact``."""
    operation: str
    """``update`` (by Id), ``create``, or ``upsert`` (by the external id field)."""
    record_id: str | None
    fields: dict[str, Any]


def describe_error(error: dict[str, Any]) -> str:
    """``CODE: message (fields: a, b)`` from a per-record error."""
    fields = error.get("fields") or []
    where = f" (fields: {', '.join(map(str, fields))})" if fields else ""
    return f"{error.get('statusCode')}: {error.get('message')}{where}"


class Results:
    """One result per write, filled in as saves finish; remembers whether anything was sent."""

    def __init__(self, writes: Sequence[LeadWrite]) -> None:
        self.writes = writes
        self._results: dict[int, WriteResult] = {}
        self.sent = False
        """Whether a write call has been made (after that, a budget stop is a partial result)."""

    def set(
        self,
        index: int,
        status: WriteStatus,
        record_id: str | None = None,
        message: str | None = None,
    ) -> None:
        """Record the outcome of the write at ``index``."""
        key = self.writes[index].key
        self._results[index] = WriteResult(key, status, record_id, message)

    def finish(self, status: WriteStatus, message: str) -> list[WriteResult]:
        """Every result in write order, giving ``status`` to writes still without one."""
        for index in range(len(self.writes)):
            if index not in self._results:
                self.set(index, status, self.writes[index].record_id, message)
        return [self._results[index] for index in range(len(self.writes))]
