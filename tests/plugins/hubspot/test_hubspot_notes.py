"""Significant activities as notes on the contact: batch create with associations (every
request checked against HubSpot's spec by the fixture), per-record errors, result shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hs_support import T0

from funnelsync.connector import ActivityWrite, WriteStatus
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator
from funnelsync.plugins.hubspot.emulator.variants import AnswerVariants

WHEN = datetime(2024, 4, 20, 15, 30, tzinfo=UTC)
NOTE_PROPERTY = {
    "name": "funnelsync_ref",
    "label": "funnelsync reference",
    "type": "string",
    "fieldType": "text",
    "groupName": "noteinformation",
}


def _portal(make_emulator: Callable[..., HubSpotEmulator], **options: object) -> HubSpotEmulator:
    emulator = make_emulator(**options)
    emulator.add_property("notes", NOTE_PROPERTY)
    return emulator


def _contact(emulator: HubSpotEmulator, email: str = "ann@example.com") -> str:
    [contact_id] = emulator.add_contacts([{"email": email}], modified_at=T0)
    return contact_id


def _write(ref: str, contact: str) -> ActivityWrite:
    return ActivityWrite(
        ref=ref,
        record_id=contact,
        email="ann@example.com",
        type="meeting",
        label="Meeting with sales",
        occurred_at=WHEN,
        campaign=None,
        asset="Product demo",
        subject="Meeting with sales (funnelsync)",
        description="Meeting with sales on 2024-04-20 15:30 UTC.\nAsset: Product demo",
    )


def _notes(emulator: HubSpotEmulator) -> dict[str, dict[str, str]]:
    return {
        note.id: {
            **note.properties,
            "contacts": ",".join(sorted(note.associations.get("contacts", ()))),
        }
        for note in emulator.store.all("notes")
    }


def test_a_note_is_created_on_the_contact_with_its_reference(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = _portal(make_emulator)
    contact = _contact(emulator)
    connector = connect(emulator)
    [result] = connector.write_activities([_write("funnelsync-1", contact)])
    assert result.status is WriteStatus.ok
    [(note_id, note)] = _notes(emulator).items()
    assert result.record_id == f"notes:{note_id}:{contact}"
    assert note["contacts"] == contact
    assert note["funnelsync_ref"] == "funnelsync-1"
    assert "Meeting with sales" in note["hs_note_body"]
    assert "Asset: Product demo" in note["hs_note_body"]
    # Reading activities leaves funnelsync's own note out; a rep's note is read.
    other = emulator.add_engagement("notes", [contact], T0, {"hs_note_body": "Called"})
    read = [r.record_id for b in connector.read_activities(None) for r in b.records]
    assert f"notes:{other}:{contact}" in read and result.record_id not in read
    assert connector.find_activities(["funnelsync-1", "funnelsync-9"]) == {
        "funnelsync-1": result.record_id
    }


def test_notes_go_out_100_to_a_batch_call(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = _portal(make_emulator)
    contact = _contact(emulator)
    results = connect(emulator).write_activities(
        [_write(f"funnelsync-{n}", contact) for n in range(250)]
    )
    assert [r.status for r in results] == [WriteStatus.ok] * 250
    assert emulator.calls_to("/crm/v3/objects/notes/batch/create") == 3
    assert len(_notes(emulator)) == 250


def test_a_note_for_a_missing_contact_is_rejected_and_the_rest_land(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = _portal(make_emulator)
    contact = _contact(emulator)
    results = connect(emulator).write_activities(
        [_write("r-ok", contact), _write("r-gone", "999999")]
    )
    assert [r.status for r in results] == [WriteStatus.ok, WriteStatus.rejected]
    assert "OBJECT_NOT_FOUND" in str(results[1].message)
    assert [n["contacts"] for n in _notes(emulator).values()] == [contact]


def test_without_echoed_trace_ids_results_are_matched_by_the_reference_property(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = _portal(make_emulator, variants=AnswerVariants(create_trace_ids=False))
    first, second = _contact(emulator), _contact(emulator, "bo@example.com")
    results = connect(emulator).write_activities([_write("r-1", first), _write("r-2", second)])
    notes = {
        n["funnelsync_ref"]: (note_id, n["contacts"]) for note_id, n in _notes(emulator).items()
    }
    assert [r.status for r in results] == [WriteStatus.ok, WriteStatus.ok]
    assert [r.record_id for r in results] == [
        f"notes:{notes['r-1'][0]}:{first}",
        f"notes:{notes['r-2'][0]}:{second}",
    ]


def test_a_portal_without_the_reference_property_refuses_each_note(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator()
    contact = _contact(emulator)
    [result] = connect(emulator).write_activities([_write("r-1", contact)])
    assert result.status is WriteStatus.rejected
    assert "funnelsync_ref" in str(result.message)
    assert _notes(emulator) == {}


def test_a_rate_limited_batch_is_retryable_and_nothing_is_written(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = _portal(make_emulator)
    contact = _contact(emulator)
    emulator.fail_next(5, status=429, path="/notes/batch/create", retry_after=None)
    connector = connect(emulator, retry={"attempts": 2, "max_wait_s": 0.1})
    [result] = connector.write_activities([_write("r-1", contact)])
    assert result.status is WriteStatus.retryable
    assert _notes(emulator) == {}
