"""Matching a batch upsert's answer to its inputs, and confirming unanswered ones.

The spec makes ``objectWriteTraceId`` optional in results and promises no order, so a
result is matched by its trace id when echoed, else by the email in its ``properties``
(the ``idProperty`` value), else by the contact id of an update; an error by the trace
ids or the emails (or ids) in its ``context.ids``. An input left without an answer is
confirmed by reading the contact back: it is ``ok`` when the contact holds every value
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from funnelsync.connector import WriteResult, WriteStatus
from funnelsync.plugins.hubspot.times import to_ms

ID_PROPERTY = "email"
"""The unique property contacts are upserted by."""

NO_RESULT = "HubSpot returned no result"


def key_of(value: Any) -> str:
    """An email as the inputs are keyed: trimmed, lower case."""
    return str(value).strip().lower()


class Inputs:
    """The inputs of one upsert call, findable by trace id, upsert key and contact id."""

    def __init__(self, keys: Sequence[str], record_ids: Mapping[str, str]) -> None:
        self.by_trace = {str(index): key for index, key in enumerate(keys)}
        self.by_key = {key_of(key): key for key in keys}
        self.by_id = {record_ids[key]: key for key in keys if key in record_ids}

    def of_result(self, item: Mapping[str, Any]) -> str | None:
        """The input a result (or a read contact) answers, if it can be told."""
        trace = item.get("objectWriteTraceId")
        if trace is not None and str(trace) in self.by_trace:
            return self.by_trace[str(trace)]
        values = item.get("properties") or {}
        email = values.get(ID_PROPERTY) if isinstance(values, dict) else None
        if email and key_of(email) in self.by_key:
            return self.by_key[key_of(email)]
        return self.by_id.get(str(item.get("id")))

    def of_error(self, context: Mapping[str, Any]) -> list[str]:
        """The inputs an error's ``context`` names (trace ids, or keys in ``ids``)."""
        traces = [str(trace) for trace in context.get("objectWriteTraceId") or []]
        found = [self.by_trace[trace] for trace in traces if trace in self.by_trace]
        for value in context.get("ids") or []:
            key = self.by_key.get(key_of(value)) or self.by_id.get(str(value))
            if key is not None:
                found.append(key)
        return found


def match_answer(
    keys: Sequence[str], record_ids: Mapping[str, str], body: Any, readable: Any
) -> dict[str, WriteResult]:
    """One result per key of an upsert answer (200 or 207); unanswered keys are
    ``retryable`` with :data:`NO_RESULT`. ``readable`` rewrites HubSpot's messages."""
    inputs = Inputs(keys, record_ids)
    out: dict[str, WriteResult] = {}
    body = body if isinstance(body, dict) else {}
    for item in body.get("results") or []:
        key = inputs.of_result(item) if isinstance(item, dict) else None
        if key is not None:
            out[key] = WriteResult(key, WriteStatus.ok, record_id=str(item.get("id")))
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = f"{error.get('category', 'ERROR')}: {readable(str(error.get('message', '')))}"
        for key in inputs.of_error(error.get("context") or {}):
            out[key] = WriteResult(key, WriteStatus.rejected, message=message)
    for key in keys:
        out.setdefault(key, WriteResult(key, WriteStatus.retryable, message=NO_RESULT))
    return out


def holds(written: Mapping[str, str], stored: Mapping[str, Any]) -> bool:
    """Whether a contact's ``stored`` properties hold every ``written`` value."""
    return all(_same(value, stored.get(name)) for name, value in written.items())


def _same(written: str, stored: Any) -> bool:
    stored_text = "" if stored is None else str(stored)
    if written == stored_text:
        return True
    if not written or not stored_text:
        return False
    moments = to_ms(written), to_ms(stored_text)
    if None not in moments and not written.isdigit():
        return moments[0] == moments[1]
    try:
        return float(written) == float(stored_text)
    except ValueError:
        return False
