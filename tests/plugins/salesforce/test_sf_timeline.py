"""Significant activities as completed Tasks through sObject Collections, against the
emulator's Task validation and each per-record failure Salesforce documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sf_support import make_connector, read_all

from funnelsync.connector import ActivityWrite, WriteStatus
from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator

REF_FIELD = "Funnelsync_Ref__c"
WHEN = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def _with_ref_field(emulator: SalesforceEmulator) -> None:
    emulator.org.add_field("Task", REF_FIELD, "string", length=40)


def _write(
    ref: str, who: str, kind: str = "form_fill", campaign: str | None = "Q4 Webinar"
) -> ActivityWrite:
    return ActivityWrite(
        ref=ref,
        record_id=who,
        email="ann@example.com",
        type=kind,
        label="Form submitted",
        occurred_at=WHEN,
        campaign=campaign,
        asset="demo-request-form",
        subject=f"Form submitted: {campaign} (funnelsync)",
        description=f"Form submitted on 2026-11-20 15:30 UTC.\nCampaign: {campaign}",
    )


def _tasks(emulator: SalesforceEmulator) -> list[dict[str, object]]:
    return [t for t in emulator.org.table("Task").values() if t.get(REF_FIELD)]


def test_a_task_is_created_completed_on_the_lead_with_its_reference(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    _with_ref_field(emulator)
    lead = emulator.org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    [result] = connector.write_activities([_write("funnelsync-1", lead)])
    assert result.status is WriteStatus.ok and result.key == "funnelsync-1"
    [task] = _tasks(emulator)
    assert task["Id"] == result.record_id
    assert task["WhoId"] == lead and task["Status"] == "Completed" and task["IsClosed"]
    assert task["Subject"] == "Form submitted: Q4 Webinar (funnelsync)"
    assert str(task["ActivityDate"]) == "2026-11-20"
    assert task["Type"] == "Other"
    assert "Campaign: Q4 Webinar" in str(task["Description"])
    # Reading activities leaves funnelsync's own Task out; a sales rep's Task is read.
    call = emulator.org.add_task(lead, Subject="Intro call", TaskSubtype="Call")
    ids = read_all(connector.read_activities(None)).ids
    assert call in ids and result.record_id not in ids
    assert connector.find_activities(["funnelsync-1", "funnelsync-2"]) == {
        "funnelsync-1": result.record_id
    }


def test_tasks_go_out_200_to_a_collections_call(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    _with_ref_field(emulator)
    lead = emulator.org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    before = emulator.org.calls["collections_create"]
    results = connector.write_activities([_write(f"funnelsync-{n}", lead) for n in range(250)])
    assert [r.status for r in results] == [WriteStatus.ok] * 250
    assert [r.key for r in results] == [f"funnelsync-{n}" for n in range(250)]
    assert emulator.org.calls["collections_create"] - before == 2
    assert len(_tasks(emulator)) == 250


def test_each_refusal_is_per_record_and_the_rest_land(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    _with_ref_field(emulator)
    org = emulator.org
    ok = org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    locked = org.add_lead(LastName="Bo", Company="Acme", Email="bo@example.com")
    deleted = org.add_lead(LastName="Cy", Company="Acme", Email="cy@example.com")
    org.delete(deleted)
    org.inject_error(locked, "UNABLE_TO_LOCK_ROW")
    writes = [
        _write("r-ok", ok),
        _write("r-locked", locked),
        _write("r-deleted", deleted),
        _write("r-unknown", "00Q000000000999AAA"),
        _write("r-account", "001000000000001AAA"),
    ]
    results = {r.key: r for r in connector.write_activities(writes)}
    assert results["r-ok"].status is WriteStatus.ok
    assert results["r-locked"].status is WriteStatus.retryable
    assert "UNABLE_TO_LOCK_ROW" in str(results["r-locked"].message)
    assert results["r-deleted"].status is WriteStatus.rejected
    assert str(results["r-deleted"].message).startswith("ENTITY_IS_DELETED")
    assert results["r-unknown"].status is WriteStatus.rejected
    assert str(results["r-unknown"].message).startswith("INVALID_CROSS_REFERENCE_KEY")
    assert str(results["r-account"].message).startswith("FIELD_INTEGRITY_EXCEPTION")
    assert [t["WhoId"] for t in _tasks(emulator)] == [ok]


def test_a_type_the_orgs_picklist_refuses_is_rejected_and_a_mapped_one_lands(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    _with_ref_field(emulator)
    emulator.org.set_picklist("Task", "Type", ("Call", "Email", "Meeting"), restricted=True)
    lead = emulator.org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    plain = make_connector(emulator, tmp_path)
    [refused] = plain.write_activities([_write("r-1", lead)])
    assert refused.status is WriteStatus.rejected
    assert str(refused.message).startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    mapped = make_connector(emulator, tmp_path, tasks={"task_types": {"form_fill": "Email"}})
    [landed] = mapped.write_activities([_write("r-1", lead)])
    assert landed.status is WriteStatus.ok
    assert [t["Type"] for t in _tasks(emulator)] == ["Email"]
    plain.close()
    mapped.close()


def test_a_task_for_a_converted_lead_goes_on_its_contact(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    _with_ref_field(emulator)
    org = emulator.org
    lead = org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    contact = org.convert_lead(lead, "Closed - Converted")
    [result] = connector.write_activities([_write("r-1", lead)])
    assert result.status is WriteStatus.ok
    assert [t["WhoId"] for t in _tasks(emulator)] == [contact]


def test_a_failed_call_is_retryable_and_a_missing_field_is_rejected(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    lead = emulator.org.add_lead(LastName="Ann", Company="Acme", Email="ann@example.com")
    [no_field] = connector.write_activities([_write("r-1", lead)])
    assert no_field.status is WriteStatus.rejected
    assert str(no_field.message).startswith("INVALID_FIELD")
    assert any(REF_FIELD in message for message in connector.check().messages)
    _with_ref_field(emulator)
    emulator.fail_next(1, path="composite/sobjects", status=503, method="POST")
    [failed] = connector.write_activities([_write("r-1", lead)])
    assert failed.status is WriteStatus.retryable
    assert _tasks(emulator) == []
