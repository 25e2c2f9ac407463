"""The emulator answering as Salesforce documents it (issues 13.8 and 15.4), and the connector
against those answers: relationship fields and Event in SOQL, sObject Collections failure
items without an ``id``, a real org's Lead describe, and a Contact two Leads were converted
into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sf_support import PASSWORD, TOKEN, USERNAME, make_connector, read_all
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from funnelsync.connector import LeadWrite, WriteStatus
from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.plugins.salesforce.settings import Endpoint
from funnelsync.plugins.salesforce.transport import SalesforceSession
from funnelsync.run_report import ApiCalls


def _client(emulator: SalesforceEmulator) -> Salesforce:
    session = SalesforceSession(
        ApiCalls(), lambda used, total: None, Endpoint("login", emulator.base_url)
    )
    return Salesforce(
        username=USERNAME, password=PASSWORD, security_token=TOKEN, session=session, version="62.0"
    )


def test_owner_name_is_a_nested_user_record(emulator: SalesforceEmulator) -> None:
    emulator.org.add_lead(LastName="Lovelace", Email="ada@example.com")
    sf = _client(emulator)

    [row] = sf.query("SELECT Id, Owner.Name, CreatedBy.Name FROM Lead")["records"]

    owner = row["Owner"]
    assert owner["attributes"]["type"] == "Name"  # polymorphic: a User or a Queue
    assert owner["attributes"]["url"].endswith("/sobjects/User/005000000000001AAA")
    assert owner["Name"] == "Integration User"
    assert row["CreatedBy"]["attributes"]["type"] == "User"
    assert row["CreatedBy"]["Name"] == "Integration User"
    with pytest.raises(SalesforceMalformedRequest, match=r"No such column 'Owner\.Nme'"):
        sf.query("SELECT Id, Owner.Nme FROM Lead")


def test_events_are_queried_with_their_person_through_who(emulator: SalesforceEmulator) -> None:
    org = emulator.org
    lead = org.add_lead(LastName="Lovelace", Email="ada@example.com")
    org.add_event(lead, Subject="Product demo")
    sf = _client(emulator)

    [row] = sf.query("SELECT Id, Subject, Who.Email, Owner.Name FROM Event WHERE WhoId != null")[
        "records"
    ]

    assert row["attributes"]["type"] == "Event"
    assert (row["Subject"], row["Who"]["Email"]) == ("Product demo", "ada@example.com")
    assert row["Who"]["attributes"]["type"] == "Name"  # polymorphic: a Lead or a Contact
    assert f"/sobjects/Lead/{lead}" in row["Who"]["attributes"]["url"]
    assert row["Owner"]["Name"] == "Integration User"


def _update(sf: Salesforce, records: list[dict[str, Any]]) -> Any:
    body = {"allOrNone": False, "records": records}
    return sf.restful("composite/sobjects", method="PATCH", json=body)


@pytest.mark.parametrize("echo", [False, True])
def test_a_failed_collections_item_carries_an_id_only_with_the_knob(
    emulator: SalesforceEmulator, echo: bool
) -> None:
    org = emulator.org
    org.echo_failure_ids = echo
    good, bad = org.add_lead(LastName="Good"), org.add_lead(LastName="Bad")
    org.inject_error(bad, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Title is required")
    sf = _client(emulator)

    answer = _update(
        sf,
        [
            {"attributes": {"type": "Lead"}, "id": good, "Title": "CTO"},
            {"attributes": {"type": "Lead"}, "id": bad, "Title": "CEO"},
        ],
    )

    assert answer[0] == {"id": good, "success": True, "errors": []}
    assert answer[1]["success"] is False
    assert ("id" in answer[1]) is echo
    assert answer[1]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"


@pytest.mark.parametrize("echo", [False, True])
def test_write_results_follow_the_request_order_whatever_the_failure_items_hold(
    emulator: SalesforceEmulator, connector: SalesforceConnector, echo: bool
) -> None:
    org = emulator.org
    org.echo_failure_ids = echo
    ids = [org.add_lead(LastName=f"Lead {n}", Email=f"l{n}@example.com") for n in range(4)]
    org.inject_error(ids[1], "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Score is locked")
    org.inject_error(ids[2], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "bad value", ("Status",))
    writes = [
        LeadWrite(f"l{n}@example.com", record_id, {"Funnel_Score__c": 10 + n})
        for n, record_id in enumerate(ids)
    ]

    results = connector.write_leads(writes)

    assert [r.key for r in results] == [w.key for w in writes]
    assert [r.status for r in results] == [
        WriteStatus.ok,
        WriteStatus.rejected,
        WriteStatus.rejected,
        WriteStatus.ok,
    ]
    assert [r.record_id for r in results] == ids
    assert results[1].message == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Score is locked"
    assert results[2].message is not None and "(fields: Status)" in results[2].message
    assert [org.get(i)["Funnel_Score__c"] for i in ids] == [10, None, None, 13]


REAL_ORG_LEAD_FIELDS = {
    # name: type, from the recorded describe / Avro schema of real orgs (see schema._lead)
    "Salutation": "picklist",
    "Street": "textarea",
    "Latitude": "double",
    "Longitude": "double",
    "GeocodeAccuracy": "picklist",
    "Fax": "phone",
    "PhotoUrl": "url",
    "LastViewedDate": "datetime",
    "LastReferencedDate": "datetime",
    "LastTransferDate": "date",
    "Jigsaw": "string",
    "JigsawContactId": "string",
    "CleanStatus": "picklist",
    "CompanyDunsNumber": "string",
    "DandbCompanyId": "reference",
    "EmailBouncedReason": "string",
    "EmailBouncedDate": "datetime",
    "IndividualId": "reference",
    "IsPriorityRecord": "boolean",
    "HasOptedOutOfFax": "boolean",
}


def test_the_lead_describe_has_a_real_org_s_standard_fields(
    emulator: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    lead = emulator.org.add_lead(LastName="Lovelace", Street="1 Main St\nSuite 2")

    infos = {info.name: info for info in connector.describe_fields()}
    [record] = read_all(connector.read_leads(None)).records

    standard = [name for name in infos if not name.endswith("__c")]
    assert len(standard) == 59
    assert {name: infos[name].type for name in REAL_ORG_LEAD_FIELDS} == REAL_ORG_LEAD_FIELDS
    assert infos["CleanStatus"].restricted and "Pending" in infos["CleanStatus"].picklist
    assert not infos["PhotoUrl"].writable
    assert record.fields["Street"] == "1 Main St\nSuite 2"
    assert record.fields["CleanStatus"] == "Pending"
    assert record.record_id == lead
    assert not infos["LastTransferDate"].writable
    assert record.fields["LastTransferDate"] is None


def test_a_lead_s_last_transfer_date_is_the_day_its_owner_changed(
    emulator: SalesforceEmulator,
) -> None:
    org = emulator.org
    lead = org.add_lead(LastName="Lovelace")
    org.update(lead, Title="CTO")
    assert org.get(lead)["LastTransferDate"] is None
    rep = org.insert("User", Username="rep@example.com", LastName="Rep", Email="rep@example.com")
    org.update(lead, OwnerId=rep)
    assert org.get(lead)["LastTransferDate"] == org.now().date().isoformat()


@pytest.mark.parametrize("read_contacts", [False, True])
def test_a_contact_two_leads_were_converted_into_is_presented_once(
    emulator: SalesforceEmulator, tmp_path: Path, read_contacts: bool
) -> None:
    connector = make_connector(emulator, tmp_path, read_contacts=read_contacts)
    org = emulator.org
    first = org.add_lead(LastName="Lovelace", Email="ada@example.com")
    second = org.add_lead(LastName="Lovelace", Email="ada.lovelace@example.com")
    contact = org.convert_lead(first)
    assert org.convert_lead(second, contact_id=contact) == contact
    org.add_lead(LastName="Open", Email="open@example.com")

    try:
        records = read_all(connector.read_leads(None)).records
    finally:
        connector.close()

    assert sorted(r.record_id for r in records if r.record_id.startswith("003")) == [contact]
    assert len(records) == 2
    [person] = [r for r in records if r.record_id == contact]
    assert person.fields["IsConverted"] is True
    assert person.fields["ConvertedLeadId"] in (first, second)
