"""Two Leads converted into one existing Contact: the Contact is presented once per read."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_support import make_connector, read_all

from funnelsync.plugins.salesforce.emulator import SalesforceEmulator


@pytest.mark.parametrize("page_size", [2000, 1], ids=["one-page", "a-page-per-lead"])
@pytest.mark.parametrize("read_contacts", [False, True], ids=["leads", "leads-and-contacts"])
def test_a_contact_reached_through_two_converted_leads_is_presented_once(
    emulator: SalesforceEmulator, tmp_path: Path, page_size: int, read_contacts: bool
) -> None:
    org = emulator.org
    web = org.add_lead(LastName="Ruiz", Email="ana@example.com", Company="Acme")
    event = org.add_lead(LastName="Ruiz", Email="ana.ruiz@example.com", Company="Acme")
    contact = org.convert_lead(web)
    assert org.convert_lead(event, contact_id=contact) == contact
    other = org.add_lead(LastName="Lee", Email="lee@example.com", Company="Initech")
    org.query_batch_size = page_size
    connector = make_connector(emulator, tmp_path, read_contacts=read_contacts)
    read = read_all(connector.read_leads(None))
    assert sorted(read.ids) == sorted([contact, other])
    [record] = [r for r in read.records if r.record_id == contact]
    assert record.fields["Email"] == "ana@example.com"
