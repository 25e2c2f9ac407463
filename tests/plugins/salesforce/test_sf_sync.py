"""Whole syncs between the Salesforce emulator (sales) and a CSV marketing system, through
the real engine: what lands where, converted leads, disqualifications, the API budget,
and names and emails with quotes. Last, the read cursor's boundary second, which these
syncs showed losing changes (a record changed again within the second it was read in)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sf_support import read_all
from sf_sync_support import (
    CONFIG,
    EXTERNAL_ID,
    REASON_FIELD,
    config_with,
    hot,
    make_setup,
    writes,
)

from funnelsync.plugins.salesforce import SalesforceConnector, cursors
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace


def _grace(org: Org, **fields: Any) -> str:
    """A Lead sales already has: fit 55 (senior title, target industry, mid-market, core)."""
    return org.add_lead(
        **{
            "FirstName": "Grace",
            "LastName": "Hopper",
            "Email": "grace@bank.example.com",
            "Title": "Head of Engineering",
            "Company": "First Bank",
            "Industry": "Financial Services",
            "NumberOfEmployees": 900,
            "Country": "Canada",
            **fields,
        }
    )


def test_status_score_and_explanation_land_in_salesforce_and_a_second_run_writes_nothing(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    grace = _grace(org)
    ada = org.add_lead(LastName="Lovelace", Company="Mercy Hospital", Email="Ada@Mercy.example.com")
    marketing = [hot("ada@mercy.example.com"), hot("kid@uni.example.edu", title="Student")]
    setup = make_setup(tmp_path, emulator, monkeypatch, marketing, ["ada@mercy.example.com"])

    first = setup.run()

    assert first.status.value == "ok", first.notes
    stored = org.get(ada)
    assert stored["Funnel_Stage__c"] == "MQL"  # the contract's value for this connection
    assert stored["Funnel_Fit_Score__c"] == 55
    assert stored["Funnel_Engagement_Score__c"] > 30  # the demo request, a little decayed
    assert stored["Funnel_Score__c"] == (
        stored["Funnel_Fit_Score__c"] + stored["Funnel_Engagement_Score__c"]
    )
    assert stored["Funnel_Explanation__c"].startswith("MQL since ")
    assert "demo request" in stored["Funnel_Explanation__c"]
    assert "Senior title +20" in stored["Funnel_Explanation__c"]
    assert (stored["FirstName"], stored["Title"]) == ("Ada", "VP Operations")
    assert stored["Status"] == "Open - Not Contacted"  # sales owns the Lead Status
    assert setup.leads_with_email("kid@uni.example.edu") == []  # no MQL: not created
    assert (org.get(grace)["Funnel_Stage__c"], org.get(grace)["Funnel_Score__c"]) == ("Lead", 55)
    assert setup.marketing_row("grace@bank.example.com")["stage"] == "lead"
    assert setup.marketing_row("ada@mercy.example.com")["lead_status"] == "Open - Not Contacted"
    assert first.leads == 3
    assert (first.connections["sales"].created, first.connections["sales"].updated) == (0, 2)

    second = setup.run()

    assert second.status.value == "ok", second.notes
    assert writes(second) == {"marketing": 0, "sales": 0}
    assert second.leads == 3


STATUS_STAGE_VALUES = {
    "Subscriber": "Open - Not Contacted",
    "Lead": "Open - Not Contacted",
    "MQL": "Marketing Qualified",
    "SAL": "Working - Contacted",
    "SQL": "Qualified",
    "Customer": "Closed - Converted",
    "Recycled": "Open - Not Contacted",
    "Disqualified": "Closed - Not Converted",
}


def test_the_stage_can_be_written_as_the_lead_status_from_the_contract_stage_map(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    status = org.schema("Lead").find("Status")
    assert status is not None  # the admin adds the org's statuses for the funnel
    status.picklist = (*status.picklist, "Marketing Qualified", "Qualified")
    working = _grace(org, Status="Working - Contacted")  # sales is working her
    config = CONFIG + "        stage: Status\n"
    setup = make_setup(
        tmp_path,
        emulator,
        monkeypatch,
        [hot("ada@mercy.example.com")],
        ["ada@mercy.example.com"],
        config,
    )
    contract = (tmp_path / "contract.yaml").read_text("utf-8")
    for ours, org_status in STATUS_STAGE_VALUES.items():
        contract = contract.replace(f"sales: {ours}}}", f"sales: {org_status}}}")
    (tmp_path / "contract.yaml").write_text(contract, "utf-8")
    setup.workspace = load_workspace(tmp_path / "funnelsync.yaml", setup.plugins)
    sales = setup.workspace.connections[1]
    opened = sales.open(tmp_path)
    assert opened.validate_mapping(sales.mapping) == []  # every stage value is a status
    opened.close()

    first = setup.run()

    assert first.status.value == "ok", first.notes
    [ada] = setup.leads_with_email("ada@mercy.example.com")
    assert ada["Status"] == "Marketing Qualified"
    assert ada["Funnel_Explanation__c"].startswith("MQL since ")
    assert org.get(working)["Status"] == "Working - Contacted"  # the SAL value: unchanged
    assert setup.marketing_row("grace@bank.example.com")["stage"] == "salesacceptedlead"
    setup.run()  # marketing learns the Status Salesforce now holds
    assert writes(setup.run()) == {"marketing": 0, "sales": 0}


def test_a_lead_created_in_salesforce_brings_back_its_default_status_at_once_and_its_owner_next(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(
        tmp_path, emulator, monkeypatch, [hot("ada@mercy.example.com")], ["ada@mercy.example.com"]
    )

    first = setup.run()

    [created] = setup.leads_with_email("ada@mercy.example.com")
    assert (created["Funnel_Stage__c"], created["LastName"]) == ("MQL", "Lovelace")
    assert created["Funnel_Explanation__c"].startswith("MQL since ")
    assert created["Status"] == "Open - Not Contacted"  # the org's default, given on create
    assert first.connections["sales"].created == 1
    # Salesforce's describe names the default, so marketing learns it in the same run.
    assert setup.marketing_row("ada@mercy.example.com")["lead_status"] == "Open - Not Contacted"

    # The owner is Salesforce's choice on create (the running user, or an assignment rule),
    # known only once read back: marketing learns it in the second run, and only it.
    second = setup.run()

    assert writes(second) == {"marketing": 1, "sales": 0}  # our own writes never echo back
    assert setup.marketing_row("ada@mercy.example.com")["owner"] == created["OwnerId"]
    assert second.connections["marketing"].updated == 1
    assert writes(setup.run()) == {"marketing": 0, "sales": 0}


def test_leads_created_in_salesforce_get_its_default_status_in_every_chunk_of_persons(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hot_emails = [f"ada{n}@mercy.example.com" for n in range(5)]
    cold = [hot(f"bob{n}@mercy.example.com", title="Student") for n in range(5)]
    rows = [row for pair in zip([hot(e) for e in hot_emails], cold, strict=True) for row in pair]
    setup = make_setup(tmp_path, emulator, monkeypatch, rows, hot_emails)

    # Two persons a chunk: the creates (and the persons they change) are in five chunks.
    report = run_sync(setup.workspace, setup.plugins, persons_per_chunk=2).report

    assert report.connections["sales"].created == 5
    for email in hot_emails:  # each learnt in this run, whichever chunk planned its create
        assert setup.marketing_row(email)["lead_status"] == "Open - Not Contacted"
    assert setup.marketing_row("bob0@mercy.example.com")["lead_status"] == ""


def test_a_converted_lead_and_its_contact_stay_one_person(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    converted_before = org.convert_lead(_grace(org))  # converted before funnelsync ever ran
    marketing = [
        hot("ada@mercy.example.com"),
        hot("grace@bank.example.com", first_name="Grace", last_name="Hopper"),
    ]
    setup = make_setup(tmp_path, emulator, monkeypatch, marketing, ["ada@mercy.example.com"])

    first = setup.run()

    assert first.status.value == "ok", first.notes
    assert first.leads == 2
    assert org.get(converted_before)["Funnel_Stage__c"] == "Customer"  # written on the Contact
    assert setup.marketing_row("grace@bank.example.com")["stage"] == "customer"
    assert len(setup.leads_with_email("grace@bank.example.com")) == 1  # no new Lead for her
    [ada] = setup.leads_with_email("ada@mercy.example.com")
    setup.run()

    contact = org.convert_lead(ada["Id"])  # sales converts the MQL funnelsync created
    third = setup.run()

    assert third.status.value == "ok", third.notes
    assert third.leads == 2
    assert [row["email"] for row in setup.marketing_rows()].count("ada@mercy.example.com") == 1
    row = setup.marketing_row("ada@mercy.example.com")
    assert (row["stage"], row["lead_status"]) == ("customer", "Closed - Converted")
    assert org.get(contact)["Funnel_Stage__c"] == "Customer"
    assert org.get(contact)["Funnel_Score__c"] == ada["Funnel_Score__c"]
    assert org.get(ada["Id"])["Funnel_Stage__c"] == "MQL"  # the converted Lead is read-only
    assert third.connections["sales"].created == 0
    assert len(setup.leads_with_email("ada@mercy.example.com")) == 1
    assert org.ids("Contact") == [converted_before, contact]
    assert writes(setup.run()) == {"marketing": 0, "sales": 0}


def test_a_disqualification_in_salesforce_reaches_marketing_with_its_reason_in_one_run(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    # One frozen second: the lead is created, read back and disqualified with the same
    # SystemModstamp, so the change sits on the read cursor's boundary.
    org.set_time(datetime.now(UTC))
    setup = make_setup(
        tmp_path, emulator, monkeypatch, [hot("ada@mercy.example.com")], ["ada@mercy.example.com"]
    )
    setup.run()
    setup.run()
    [lead] = setup.leads_with_email("ada@mercy.example.com")
    assert setup.marketing_row("ada@mercy.example.com")["stage"] == "marketingqualifiedlead"

    reason = "No budget until next fiscal year"
    org.update(lead["Id"], Status="Closed - Not Converted", **{REASON_FIELD: reason})
    report = setup.run()

    assert report.status.value == "ok", report.notes
    row = setup.marketing_row("ada@mercy.example.com")
    assert row["stage"] == "other"  # the disqualified detour's marketing value
    assert row["lead_status"] == "Closed - Not Converted"
    assert row["status_reason"] == reason
    assert row["stage_reason"].endswith(f"reason: {reason}")
    assert row["team"] == "sales"
    assert row["explanation"].startswith("Disqualified since ")
    assert org.get(lead["Id"])["Funnel_Stage__c"] == "Disqualified"
    assert report.stages["disqualified"] == 1
    assert writes(setup.run()) == {"marketing": 0, "sales": 0}


def test_writing_stops_at_the_daily_budget_share_and_the_next_run_finishes(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    org.add_field("Lead", EXTERNAL_ID, "string", external_id=True, unique=True)
    emails = [f"mql{n:03d}@mercy.example.com" for n in range(450)]
    setup = make_setup(
        tmp_path,
        emulator,
        monkeypatch,
        [hot(email) for email in emails],
        emails,
        config_with(f"external_id_field: {EXTERNAL_ID}"),
    )
    # What the run's reads cost, measured on a plan (which reads exactly as a sync does,
    # and whose calls count as funnelsync's own too): leave room for the plan's, the
    # sync's and two collections of 200, then the 50% share is reached.
    org.set_api_usage(0, 1000)
    run_sync(setup.workspace, setup.plugins, dry_run=True)
    reads = org.api_used
    own = 2 * reads + 2
    org.set_api_usage(20, 2 * own)  # others used 20 (over half): they do not count

    stopped = setup.run()

    assert stopped.status.value == "partial"
    assert stopped.connections["sales"].created == 400
    assert stopped.connections["sales"].api_calls.write == 2
    assert stopped.connections["sales"].quarantined == 0  # held, not refused
    assert org.calls["collections_upsert"] == 2
    assert len(org.ids("Lead")) == 400
    budget = f"API budget reached: funnelsync made {own} calls in the last 24 hours"
    assert any(
        note.startswith(f"sales: stopped writing: {budget}") and "up to 50%" in note
        for note in stopped.notes
    ), stopped.notes
    errors = CliRunner().invoke(
        main, ["errors", "--json", "--config", str(tmp_path / "funnelsync.yaml")]
    )
    held = [entry["reason"] for entry in json.loads(errors.output)["quarantined"]]
    assert len(held) == 50
    assert all(reason.startswith(f"held: {budget}") for reason in held), held[:1]

    # A day later, funnelsync's own calls have left the rolling 24 hours,
    ledger = tmp_path / "state" / "salesforce-usage-sales.json"
    counts = json.loads(ledger.read_text("utf-8"))["calls_per_hour"]
    day_before = {str(int(hour) - 24): calls for hour, calls in counts.items()}
    ledger.write_text(json.dumps({"calls_per_hour": day_before}), "utf-8")
    org.set_api_usage(0)  # and so have the org's
    finished = setup.run()

    assert finished.status.value == "ok", finished.notes
    assert finished.connections["sales"].created == 50
    assert finished.connections["sales"].api_calls.write == 1
    stored = [org.get(lead) for lead in org.ids("Lead")]
    assert sorted(str(lead["Email"]) for lead in stored) == emails
    assert {lead["Funnel_Stage__c"] for lead in stored} == {"MQL"}
    assert writes(setup.run())["sales"] == 0  # marketing learns the last 50 leads' Status
    assert writes(setup.run()) == {"marketing": 0, "sales": 0}


def test_check_shows_the_orgs_usage_funnelsyncs_own_and_whether_the_next_sync_may_write(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(
        tmp_path, emulator, monkeypatch, [hot("ada@mercy.example.com")], ["ada@mercy.example.com"]
    )
    emulator.org.set_api_usage(56_000, 100_000)  # other integrations: 56%, over the share
    config = ["check", "--config", str(tmp_path / "funnelsync.yaml")]

    checked = CliRunner().invoke(main, config)

    assert "the org has used 56" in checked.output
    assert "funnelsync" in checked.output and "its share: up to 50%" in checked.output
    assert "the next sync may write" in checked.output
    report = setup.run()
    assert report.status.value == "ok"
    assert report.connections["sales"].created == 1

    floor = config_with("org_floor: 50000")
    (tmp_path / "funnelsync.yaml").write_text(floor, "utf-8")
    checked = CliRunner().invoke(main, config)

    assert "the next sync would not write to Salesforce" in checked.output
    assert "below org_floor 50000" in checked.output


def test_names_and_emails_with_quotes_sync_both_ways(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    sean = org.add_lead(
        FirstName="Seán",
        LastName="O'Brien",
        Email="o'brien@example.com",
        Title="Chief Nursing Officer",
        Company="St. Mary's",
        Industry="Healthcare",
        NumberOfEmployees=2500,
        Country="Ireland",
    )
    for _ in range(3):
        org.add_event(sean, Subject="Discovery call")
    lookalike = org.add_lead(LastName="Darcy", Email="darcy@example.com", Company="Pemberley")
    marketing = [hot("d'arcy@example.com", first_name="Fitzwilliam", last_name="D'Arcy")]
    setup = make_setup(tmp_path, emulator, monkeypatch, marketing, ["d'arcy@example.com"])

    first = setup.run()

    assert first.status.value == "ok", first.notes
    row = setup.marketing_row("o'brien@example.com")
    assert (row["first_name"], row["last_name"]) == ("Seán", "O'Brien")
    assert row["company"] == "St. Mary's"
    assert row["stage"] == "marketingqualifiedlead"
    assert org.get(sean)["Funnel_Stage__c"] == "MQL"
    [darcy] = setup.leads_with_email("d'arcy@example.com")
    assert (darcy["FirstName"], darcy["LastName"]) == ("Fitzwilliam", "D'Arcy")
    assert darcy["Funnel_Stage__c"] == "MQL"
    assert org.get(lookalike)["LastName"] == "Darcy"  # a quote never widened a query
    assert first.leads == 3

    setup.run()  # the new lead's default Status comes back to marketing
    last = setup.run()

    assert writes(last) == {"marketing": 0, "sales": 0}
    assert last.leads == 3
    assert len(setup.leads_with_email("d'arcy@example.com")) == 1
    assert [r["email"] for r in setup.marketing_rows()].count("o'brien@example.com") == 1


# --- the read cursor's boundary second ---------------------------------------------------

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_changes_within_the_second_of_the_cursor_are_read(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    org.set_time(T0)
    first, second = (org.add_lead(LastName=f"L{n}", Email=f"l{n}@example.com") for n in (1, 2))
    read = read_all(connector.read_leads(None))
    assert read.ids == [first, second]
    assert read_all(connector.read_leads(read.cursor)).ids == []

    org.update(first, Title="VP Sales")  # same second, an Id below the last one read
    again = read_all(connector.read_leads(read.cursor))

    assert again.ids == [first]
    assert again.records[0].fields["Title"] == "VP Sales"
    assert read_all(connector.read_leads(again.cursor)).ids == []


def test_a_crowded_boundary_second_is_read_again_rather_than_remembered(
    connector: SalesforceConnector, emulator: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cursors, "MAX_SEEN", 2)
    org = emulator.org
    org.set_time(T0)
    crowd = [org.add_lead(LastName=f"L{n}", Email=f"l{n}@example.com") for n in range(3)]
    read = read_all(connector.read_leads(None))
    assert '"seen":null' in str(read.cursor)

    assert read_all(connector.read_leads(read.cursor)).ids == crowd  # once more, never lost
    org.advance(1)
    late = org.add_lead(LastName="Late", Email="late@example.com")
    moved = read_all(connector.read_leads(read.cursor))
    assert moved.ids == [*crowd, late]
    assert read_all(connector.read_leads(moved.cursor)).ids == []


def test_a_version_1_cursor_still_reads_from_its_second(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    org.set_time(T0)
    lead = org.add_lead(LastName="Old", Email="old@example.com")
    position = {"stamp": "2025-03-01T09:00:00Z", "id": lead}
    old_cursor = json.dumps({"v": 1, "after": {"Lead": position}})
    read = read_all(connector.read_leads(old_cursor))
    assert read.ids == [lead]  # its boundary second once more
    assert read_all(connector.read_leads(read.cursor)).ids == []


def test_stage_values_the_org_lacks_stop_the_sync_before_any_write(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CONFIG + "        stage: Status\n"  # the template's stage values are no statuses
    setup = make_setup(
        tmp_path,
        emulator,
        monkeypatch,
        [hot("ada@mercy.example.com")],
        ["ada@mercy.example.com"],
        config,
    )
    before = (tmp_path / "marketing.csv").read_bytes()
    result = CliRunner().invoke(main, ["sync", "--config", str(tmp_path / "funnelsync.yaml")])
    assert result.exit_code == 2, result.output
    assert "the mapping does not fit the system" in result.output
    assert "'MQL'" in result.output and "Lead.Status" in result.output
    assert (tmp_path / "marketing.csv").read_bytes() == before
    assert setup.leads_with_email("ada@mercy.example.com") == []


def test_a_write_the_org_refuses_makes_the_run_partial_with_the_orgs_message(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    org.add_lead(LastName="Lovelace", Company="Mercy Hospital", Email="ada@mercy.example.com")
    org.add_validation_rule(
        "Lead", lambda lead: lead.get("Funnel_Stage__c") == "MQL", "No MQLs without a phone"
    )
    setup = make_setup(
        tmp_path, emulator, monkeypatch, [hot("ada@mercy.example.com")], ["ada@mercy.example.com"]
    )

    report = setup.run()

    assert report.status.value == "partial"
    assert report.connections["sales"].refused == 1
    assert report.status_rule.startswith("1 writes refused by the system (sales 1)")
    result = CliRunner().invoke(main, ["sync", "--config", str(setup.root / "funnelsync.yaml")])
    assert result.exit_code == 4, result.output  # refused again: sales still lacks the MQL


def test_request_limit_exceeded_before_reading_ends_partial_and_marketing_is_still_written(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    ada = org.add_lead(LastName="Lovelace", Company="Mercy Hospital", Email="ada@mercy.example.com")
    setup = make_setup(
        tmp_path, emulator, monkeypatch, [hot("ada@mercy.example.com")], ["ada@mercy.example.com"]
    )
    org.set_api_usage(1000, 1000)  # the org's daily allowance is used up

    stopped = run_sync(setup.workspace, setup.plugins).report

    assert stopped.status.value == "partial", stopped.status_rule
    assert "sales: stopped reading: Salesforce refused the call" in stopped.status_rule
    assert "REQUEST_LIMIT_EXCEEDED" in stopped.status_rule
    assert stopped.connections["marketing"].updated == 1  # marketing still gets its scores
    assert setup.marketing_row("ada@mercy.example.com")["stage"] == "marketingqualifiedlead"
    assert org.get(ada).get("Funnel_Stage__c") in (None, "")

    org.set_api_usage(0)  # a new day
    resumed = setup.run()

    assert resumed.status.value == "ok", resumed.status_rule
    assert org.get(ada)["Funnel_Stage__c"] == "MQL"


def test_a_run_whose_every_record_is_unusable_failed(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    for name in ("Lovelace", "Hopper", "Turing"):
        org.add_lead(LastName=name, Company="No Email Inc")
    setup = make_setup(tmp_path, emulator, monkeypatch, [])

    report = run_sync(setup.workspace, setup.plugins).report

    assert report.status.value == "failed", report.status_rule
    assert report.status_rule.startswith("nothing could be read or written (3 of 3 rows read")
    result = CliRunner().invoke(main, ["sync", "--config", str(setup.root / "funnelsync.yaml")])
    assert result.exit_code == 0  # nothing new to read: the bad records wait in quarantine
