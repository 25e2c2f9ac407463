"""Writing leads: batch upsert by email, per-record results, and the lifecycle stage rule.

Writes go out in batch upserts of at most 100 contacts keyed by email, each input with
an ``objectWriteTraceId`` so HubSpot answers per record (207); answers are matched to
inputs as :mod:`funnelsync.plugins.hubspot.upsert_results` says. A record's error
becomes ``rejected`` with HubSpot's message; a batch that keeps failing with 429, 5xx or
a connection error after the retries becomes ``retryable``; a batch HubSpot refuses as a
whole (another 4xx) is ``rejected``.

HubSpot only moves ``lifecyclestage`` forward (in the order of its options) unless the
value is cleared first. Before writing a stage, the connector reads the contacts' current
stage (one batch read per 100). A move backward is written as clear-then-set only when
the caller marks the write as an intended detour; otherwise (a contact HubSpot holds at
``customer`` or ``evangelist``, past the contract's last stage, say) the stage is left as
HubSpot holds it, every other field is written, and the result is ``ok`` with a note in
its ``message`` saying so.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from funnelsync.connector import LeadWrite, WriteResult, WriteStatus
from funnelsync.mapping import NotScalarError, scalar_text
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi, HubSpotError
from funnelsync.plugins.hubspot.fields import ContactProperties
from funnelsync.plugins.hubspot.upsert_results import (
    ID_PROPERTY,
    NO_RESULT,
    Inputs,
    holds,
    match_answer,
)
from funnelsync.retry import RetryableError

BATCH_LIMIT = 100
STAGE = "lifecyclestage"
_INVALID_PREFIX = "Property values were not valid: "


class UnwritableValueError(ValueError):
    """A value with no HubSpot property form (only text, numbers, booleans, None)."""


def property_value(value: Any) -> str:
    """A value as HubSpot stores it: text; ``""`` clears."""
    try:
        return scalar_text(value)
    except NotScalarError:
        raise UnwritableValueError(
            f"a {type(value).__name__} cannot be written to a HubSpot property"
        ) from None


def readable(message: str) -> str:
    """HubSpot's ``Property values were not valid: [json]`` as ``name: message; …``."""
    if not message.startswith(_INVALID_PREFIX):
        return message
    try:
        problems = json.loads(message.removeprefix(_INVALID_PREFIX))
        return "; ".join(f"{item['name']}: {item['message']}" for item in problems)
    except (ValueError, TypeError, KeyError):
        return message


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class LeadWriter:
    """Upserts contacts by email, one :class:`WriteResult` per write."""

    def __init__(self, api: HubSpotApi, properties: ContactProperties) -> None:
        self.api = api
        self.properties = properties

    def write(self, writes: Sequence[LeadWrite], detours: Collection[str]) -> list[WriteResult]:
        """Write ``writes``; keys in ``detours`` may move the stage backward (clear, set)."""
        results: dict[str, WriteResult] = {}
        pending: dict[str, dict[str, str]] = {}
        record_ids = {write.key: write.record_id for write in writes if write.record_id}
        for write in writes:
            if write.email is None:
                message = f"HubSpot upserts contacts by email; this person has none ({write.key})"
                results[write.key] = WriteResult(write.key, WriteStatus.rejected, message=message)
                continue
            try:
                pending[write.key] = {k: property_value(v) for k, v in write.fields.items()}
            except UnwritableValueError as exc:
                results[write.key] = WriteResult(write.key, WriteStatus.rejected, message=str(exc))
        notes: dict[str, str] = {}
        kept: dict[str, dict[str, str]] = {}
        clears = self._backward_moves(pending, detours, notes, kept)
        for key in [key for key in notes if not pending[key]]:
            # Only the stage differed: nothing to send.
            del pending[key]
            results[key] = WriteResult(
                key, WriteStatus.ok, record_ids.get(key), notes[key], kept[key]
            )
        if clears:
            cleared = self._upsert({key: {STAGE: ""} for key in clears}, record_ids)
            for key, result in cleared.items():
                if result.status is not WriteStatus.ok:
                    results[key] = result
                    del pending[key]
        for key, result in self._upsert(pending, record_ids).items():
            if key in notes and result.status is WriteStatus.ok:
                result = WriteResult(key, result.status, result.record_id, notes[key], kept[key])
            results[key] = result
        return [results[write.key] for write in writes]

    def _backward_moves(
        self,
        pending: dict[str, dict[str, str]],
        detours: Collection[str],
        notes: dict[str, str],
        kept: dict[str, dict[str, str]],
    ) -> list[str]:
        """Keys whose stage must be cleared first. An unintended backward move is taken
        out of its record's values, with a note on why in ``notes`` and the stage HubSpot
        keeps in ``kept``."""
        staged = [key for key, values in pending.items() if values.get(STAGE)]
        if not staged:
            return []
        current = self._current_stages(staged)
        order = self.properties.stage_order()
        clears = []
        for key in staged:
            old, new = current.get(key), pending[key][STAGE]
            if not old or old not in order or new not in order or order[new] >= order[old]:
                continue
            if key in detours:
                clears.append(key)
                continue
            del pending[key][STAGE]
            kept[key] = {STAGE: old}
            notes[key] = (
                f"lifecyclestage left at HubSpot's {old!r}, which comes after {new!r} (HubSpot "
                "only moves it forward; other fields are written)"
            )
        return clears

    def _current_stages(self, keys: Sequence[str]) -> dict[str, str]:
        stages: dict[str, str] = {}
        for chunk in _chunks(keys, BATCH_LIMIT):
            request = {
                "idProperty": ID_PROPERTY,
                "inputs": [{"id": key} for key in chunk],
                "properties": ["email", STAGE],
                "propertiesWithHistory": [],
            }
            body = self.api.call(
                CallKind.read,
                self.api.contacts_batch.read,
                batch_read_input_simple_public_object_id=request,
            ).body
            for item in body.get("results") or []:
                values = item.get("properties") or {}
                if values.get("email") and values.get(STAGE):
                    stages[str(values["email"]).strip().lower()] = str(values[STAGE])
        return {key: stages[key.strip().lower()] for key in keys if key.strip().lower() in stages}

    def _upsert(
        self, pending: dict[str, dict[str, str]], record_ids: Mapping[str, str]
    ) -> dict[str, WriteResult]:
        results: dict[str, WriteResult] = {}
        for chunk in _chunks(list(pending.items()), BATCH_LIMIT):
            keys = [key for key, _ in chunk]
            request = {
                "inputs": [
                    {
                        "id": key,
                        "idProperty": ID_PROPERTY,
                        "properties": values,
                        "objectWriteTraceId": str(index),
                    }
                    for index, (key, values) in enumerate(chunk)
                ]
            }
            try:
                body = self.api.call(
                    CallKind.write,
                    self.api.contacts_batch.upsert,
                    batch_input_simple_public_object_batch_input_upsert=request,
                ).body
            except RetryableError as exc:
                results.update(_all(keys, WriteStatus.retryable, str(exc)))
                continue
            except HubSpotError as exc:
                message = f"{exc.category}: {readable(exc.hubspot_message)}"
                results.update(_all(keys, WriteStatus.rejected, message))
                continue
            answered = match_answer(keys, record_ids, body, readable)
            unanswered = [key for key in keys if answered[key].message == NO_RESULT]
            if unanswered:
                answered.update(self._confirm(unanswered, dict(chunk), record_ids))
            results.update(answered)
        return results

    def _confirm(
        self,
        keys: Sequence[str],
        written: Mapping[str, Mapping[str, str]],
        record_ids: Mapping[str, str],
    ) -> dict[str, WriteResult]:
        """Read back contacts an upsert answer did not name: ``ok`` where they hold what
        was written (one batch read)."""
        names = sorted({ID_PROPERTY, *(name for key in keys for name in written[key])})
        request = {
            "idProperty": ID_PROPERTY,
            "inputs": [{"id": key} for key in keys],
            "properties": names,
            "propertiesWithHistory": [],
        }
        try:
            body = self.api.call(
                CallKind.read,
                self.api.contacts_batch.read,
                batch_read_input_simple_public_object_id=request,
            ).body
        except (RetryableError, HubSpotError):
            return {}
        inputs = Inputs(keys, record_ids)
        confirmed: dict[str, WriteResult] = {}
        for item in (body or {}).get("results") or []:
            key = inputs.of_result(item)
            if key is not None and holds(written[key], item.get("properties") or {}):
                confirmed[key] = WriteResult(key, WriteStatus.ok, record_id=str(item.get("id")))
        return confirmed


def _all(keys: Sequence[str], status: WriteStatus, message: str) -> dict[str, WriteResult]:
    return {key: WriteResult(key, status, message=message) for key in keys}
