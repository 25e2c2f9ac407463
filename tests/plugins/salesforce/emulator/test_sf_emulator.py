"""The emulator as simple-salesforce sees it: Salesforce's shapes, paging, limits and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sf_support import PASSWORD, TOKEN, USERNAME
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest

from funnelsync.plugins.salesforce.emulator import EmulatorError, SalesforceEmulator
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


def test_query_pages_follow_next_records_url_given_as_a_path(emulator: SalesforceEmulator) -> None:
    emulator.org.query_batch_size = 2
    for number in range(5):
        emulator.org.add_lead(LastName=f"Lead {number}")
    sf = _client(emulator)
    first = sf.query("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert first["totalSize"] == 5
    assert first["done"] is False
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    names = [
        row["LastName"]
        for row in sf.query_all_iter("SELECT LastName FROM Lead ORDER BY LastName DESC")
    ]
    assert names == [f"Lead {n}" for n in (4, 3, 2, 1, 0)]
    assert first["records"][0]["attributes"]["type"] == "Lead"


def test_soql_strings_escapes_and_case_insensitive_equality(emulator: SalesforceEmulator) -> None:
    emulator.org.add_lead(LastName="O'Brien", Email="O'Brien@Example.com")
    emulator.org.add_lead(LastName='Back\\slash "quoted"')
    sf = _client(emulator)
    found = sf.query("SELECT LastName FROM Lead WHERE Email = 'o\\'brien@example.com'")
    assert [row["LastName"] for row in found["records"]] == ["O'Brien"]
    found = sf.query("SELECT LastName FROM Lead WHERE LastName = 'Back\\\\slash \\\"quoted\\\"'")
    assert found["totalSize"] == 1


def test_datetime_literals_in_and_limit(emulator: SalesforceEmulator) -> None:
    org = emulator.org
    org.set_time(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    early = org.add_lead(LastName="Early")
    org.advance(60)
    late = [org.add_lead(LastName=f"Late {n}") for n in range(3)]
    sf = _client(emulator)
    since = "SELECT Id FROM Lead WHERE SystemModstamp >= 2025-03-01T10:01:00+01:00"
    assert [r["Id"] for r in sf.query(since + " ORDER BY Id")["records"]] == late
    before = "SELECT Id FROM Lead WHERE SystemModstamp < 2025-03-01T09:01:00Z"
    assert [r["Id"] for r in sf.query(before)["records"]] == [early]
    picked = sf.query(
        f"SELECT Id FROM Lead WHERE Id IN ('{early}', '{late[2]}') ORDER BY Id DESC LIMIT 1"
    )
    assert [r["Id"] for r in picked["records"]] == [late[2]]


@pytest.mark.parametrize(
    ("soql", "code", "text"),
    [
        ("SELECT Id FROM Lead WHERE LastName = 'open", "MALFORMED_QUERY", "unterminated"),
        ("SELECT Id FROM Lead WHERE LastName = 'a\\q'", "MALFORMED_QUERY", "escape"),
        (
            "SELECT Id FROM Lead WHERE IsDeleted = false AND Id > 'a' OR Id < 'b'",
            "MALFORMED_QUERY",
            "OR",
        ),
        (
            "SELECT Id FROM Lead WHERE SystemModstamp > '2024-01-01T00:00:00Z'",
            "INVALID_FIELD",
            "dateTime",
        ),
        ("SELECT Nope__c FROM Lead", "INVALID_FIELD", "No such column 'Nope__c'"),
        ("SELECT Id FROM Nope", "INVALID_TYPE", "Nope"),
    ],
)
def test_bad_queries_are_refused_like_salesforce(
    emulator: SalesforceEmulator, soql: str, code: str, text: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _client(emulator).query(soql)
    assert caught.value.content[0]["errorCode"] == code
    assert text in caught.value.content[0]["message"]


def test_every_response_carries_the_limit_header_and_the_allowance_runs_out(
    emulator: SalesforceEmulator,
) -> None:
    sf = _client(emulator)
    emulator.org.set_api_usage(9, 10)
    sf.query("SELECT Id FROM Lead")
    assert sf.api_usage["api-usage"].used == 10
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_an_expired_session_answers_401_with_a_json_array(emulator: SalesforceEmulator) -> None:
    sf = _client(emulator)
    emulator.org.expire_sessions()
    sf.restful("sobjects/Lead/describe")  # simple-salesforce reads [0]["errorCode"], logs in again
    assert emulator.org.calls["soap_login"] == 2
    raw = sf.session.get(sf.base_url + "limits/", headers={"Authorization": "Bearer stale"})
    assert raw.status_code == 401
    assert raw.headers["WWW-Authenticate"] == "Token"
    assert raw.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_collections_are_capped_at_200_records(emulator: SalesforceEmulator) -> None:
    sf = _client(emulator)
    records = [{"attributes": {"type": "Lead"}, "LastName": "X", "Company": "Y"}] * 201
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert emulator.org.ids("Lead") == []


def test_all_or_none_rolls_back_every_record(emulator: SalesforceEmulator) -> None:
    sf = _client(emulator)
    records = [
        {"attributes": {"type": "Lead"}, "LastName": "Fine", "Company": "Acme"},
        {"attributes": {"type": "Lead"}, "LastName": "No company"},
    ]
    answer = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
    )
    assert [r["errors"][0]["statusCode"] for r in answer] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "REQUIRED_FIELD_MISSING",
    ]
    assert emulator.org.ids("Lead") == []


def test_a_converted_lead_is_read_only_and_its_activities_move_to_the_contact(
    emulator: SalesforceEmulator,
) -> None:
    org = emulator.org
    lead = org.add_lead(LastName="Ng", Email="ng@example.com", Company="Acme", Funnel_Score__c=40)
    task = org.add_task(lead, TaskSubtype="Call")
    contact = org.convert_lead(lead)
    assert org.get(lead)["ConvertedContactId"] == contact
    assert org.get(contact)["Funnel_Score__c"] == 40.0
    assert org.get(task)["WhoId"] == contact
    update = [{"attributes": {"type": "Lead"}, "id": lead, "Title": "CEO"}]
    answer = _client(emulator).restful(
        "composite/sobjects", method="PATCH", json={"records": update}
    )
    assert answer[0]["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    with pytest.raises(EmulatorError):
        org.convert_lead(lead)


def test_bulk_ingest_reports_per_record_results(emulator: SalesforceEmulator) -> None:
    sf = _client(emulator)
    good = emulator.org.add_lead(LastName="Good")
    rows = [{"Id": good, "Rating": "Hot"}, {"Id": good[:-3] + "ZZZ", "Rating": "Hot"}]
    [job] = sf.bulk2.Lead.update(records=rows, wait=0)
    assert (job["numberRecordsProcessed"], job["numberRecordsFailed"]) == (2, 1)
    assert good in sf.bulk2.Lead.get_successful_records(job["job_id"])
    failed = sf.bulk2.Lead.get_failed_records(job["job_id"])
    header = failed.splitlines()[0].split(",")
    assert header[:2] == ['"sf__Id"', '"sf__Error"']
    assert sorted(header[2:]) == ['"Id"', '"Rating"']
    assert "MALFORMED_ID:" in failed
    assert emulator.org.calls["bulk_upload"] == 1


def test_oauth_password_grant_errors_are_oauth_objects(emulator: SalesforceEmulator) -> None:
    emulator.org.add_connected_app("app-key", consumer_secret="app-secret")
    session = SalesforceSession(
        ApiCalls(), lambda used, total: None, Endpoint("login", emulator.base_url)
    )
    sf = Salesforce(
        username=USERNAME,
        password=PASSWORD + TOKEN,
        consumer_key="app-key",
        consumer_secret="app-secret",
        session=session,
    )
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0
    answer = session.post(
        "https://login.salesforce.com/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "app-key",
            "client_secret": "app-secret",
            "username": USERNAME,
            "password": "wrong",
        },
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "authentication failure"},
    )
