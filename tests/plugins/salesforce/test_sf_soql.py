"""SOQL built from data is escaped: a value never breaks a query or changes its meaning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sf_support import PASSWORD, TOKEN, USERNAME, make_connector
from simple_salesforce.format import format_soql

from funnelsync.connector import LeadWrite, WriteStatus
from funnelsync.mapping import read_lead
from funnelsync.plugins.salesforce import SalesforceConnector, soql
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.plugins.salesforce.emulator.soql import Comparison, Logical, parse
from funnelsync.plugins.salesforce.mapping import DEFAULT_MAPPING
from funnelsync.plugins.salesforce.reading import pages

TRICKY = st.sampled_from(
    ["O'Brien", "x' OR Id != '", "\\", "\\'", "a\\' OR LastName != 'b", '"', "%_\n\t", "') OR ('"]
)
VALUES = TRICKY | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
)


@given(value=VALUES)
def test_a_quoted_value_parses_back_to_itself(value: str) -> None:
    where = format_soql("LastName = {} AND IsDeleted = false", value)
    query = parse(f"SELECT Id FROM Lead WHERE {where}")
    assert query.where == Logical(
        "and", (Comparison("LastName", "=", value), Comparison("IsDeleted", "=", False))
    )


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SalesforceEmulator, SalesforceConnector]]:
    with SalesforceEmulator() as emulator:
        emulator.org.add_user(USERNAME, PASSWORD, TOKEN)
        connector = make_connector(emulator, tmp_path_factory.mktemp("soql"))
        yield emulator, connector
        connector.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=VALUES, other=VALUES)
def test_an_in_list_of_values_finds_exactly_the_records_with_them(
    shared: tuple[SalesforceEmulator, SalesforceConnector], name: str, other: str
) -> None:
    emulator, connector = shared
    target = emulator.org.add_lead(LastName=name)
    emulator.org.add_lead(LastName=name + "~")
    wanted = {name.casefold(), other.casefold()}
    queries = soql.matching("Lead", ("Id", "LastName"), "LastName", [name, other])
    rows = [row for query in queries for page in pages(connector.api, query) for row in page]
    assert target in [row["Id"] for row in rows]
    assert {row["LastName"].casefold() for row in rows} <= wanted


def test_an_obrien_with_a_quote_in_the_email_syncs(connector: SalesforceConnector) -> None:
    email = "sean.o'brien@example.com"
    write = LeadWrite(email, None, {"LastName": "O'Brien", "FirstName": "Seán", "Email": email})
    [created] = connector.write_leads([write])
    assert created.status is WriteStatus.ok
    [again] = connector.write_leads([write])
    assert again.record_id == created.record_id
    records = [record for batch in connector.read_leads(None) for record in batch.records]
    leads = [read_lead(DEFAULT_MAPPING, record.fields) for record in records]
    assert [(lead.last_name, lead.email) for lead in leads] == [("O'Brien", email)]
