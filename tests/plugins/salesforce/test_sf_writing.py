"""Writing: collections of ≤ 200, bulk above the threshold, per-record errors, locks,
converted leads, and the API budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_support import make_connector

from funnelsync.connector import BudgetExhaustedError, LeadWrite, WriteStatus
from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator


def _leads(emulator: SalesforceEmulator, count: int) -> list[str]:
    return [
        emulator.org.add_lead(LastName=f"L{n}", Email=f"l{n}@example.com") for n in range(count)
    ]


def _scores(ids: list[str], score: int = 70) -> list[LeadWrite]:
    return [
        LeadWrite(f"l{n}@example.com", lead, {"Funnel_Score__c": score})
        for n, lead in enumerate(ids)
    ]


def test_updates_go_in_collections_of_at_most_200(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    ids = _leads(emulator, 450)
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results] == [WriteStatus.ok] * 450
    assert [r.record_id for r in results] == ids
    assert emulator.org.calls["collections_update"] == 3
    assert connector.calls.write == 3
    assert emulator.org.get(ids[-1])["Funnel_Score__c"] == 70.0


def test_new_leads_are_matched_by_email_first_so_a_rerun_never_duplicates(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    write = LeadWrite(
        "o'brien@example.com", None, {"LastName": "O'Brien", "Email": "O'Brien@example.com"}
    )
    [created] = connector.write_leads([write])
    assert created.status is WriteStatus.ok
    assert emulator.org.get(str(created.record_id))["Company"] == "[not provided]"
    [again] = connector.write_leads([write])
    assert again.record_id == created.record_id
    assert emulator.org.ids("Lead") == [created.record_id]
    assert emulator.org.calls["collections_create"] == 1
    assert emulator.org.calls["collections_update"] == 1


def test_new_leads_are_upserted_by_the_external_id_when_configured(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    emulator.org.add_field("Lead", "Funnel_Key__c", "string", external_id=True, unique=True)
    connector = make_connector(emulator, tmp_path, external_id_field="Funnel_Key__c")
    writes = [
        LeadWrite(f"p{n}@example.com", None, {"Email": f"p{n}@example.com"}) for n in range(3)
    ]
    first = connector.write_leads(writes)
    second = connector.write_leads(writes)
    assert [r.record_id for r in first] == [r.record_id for r in second]
    assert len(emulator.org.ids("Lead")) == 3
    assert emulator.org.get(str(first[0].record_id))["Funnel_Key__c"] == "p0@example.com"
    assert emulator.org.calls["collections_upsert"] == 2
    assert emulator.org.calls["query"] == 0


def test_above_the_threshold_writes_go_through_bulk_api_with_per_record_results(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    connector = make_connector(emulator, tmp_path, bulk_threshold=5)
    ids = _leads(emulator, 8)
    emulator.org.inject_error(ids[3], "UNABLE_TO_LOCK_ROW")
    writes = _scores(ids)
    writes[5] = LeadWrite("l5@example.com", ids[5], {"Status": "Bogus"})
    writes.append(
        LeadWrite("new@example.com", None, {"LastName": "New", "Email": "new@example.com"})
    )
    results = connector.write_leads(writes)
    statuses = [r.status for r in results]
    assert statuses.count(WriteStatus.ok) == 8
    assert results[5].status is WriteStatus.rejected
    assert results[5].message == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Status: bad value for restricted picklist field: "
        "Bogus (fields: Status)"
    )
    assert results[3].status is WriteStatus.ok  # locked in the job, saved on the retry
    assert results[8].record_id in emulator.org.ids("Lead")
    assert emulator.org.calls["bulk_create"] == 2  # one update job, one insert job
    assert emulator.org.calls["collections_update"] == 1
    assert emulator.org.calls["bulk_results"] == 6


@pytest.mark.parametrize(
    ("code", "fields", "detail"),
    [
        (
            "REQUIRED_FIELD_MISSING",
            {"LastName": None},
            "Required fields are missing: [LastName] (fields: LastName)",
        ),
        (
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            {"Status": "Hot lead"},
            "Status: bad value for restricted picklist field: Hot lead (fields: Status)",
        ),
        (
            "DUPLICATE_VALUE",
            {"Partner_Code__c": "P-1"},
            "duplicate value found: Partner_Code__c duplicates value on record with id: 00Q",
        ),
        (
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            {"Title": "Student"},
            "Students are not leads (fields: Title)",
        ),
    ],
)
def test_per_record_errors_are_rejected_with_salesforces_message(
    connector: SalesforceConnector,
    emulator: SalesforceEmulator,
    code: str,
    fields: dict[str, object],
    detail: str,
) -> None:
    org = emulator.org
    org.add_field("Lead", "Partner_Code__c", "string", unique=True)
    org.add_validation_rule(
        "Lead", lambda r: r.get("Title") == "Student", "Students are not leads", "Title"
    )
    org.add_lead(LastName="Holder", Partner_Code__c="P-1")
    target, other = _leads(emulator, 2)
    results = connector.write_leads(
        [
            LeadWrite("l0@example.com", target, fields),
            LeadWrite("l1@example.com", other, {"Title": "CFO"}),
        ]
    )
    assert results[0].status is WriteStatus.rejected
    assert str(results[0].message).startswith(f"{code}: {detail}")
    assert results[1].status is WriteStatus.ok
    assert emulator.org.get(other)["Title"] == "CFO"


def test_a_locked_row_is_retried_then_saved(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    waits: list[float] = []
    connector.sleep = waits.append
    ids = _leads(emulator, 3)
    emulator.org.inject_error(ids[1], "UNABLE_TO_LOCK_ROW", times=2)
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results] == [WriteStatus.ok] * 3
    assert emulator.org.calls["collections_update"] == 3
    assert len(waits) == 2


def test_a_row_that_stays_locked_is_left_for_a_later_run(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    ids = _leads(emulator, 2)
    emulator.org.inject_error(ids[0], "UNABLE_TO_LOCK_ROW", times=10)
    results = connector.write_leads(_scores(ids))
    assert results[0].status is WriteStatus.retryable
    assert "UNABLE_TO_LOCK_ROW" in str(results[0].message)
    assert results[1].status is WriteStatus.ok
    assert emulator.org.calls["collections_update"] == 3  # lock_retries


def test_writes_to_a_converted_lead_go_to_its_contact(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    lead = emulator.org.add_lead(LastName="Ruiz", Email="ana@example.com", Country="Spain")
    contact = emulator.org.convert_lead(lead)
    changes = {"Funnel_Score__c": 90, "Status": "Working - Contacted", "Country": "Portugal"}
    [result] = connector.write_leads([LeadWrite("ana@example.com", lead, changes)])
    assert (result.status, result.record_id) == (WriteStatus.ok, contact)
    saved = emulator.org.get(contact)
    assert (saved["Funnel_Score__c"], saved["MailingCountry"]) == (90.0, "Portugal")
    assert emulator.org.get(lead)["Status"] == "Closed - Converted"
    [only_lead_fields] = connector.write_leads(
        [LeadWrite("ana@example.com", contact, {"Company": "X"})]
    )
    assert only_lead_fields.status is WriteStatus.ok
    assert "nothing to write on the Contact" in str(only_lead_fields.message)


def test_request_limit_exceeded_stops_without_retrying(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    ids = _leads(emulator, 2)
    emulator.org.set_api_usage(15_000, 15_000)
    with pytest.raises(BudgetExhaustedError, match="REQUEST_LIMIT_EXCEEDED"):
        connector.write_leads(_scores(ids))
    assert emulator.org.calls["collections_update"] == 1


def test_writing_stops_at_the_configured_share_of_funnelsyncs_own_calls(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    ids = _leads(emulator, 450)
    connector.check()  # logged in, Lead and Contact described
    own = connector.api.budget.own
    # The share (50%) of this allowance leaves room for exactly two collections of 200.
    emulator.org.set_api_usage(0, 2 * (own + 2))
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results].count(WriteStatus.ok) == 400
    assert results[-1].status is WriteStatus.held
    assert f"funnelsync made {own + 2} calls in the last 24 hours" in str(results[-1].message)
    with pytest.raises(BudgetExhaustedError, match="up to 50%"):
        connector.write_leads(_scores(ids[:1]))
    assert emulator.org.calls["collections_update"] == 2


def test_other_integrations_usage_does_not_count_against_the_share(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    ids = _leads(emulator, 450)
    emulator.org.set_api_usage(56_000, 100_000)  # 56% used by others; the share is 50%
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results].count(WriteStatus.ok) == 450


def test_writing_stops_below_the_org_floor(emulator: SalesforceEmulator, tmp_path: Path) -> None:
    ids = _leads(emulator, 450)
    connector = make_connector(emulator, tmp_path, org_floor=1000)
    emulator.org.set_api_usage(0, 10_000)
    connector.check()
    # Others used 8999: after one collection of 200 the org has 1000 calls left (the
    # floor), after the second 999, so the third is held.
    emulator.org.set_api_usage(8999, 10_000)
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results].count(WriteStatus.ok) == 400
    assert results[-1].status is WriteStatus.held
    assert "the org has 999 of its 10000 daily calls left, below org_floor 1000" in str(
        results[-1].message
    )
    connector.close()


def test_an_id_that_is_neither_lead_nor_contact_is_rejected(connector: SalesforceConnector) -> None:
    [result] = connector.write_leads(
        [LeadWrite("x@example.com", "001000000000001AAA", {"Title": "X"})]
    )
    assert result.status is WriteStatus.rejected
    assert "not a Lead (00Q…) or Contact (003…) id" in str(result.message)


def test_a_call_salesforce_refused_still_counts_so_a_spent_budget_then_holds_the_rest(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    ids = _leads(emulator, 450)
    probe = make_connector(emulator, tmp_path / "probe")
    probe.check()
    checking = probe.api.budget.own  # the calls a check makes
    # The share (50%) of this allowance leaves room for one call after the check.
    emulator.org.set_api_usage(0, 2 * (checking + 1))
    connector = make_connector(emulator, tmp_path / "workspace")
    connector.check()
    emulator.fail_next(1, path="composite/sobjects", status=400, method="PATCH")
    results = connector.write_leads(_scores(ids))
    assert [r.status for r in results[:200]] == [WriteStatus.rejected] * 200
    assert "400 UNKNOWN_EXCEPTION" in str(results[0].message)
    assert [r.status for r in results[200:]] == [WriteStatus.held] * 250
    assert "up to 50%" in str(results[-1].message)


def test_a_new_lead_is_matched_to_the_live_lead_not_to_the_converted_one_of_that_email(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    live = emulator.org.add_lead(LastName="Ruiz", Email="ana@example.com")
    contact = emulator.org.convert_lead(
        emulator.org.add_lead(LastName="Ruiz", Email="ana@example.com")
    )
    [result] = connector.write_leads([LeadWrite("ana@example.com", None, {"Title": "CFO"})])
    assert (result.status, result.record_id) == (WriteStatus.ok, live)
    assert emulator.org.get(live)["Title"] == "CFO"
    assert emulator.org.get(contact)["Title"] != "CFO"


def test_a_blank_required_field_of_a_new_lead_gets_its_create_default(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    fields = {"LastName": "Ng", "Email": "ng@example.com", "Company": ""}
    [result] = connector.write_leads([LeadWrite("ng@example.com", None, fields)])
    assert result.status is WriteStatus.ok
    assert emulator.org.get(str(result.record_id))["Company"] == "[not provided]"
