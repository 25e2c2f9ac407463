"""Writing significant activities as notes on the contact's timeline.

Notes go out in batch creates of at most 100, each note associated with its contact
(HUBSPOT_DEFINED type 202, note → contact) and carrying funnelsync's reference in the
``note_ref_property`` and as its ``objectWriteTraceId``. Results are matched to inputs
by trace id, else by the reference property the result echoes. A note's error is
``rejected`` with HubSpot's message; a batch that keeps failing with 429, 5xx or a
connection error is ``retryable``; a batch refused as a whole (another 4xx) is
``rejected``. An ``ok`` result's id is ``notes:<note id>:<contact id>``, the id the
activity reader gives the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from funnelsync.connector import ActivityWrite, BudgetExhaustedError, WriteResult, WriteStatus
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi, HubSpotError
from funnelsync.plugins.hubspot.writing import readable
from funnelsync.retry import RetryableError

BATCH_LIMIT = 100
NOTE_TO_CONTACT = 202
_SEARCH_VALUES = 100


def note_id(note: str, contact: str) -> str:
    """The activity id the reader gives a note on a contact."""
    return f"notes:{note}:{contact}"


class NoteWriter:
    """Creates the notes of one ``write_activities`` call; finds notes by reference."""

    def __init__(self, api: HubSpotApi, ref_property: str) -> None:
        self.api = api
        self.ref_property = ref_property

    def note(self, write: ActivityWrite) -> dict[str, Any]:
        """The batch-create input for ``write``."""
        body = "<br>".join(
            escape(line) for line in [write.subject, *write.description.splitlines()]
        )
        return {
            "properties": {
                "hs_timestamp": write.occurred_at.isoformat(),
                "hs_note_body": body,
                self.ref_property: write.ref,
            },
            "associations": [
                {
                    "to": {"id": write.record_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_CONTACT,
                        }
                    ],
                }
            ],
            "objectWriteTraceId": write.ref,
        }

    def write(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """One result per write, in order."""
        results: dict[str, WriteResult] = {}
        for start in range(0, len(writes), BATCH_LIMIT):
            chunk = writes[start : start + BATCH_LIMIT]
            try:
                results.update(self._create(chunk))
            except BudgetExhaustedError as exc:
                if not results:
                    raise
                for write in writes:
                    results.setdefault(
                        write.ref, WriteResult(write.ref, WriteStatus.held, None, str(exc))
                    )
                break
        return [results[write.ref] for write in writes]

    def _create(self, chunk: Sequence[ActivityWrite]) -> dict[str, WriteResult]:
        request = {"inputs": [self.note(write) for write in chunk]}
        try:
            body = self.api.call(
                CallKind.write,
                self.api.objects_batch.create,
                "notes",
                batch_input_simple_public_object_batch_input_for_create=request,
            ).body
        except RetryableError as exc:
            return _all(chunk, WriteStatus.retryable, str(exc))
        except HubSpotError as exc:
            return _all(
                chunk, WriteStatus.rejected, f"{exc.category}: {readable(exc.hubspot_message)}"
            )
        by_ref = {write.ref: write for write in chunk}
        results: dict[str, WriteResult] = {}
        for item in (body or {}).get("results") or []:
            ref = item.get("objectWriteTraceId") or (item.get("properties") or {}).get(
                self.ref_property
            )
            write = by_ref.get(str(ref))
            if write is not None:
                record = note_id(str(item["id"]), write.record_id)
                results[write.ref] = WriteResult(write.ref, WriteStatus.ok, record)
        errors = (body or {}).get("errors") or []
        unnamed = []
        for error in errors:
            traces = (error.get("context") or {}).get("objectWriteTraceId") or []
            message = f"{error.get('category')}: {readable(str(error.get('message')))}"
            named = [ref for ref in traces if ref in by_ref]
            for ref in named:
                results[ref] = WriteResult(ref, WriteStatus.rejected, None, message)
            if not named:
                unnamed.append(message)
        left = [write for write in chunk if write.ref not in results]
        if len(left) == 1 and len(unnamed) == 1:
            results[left[0].ref] = WriteResult(left[0].ref, WriteStatus.rejected, None, unnamed[0])
        for write in chunk:
            results.setdefault(
                write.ref,
                WriteResult(
                    write.ref, WriteStatus.retryable, None, "HubSpot gave no result for it"
                ),
            )
        return results

    def find(self, refs: Sequence[str]) -> dict[str, str]:
        """Notes holding these references: ref → ``notes:<id>:<contact>``."""
        found: dict[str, str] = {}
        notes: dict[str, str] = {}
        for start in range(0, len(refs), _SEARCH_VALUES):
            chunk = list(refs[start : start + _SEARCH_VALUES])
            request = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": self.ref_property, "operator": "IN", "values": chunk}
                        ]
                    }
                ],
                "properties": [self.ref_property],
                "limit": 200,
                "sorts": [],
                "after": "0",
            }
            body = self.api.call(
                CallKind.search,
                self.api.objects_search.do_search,
                "notes",
                public_object_search_request=request,
            ).body
            for item in (body or {}).get("results") or []:
                ref = (item.get("properties") or {}).get(self.ref_property)
                if ref:
                    notes[str(item["id"])] = str(ref)
        if not notes:
            return found
        request = {"inputs": [{"id": note} for note in notes]}
        body = self.api.call(
            CallKind.read,
            self.api.associations_batch.get_page,
            "notes",
            "contacts",
            batch_input_public_fetch_associations_batch_request=request,
        ).body
        for result in (body or {}).get("results") or []:
            note = str((result.get("from") or {}).get("id"))
            targets = [str(target["toObjectId"]) for target in result.get("to") or []]
            if note in notes and targets:
                found[notes[note]] = note_id(note, targets[0])
        return found


def _all(
    chunk: Sequence[ActivityWrite], status: WriteStatus, message: str
) -> dict[str, WriteResult]:
    return {write.ref: WriteResult(write.ref, status, None, message) for write in chunk}
