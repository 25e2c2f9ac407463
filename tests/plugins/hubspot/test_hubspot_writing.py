"""Writing: batch upserts by email, per-record results, the lifecycle stage rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from funnelsync.connector import LeadWrite, WriteStatus
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import AnswerVariants, HubSpotEmulator

UPSERT = "POST /crm/v3/objects/contacts/batch/upsert"


def _write(key: str, **fields: object) -> LeadWrite:
    return LeadWrite(key, None, fields)


def test_writes_are_upserted_by_email_in_batches_of_at_most_100(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    existing = emulator.add_contacts({"email": f"lead{i}@example.com"} for i in range(50))
    writes = [
        _write(f"lead{i}@example.com", firstname=f"Lead {i}", jobtitle=None) for i in range(250)
    ]
    connector = connect(emulator)
    results = connector.write_leads(writes)
    assert [r.key for r in results] == [w.key for w in writes]
    assert all(r.status is WriteStatus.ok for r in results)
    assert results[0].record_id == existing[0]
    assert emulator.calls[UPSERT] == 3
    assert all(len(r.body["inputs"]) <= 100 for r in emulator.requests if r.path.endswith("upsert"))
    assert connector.calls.write == 3
    assert (emulator.contact_by_email("lead249@example.com") or {})["firstname"] == "Lead 249"


def test_computed_values_are_written_as_hubspot_strings(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_property(
        "contacts",
        {"name": "funnelsync_score", "label": "Score", "type": "number", "fieldType": "number",
         "groupName": "funnelsync"},
    )  # fmt: skip
    connector = connect(emulator)
    [result] = connector.write_leads([_write("ann@example.com", funnelsync_score=42)])
    assert result.status is WriteStatus.ok
    assert (emulator.contact_by_email("ann@example.com") or {})["funnelsync_score"] == "42"


def test_a_validation_error_rejects_only_its_record_with_hubspots_message(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    connector = connect(emulator)
    results = connector.write_leads(
        [
            _write("ok1@example.com", hs_lead_status="NEW"),
            _write("bad@example.com", hs_lead_status="Qualified"),
            _write("ok2@example.com", jobtitle="CTO"),
        ]
    )
    statuses = {r.key: r.status for r in results}
    assert statuses == {
        "ok1@example.com": WriteStatus.ok,
        "bad@example.com": WriteStatus.rejected,
        "ok2@example.com": WriteStatus.ok,
    }
    bad = next(r for r in results if r.key == "bad@example.com")
    assert bad.message is not None
    assert bad.message.startswith("VALIDATION_ERROR: hs_lead_status: Qualified was not one of")
    assert emulator.contact_by_email("bad@example.com") is None
    assert emulator.calls[UPSERT] == 1


def test_an_unknown_property_and_a_duplicate_email_are_rejected(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    owner = emulator.add_contacts(
        [{"email": "main@example.com", "hs_additional_emails": "alias@example.com"}]
    )[0]
    results = connect(emulator).write_leads(
        [_write("alias@example.com", firstname="Al"), _write("x@example.com", no_such_prop="1")]
    )
    conflict, unknown = results
    assert conflict.status is WriteStatus.rejected
    assert conflict.message == f"CONFLICT: Contact already exists. Existing ID: {owner}"
    assert unknown.status is WriteStatus.rejected
    assert (
        unknown.message == 'VALIDATION_ERROR: no_such_prop: Property "no_such_prop" does not exist'
    )


def test_a_backward_stage_is_left_alone_unless_the_write_is_an_intended_detour(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_contacts(
        [
            {"email": "sql@example.com", "lifecyclestage": "salesqualifiedlead"},
            {"email": "back@example.com", "lifecyclestage": "other"},
        ]
    )
    connector = connect(emulator)
    forward, kept = connector.write_leads(
        [
            _write("sql@example.com", lifecyclestage="customer"),
            _write("back@example.com", lifecyclestage="lead", firstname="Kept"),
        ]
    )
    assert forward.status is WriteStatus.ok and forward.message is None
    assert kept.status is WriteStatus.ok
    assert kept.message == (
        "lifecyclestage left at HubSpot's 'other', which comes after 'lead' (HubSpot only "
        "moves it forward; other fields are written)"
    )
    stored = emulator.contact_by_email("back@example.com") or {}
    assert (stored["lifecyclestage"], stored["firstname"]) == ("other", "Kept")
    [detour] = connector.write_leads(
        [replace(_write("back@example.com", lifecyclestage="lead"), detour=True)]
    )
    assert detour.status is WriteStatus.ok
    assert (emulator.contact_by_email("back@example.com") or {})["lifecyclestage"] == "lead"
    stage_writes = [r.body for r in emulator.requests if r.path.endswith("upsert")]
    assert stage_writes[-2]["inputs"][0]["properties"] == {"lifecyclestage": ""}


@pytest.mark.parametrize("backward", ["reject", "keep"])
def test_a_contact_past_the_stage_gets_its_other_fields_and_keeps_its_stage(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    backward: str,
) -> None:
    emulator = make_emulator(backward_lifecycle=backward)
    emulator.add_contacts([{"email": "c@example.com", "lifecyclestage": "evangelist"}])
    emulator.add_contacts([{"email": "d@example.com", "lifecyclestage": "customer"}])
    connector = connect(emulator)
    scored, stage_only = connector.write_leads(
        [
            _write("c@example.com", lifecyclestage="lead", jobtitle="VP"),
            _write("d@example.com", lifecyclestage="lead"),
        ]
    )
    assert scored.status is stage_only.status is WriteStatus.ok
    assert "left at HubSpot's 'evangelist'" in (scored.message or "")
    assert "left at HubSpot's 'customer'" in (stage_only.message or "")
    stored = emulator.contact_by_email("c@example.com") or {}
    assert (stored["lifecyclestage"], stored["jobtitle"]) == ("evangelist", "VP")
    [upsert] = [r.body for r in emulator.requests if r.path.endswith("upsert")]
    assert upsert["inputs"] == [
        {
            "id": "c@example.com",
            "idProperty": "email",
            "properties": {"jobtitle": "VP"},
            "objectWriteTraceId": "0",
        }
    ]


def test_without_echoed_trace_ids_results_are_matched_by_email(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(variants=AnswerVariants(upsert_trace_ids=False))
    existing = emulator.add_contacts([{"email": "Old@Example.com"}])[0]
    writes = [
        _write("old@example.com", jobtitle="CTO"),
        *(_write(f"new{i}@example.com", firstname=f"N{i}") for i in range(60)),
        _write("bad@example.com", hs_lead_status="Qualified"),
        _write("ok@example.com", hs_lead_status="NEW"),
    ]
    connector = connect(emulator)
    results = connector.write_leads(writes)
    assert emulator.calls[UPSERT] == 1
    by_key = {r.key: r for r in results}
    assert by_key["old@example.com"].status is WriteStatus.ok
    assert by_key["old@example.com"].record_id == existing
    for i in range(60):
        created = emulator.contact_by_email(f"new{i}@example.com") or {}
        assert by_key[f"new{i}@example.com"].record_id == created["hs_object_id"]
    assert by_key["ok@example.com"].status is WriteStatus.ok
    bad = by_key["bad@example.com"]
    assert bad.status is WriteStatus.rejected
    assert (bad.message or "").startswith("VALIDATION_ERROR: hs_lead_status: Qualified was not one")
    answer = next(r for r in emulator.requests if r.path.endswith("upsert"))
    assert answer.status == 207


def test_results_naming_neither_trace_id_nor_email_are_matched_by_id_or_read_back(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    variants = AnswerVariants(upsert_trace_ids=False, upsert_key_in_results=False)
    emulator = make_emulator(variants=variants)
    known = emulator.add_contacts({"email": f"old{i}@example.com"} for i in range(3))
    for name, kind, field_type in [
        ("funnelsync_x", "string", "text"),
        ("funnelsync_score", "number", "number"),
        ("funnelsync_mql_date", "datetime", "date"),
    ]:
        emulator.add_property(
            "contacts",
            {"name": name, "label": name, "type": kind, "fieldType": field_type,
             "groupName": "contactinformation"},
        )  # fmt: skip
    # Read back in HubSpot's forms: "42" for 42.0, milliseconds and Z for the offset.
    computed = {"funnelsync_score": 42.0, "funnelsync_mql_date": "2024-05-01T00:00:00+00:00"}
    writes = [
        *(LeadWrite(f"old{i}@example.com", known[i], {"jobtitle": f"T{i}"}) for i in range(3)),
        *(
            _write(f"new{i}@example.com", firstname=f"N{i}", funnelsync_x=None, **computed)
            for i in range(2)
        ),
        _write("bad@example.com", hs_lead_status="Qualified"),
    ]
    results = connect(emulator).write_leads(writes)
    assert [r.status for r in results] == [WriteStatus.ok] * 5 + [WriteStatus.rejected]
    assert [r.record_id for r in results[:3]] == known
    for result in results[3:5]:
        assert result.record_id == (emulator.contact_by_email(result.key) or {})["hs_object_id"]
    assert emulator.calls[UPSERT] == 1
    [read_back] = [r.body for r in emulator.requests if r.path.endswith("batch/read")]
    assert [item["id"] for item in read_back["inputs"]] == ["new0@example.com", "new1@example.com"]

    emulator.add_contacts([{"email": "c@example.com", "lifecyclestage": "customer"}])
    [result] = connect(emulator).write_leads([_write("c@example.com", lifecyclestage="lead")])
    # Only a backward lifecycle move: nothing is sent, the stage is left as HubSpot holds it.
    assert result.status is WriteStatus.ok
    assert "lifecyclestage left at HubSpot's 'customer'" in (result.message or "")


def test_a_person_without_an_email_is_rejected_per_record_not_a_crash(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    connector = connect(emulator)

    results = connector.write_leads(
        [_write("crm_id:0031", firstname="No Email"), _write("ann@example.com", firstname="Ann")]
    )

    assert [(r.key, r.status) for r in results] == [
        ("crm_id:0031", WriteStatus.rejected),
        ("ann@example.com", WriteStatus.ok),
    ]
    assert results[0].message == (
        "HubSpot upserts contacts by email; this person has none (crm_id:0031)"
    )
    assert all("crm_id" not in str(r.body) for r in emulator.requests)


def test_the_stage_hubspot_already_holds_is_written_without_a_note(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_contacts(
        [{"email": "mql@example.com", "lifecyclestage": "marketingqualifiedlead"}]
    )
    [result] = connect(emulator).write_leads(
        [_write("mql@example.com", lifecyclestage="marketingqualifiedlead", jobtitle="CMO")]
    )
    assert (result.status, result.message) == (WriteStatus.ok, None)
    [upsert] = [r.body for r in emulator.requests if r.path.endswith("upsert")]
    assert upsert["inputs"][0]["properties"] == {
        "lifecyclestage": "marketingqualifiedlead",
        "jobtitle": "CMO",
    }


def test_a_backward_stage_is_seen_on_a_contact_stored_with_capitals_in_its_email(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_contacts([{"email": "Ann.Lee@Example.COM", "lifecyclestage": "customer"}])
    [result] = connect(emulator).write_leads(
        [_write("ann.lee@example.com", lifecyclestage="lead", firstname="Ann")]
    )
    assert result.status is WriteStatus.ok
    assert "left at HubSpot's 'customer'" in (result.message or "")
    stored = emulator.contact_by_email("ann.lee@example.com") or {}
    assert (stored["lifecyclestage"], stored["firstname"]) == ("customer", "Ann")


def test_a_refused_write_keeps_hubspots_reason_even_when_its_stage_was_left_alone(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_contacts([{"email": "c@example.com", "lifecyclestage": "customer"}])
    [result] = connect(emulator).write_leads(
        [_write("c@example.com", lifecyclestage="lead", hs_lead_status="Qualified")]
    )
    assert result.status is WriteStatus.rejected
    assert (result.message or "").startswith(
        "VALIDATION_ERROR: hs_lead_status: Qualified was not one of"
    )
