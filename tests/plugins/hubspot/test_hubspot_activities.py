"""Reading activities: engagements with their contacts, and contact activity properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from hs_support import T0

from funnelsync.mapping import read_activity
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator


def test_engagements_and_contact_events_become_canonical_activities(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    ann, bob, nomail = emulator.add_contacts(
        [
            {
                "email": "ann@example.com",
                "recent_conversion_date": "2024-04-30T10:00:00Z",
                "recent_conversion_event_name": "Pricing demo form",
                "hs_email_last_click_date": "2024-04-29T08:00:00Z",
                "hs_email_last_email_name": "April newsletter",
            },
            {"email": "bob@example.com"},
            {"firstname": "No email"},
        ]
    )
    day = T0 - timedelta(days=1)
    call = emulator.add_engagement("calls", [ann, bob], day, {"hs_call_title": "Intro call"})
    emulator.add_engagement("meetings", [ann], day, {"hs_meeting_outcome": "NO_SHOW"})
    emulator.add_engagement("meetings", [bob], day, {"hs_meeting_title": "Demo"})
    emulator.add_engagement("emails", [bob], day, {"hs_email_direction": "INCOMING_EMAIL"})
    emulator.add_engagement("notes", [nomail], day, {"hs_note_body": "skipped: no email"})
    connector = connect(emulator)
    batches = list(connector.read_activities(None))
    records = [record for batch in batches for record in batch.records]
    activities = sorted(
        (a.email, a.type, a.asset or "", a.campaign or "")
        for a in (read_activity(connector.default_mapping, r.fields) for r in records)
    )
    assert activities == [
        ("ann@example.com", "call", "Intro call", ""),
        ("ann@example.com", "email_click", "", "April newsletter"),
        ("ann@example.com", "form_fill", "Pricing demo form", ""),
        ("ann@example.com", "meeting_no_show", "", ""),
        ("bob@example.com", "call", "Intro call", ""),
        ("bob@example.com", "email_reply", "", ""),
        ("bob@example.com", "meeting", "Demo", ""),
    ]
    ids = {record.record_id for record in records}
    assert f"calls:{call}:{ann}" in ids
    cursor = json.loads(batches[-1].cursor or "")
    assert set(cursor["sources"]) == {"calls", "meetings", "emails", "notes", "contacts"}
    later = emulator.add_engagement("calls", [bob], T0, modified_at=T0 + timedelta(minutes=1))
    again = [r.record_id for b in connector.read_activities(batches[-1].cursor) for r in b.records]
    assert again == [f"calls:{later}:{bob}"]


def test_contact_email_lookups_are_batched_and_cached(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    contacts = emulator.add_contacts({"email": f"c{i}@example.com"} for i in range(150))
    for contact in contacts:
        emulator.add_engagement("calls", [contact], T0 - timedelta(hours=1))
        emulator.add_engagement("notes", [contact], T0 - timedelta(hours=1))
    connector = connect(emulator, engagements=["calls", "notes"], contact_activities=False)
    records = [r for b in connector.read_activities(None) for r in b.records]
    assert len(records) == 300
    assert emulator.calls["POST /crm/v3/objects/contacts/batch/read"] == 2
    assert emulator.calls_to("/crm/v4/associations/") == 2
