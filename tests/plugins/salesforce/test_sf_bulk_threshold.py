"""Which API a write uses: sObject Collections up to ``bulk_threshold`` records, Bulk API 2.0
above it (docs/connectors/salesforce.md: "A write of more records than this goes through
Bulk API 2.0")."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_support import make_connector

from funnelsync.connector import LeadWrite, WriteStatus
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator

THRESHOLD = 5


@pytest.mark.parametrize(
    ("count", "bulk_jobs", "collection_calls"),
    [(THRESHOLD - 1, 0, 1), (THRESHOLD, 0, 1), (THRESHOLD + 1, 1, 0)],
    ids=["threshold-1", "threshold", "threshold+1"],
)
def test_exactly_bulk_threshold_records_use_collections_one_more_uses_bulk(
    emulator: SalesforceEmulator,
    tmp_path: Path,
    count: int,
    bulk_jobs: int,
    collection_calls: int,
) -> None:
    org = emulator.org
    ids = [org.add_lead(LastName=f"L{n}", Email=f"l{n}@example.com") for n in range(count)]
    connector = make_connector(emulator, tmp_path, bulk_threshold=THRESHOLD)
    writes = [
        LeadWrite(f"l{n}@example.com", lead, {"Funnel_Score__c": 70}) for n, lead in enumerate(ids)
    ]
    results = connector.write_leads(writes)
    assert [r.status for r in results] == [WriteStatus.ok] * count
    assert (org.calls["bulk_create"], org.calls["collections_update"]) == (
        bulk_jobs,
        collection_calls,
    )
    assert all(org.get(lead)["Funnel_Score__c"] == 70.0 for lead in ids)
