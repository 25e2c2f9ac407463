"""Reading: pages, cursors at tied timestamps, converted leads, contacts, deletions, activities."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sf_support import make_connector, read_all

from funnelsync.mapping import FieldMap, Mapping, read_activity, read_lead
from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.plugins.salesforce.mapping import DEFAULT_MAPPING

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_reads_every_page_through_next_records_url(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    emulator.org.query_batch_size = 3
    ids = [emulator.org.add_lead(LastName=f"L{n}", Email=f"l{n}@example.com") for n in range(8)]
    read = read_all(connector.read_leads(None))
    assert [len(batch.records) for batch in read.batches] == [3, 3, 2]
    assert sorted(read.ids) == sorted(ids)
    assert all(batch.cursor for batch in read.batches)
    assert (emulator.org.calls["query"], emulator.org.calls["query_more"]) == (1, 2)
    assert connector.calls.read == 1 + 1 + 3  # login, describe, three pages
    assert connector.calls.write == 0


def test_ties_at_the_cursor_are_neither_lost_nor_read_twice(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    org.set_time(T0)
    org.query_batch_size = 2
    first = [org.add_lead(LastName=f"Tie {n}", Email=f"tie{n}@example.com") for n in range(5)]
    read = read_all(connector.read_leads(None))
    assert read.ids == first
    after_first_page = read.batches[0].cursor
    assert read_all(connector.read_leads(after_first_page)).ids == first[2:]
    assert read_all(connector.read_leads(read.cursor)).ids == []
    late = org.add_lead(LastName="Same second", Email="late@example.com")
    org.advance(1)
    org.update(first[0], Title="VP Sales")
    again = read_all(connector.read_leads(read.cursor))
    assert again.ids == [late, first[0]]
    assert read_all(connector.read_leads(again.cursor)).ids == []


def test_a_converted_lead_is_one_person_presented_as_its_contact(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    org = emulator.org
    lead = org.add_lead(
        FirstName="Ana",
        LastName="Ruiz",
        Email="ana@example.com",
        Company="Acme",
        NumberOfEmployees=250,
        Country="Spain",
        Funnel_Score__c=55,
    )
    contact = org.convert_lead(lead)
    connector = make_connector(emulator, tmp_path, read_contacts=True)
    read = read_all(connector.read_leads(None))
    assert read.ids == [contact]
    fields = read.records[0].fields
    assert fields["Email"] == "ana@example.com"
    assert (fields["Company"], fields["NumberOfEmployees"], fields["Country"]) == (
        "Acme",
        250,
        "Spain",
    )
    assert (fields["Status"], fields["IsConverted"], fields["ConvertedLeadId"]) == (
        "Closed - Converted",
        True,
        lead,
    )
    assert fields["Funnel_Score__c"] == 55  # Salesforce sends 55.0
    assert f"converted from Lead {lead}" in read.records[0].location
    lead_view = read_lead(DEFAULT_MAPPING, fields)
    assert (lead_view.email, lead_view.lead_status, lead_view.score) == (
        "ana@example.com",
        "Closed - Converted",
        55,
    )
    org.advance(5)
    org.update(contact, Title="CTO")
    changed = read_all(connector.read_leads(read.cursor))
    assert changed.ids == [contact]
    assert changed.records[0].fields["Status"] == "Closed - Converted"


def test_contacts_are_read_when_asked(emulator: SalesforceEmulator, tmp_path: Path) -> None:
    emulator.org.add_contact(LastName="Lee", Email="lee@example.com", MailingCountry="Canada")
    assert read_all(make_connector(emulator, tmp_path).read_leads(None)).records == []
    [record] = read_all(
        make_connector(emulator, tmp_path, read_contacts=True).read_leads(None)
    ).records
    assert (record.fields["Country"], record.fields["Status"], record.fields["IsConverted"]) == (
        "Canada",
        None,
        False,
    )


def test_deletions_are_tombstones_from_query_all(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    keep = org.add_lead(LastName="Keep", Email="keep@example.com")
    gone = org.add_lead(LastName="Gone", Email="gone@example.com")
    merged = org.add_contact(LastName="Dup", Email="dup@example.com")
    survivor = org.add_contact(LastName="Dup", Email="dup@example.com")
    org.delete(gone)
    org.delete(merged, master_id=survivor)
    assert read_all(connector.read_leads(None)).ids == [keep]
    deleted = read_all(connector.read_deletions(None))
    assert deleted.ids == [gone, merged]
    assert deleted.records[0].fields["IsDeleted"] is True
    assert deleted.records[0].fields["Email"] == "gone@example.com"
    assert deleted.records[1].fields["MasterRecordId"] == survivor
    assert (emulator.org.calls["query"], emulator.org.calls["queryAll"]) == (1, 2)
    assert read_all(connector.read_deletions(deleted.cursor)).ids == []


def test_tasks_events_and_campaign_responses_are_activities(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    lead = org.add_lead(LastName="Ito", Email="ito@example.com")
    call = org.add_task(lead, TaskSubtype="Call", Subject="Discovery call")
    email = org.add_task(lead, TaskSubtype="Email", Subject="Follow-up")
    org.add_task(lead, Status="Not Started", Subject="Open task")
    meeting = org.add_event(lead, StartDateTime=datetime(2025, 3, 4, 15, 0, tzinfo=UTC))
    webinar = org.add_campaign("Spring webinar", Type="Webinar")
    responded = org.add_campaign_member(webinar, lead, Status="Responded")
    org.add_campaign_member(org.add_campaign("Newsletter", Type="Email"), lead)
    read = read_all(connector.read_activities(None))
    assert read.ids == [call, email, meeting, responded]
    activities = [read_activity(DEFAULT_MAPPING, record.fields) for record in read.records]
    assert [a.type for a in activities] == ["call", "sales_email", "meeting", "webinar_attended"]
    assert {a.email for a in activities} == {"ito@example.com"}
    assert activities[2].occurred_at == datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
    assert (activities[3].campaign, activities[0].asset) == ("Spring webinar", "Discovery call")
    assert read_all(connector.read_activities(read.cursor)).ids == []


def test_describe_lists_fields_with_picklist_values(connector: SalesforceConnector) -> None:
    fields = {field.name: field for field in connector.describe_fields()}
    assert fields["Status"].picklist[0] == "Open - Not Contacted"
    assert "Funnel_Score__c" in fields
    assert not fields["IsConverted"].writable


def test_check_says_which_fields_to_create(emulator: SalesforceEmulator, tmp_path: Path) -> None:
    connector = make_connector(
        emulator,
        tmp_path,
        fields={"stage_dates": {"mql": "Funnel_MQL_Date__c"}},
        external_id_field="Funnel_Key__c",
    )
    result = connector.check()
    assert not result.ok
    lead_advice = next(m for m in result.messages if m.startswith("Lead lacks"))
    assert "Object Manager → Lead → Fields & Relationships" in lead_advice
    assert "Funnel_MQL_Date__c: Date/Time" in lead_advice
    assert "Funnel_Key__c: Text(255), Unique, External ID" in lead_advice
    assert any(m.startswith("Contact lacks") and "Funnel_MQL_Date__c" in m for m in result.messages)


def test_mapped_picklist_values_are_validated_against_the_org(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    stages = ("Marketing Qualified", "Sales Qualified")
    emulator.org.add_field("Lead", "Funnel_Stage__c", "picklist", picklist=stages, restricted=True)
    stage = FieldMap(field="Funnel_Stage__c", values={"mql": "Marketing Qualified", "sql": "SQL"})
    mapping = DEFAULT_MAPPING.overlay(
        Mapping(
            lead_fields={
                "stage": stage,
                "title": FieldMap(field="Job_Title__c"),
                "owner": "IsConverted",
            }
        )
    )
    problems = connector.validate_mapping(mapping)
    assert any("'SQL' not among the active values of Lead.Funnel_Stage__c" in p for p in problems)
    assert any("Lead has no field 'Job_Title__c'" in p for p in problems)
    assert any("Lead.IsConverted is read-only" in p for p in problems)
    assert connector.validate_mapping(DEFAULT_MAPPING) == []
