"""A person without email created in Salesforce (keys ``[email, prospect_id]``).

Salesforce's Lead needs ``LastName`` and ``Company``, not ``Email`` (crm-api-facts.md,
"Lead ... Required: LastName, Company"), so such a person is created, carries its
prospect id in the field the mapping names, and is linked back to the same person on the
next read. Where the Salesforce mapping holds none of the person's identity keys, the Lead
could never be linked back: that create is one clear per-record rejection instead.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sf_sync_support import CONFIG, TEMPLATES

from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.sync.cli.main import main

PROSPECT_FIELD = "Prospect_Id__c"
WEEK_AGO = (datetime.now(UTC) - timedelta(days=7)).replace(microsecond=0).isoformat()
TWO_DAYS_AGO = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0).isoformat()


def _row(email: str, prospect: str, last_name: str) -> dict[str, str]:
    """A marketing row that scores fit 55 (senior title, target industry, mid-market, US)."""
    return {
        "prospect_id": prospect,
        "email": email,
        "first_name": "Ada",
        "last_name": last_name,
        "title": "VP Operations",
        "company": "Mercy Hospital",
        "industry": "Healthcare",
        "company_size": "1200",
        "country": "United States",
        "updated_at": WEEK_AGO,
    }


def _workspace(root: Path, emulator: SalesforceEmulator, sales_maps_prospect: bool) -> Path:
    config = (
        CONFIG.replace(
            "connections:\n", "identity: {keys: [email, prospect_id]}\nconnections:\n", 1
        )
        .replace(
            "leads: {path: marketing.csv,",
            "leads: {key_column: prospect_id, path: marketing.csv,",
            1,
        )
        .replace(
            "      activities: {path: activities.csv, id_column: activity_id}\n",
            "      activities: {path: activities.csv, id_column: activity_id}\n"
            "    mapping:\n"
            "      lead_fields: {prospect_id: prospect_id}\n"
            "      lead_key: {key: prospect_id, field: prospect_id}\n"
            "      activity_fields: {email: null}\n",
            1,
        )
    )
    if sales_maps_prospect:
        config += f"        prospect_id: {PROSPECT_FIELD}\n"
    (root / "funnelsync.yaml").write_text(config, "utf-8")
    contract = (TEMPLATES / "contract.yaml").read_text("utf-8")
    contract += "\nattributes:\n  prospect_id: {type: text}\n"
    (root / "contract.yaml").write_text(contract, "utf-8")
    rows = [_row("ada@mercy.example.com", "P-1", "Lovelace"), _row("", "P-2", "Noemail")]
    with (root / "marketing.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (root / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["activity_id", "prospect_id", "type", "occurred_at"])
        writer.writerow(["a1", "P-1", "demo_request", TWO_DAYS_AGO])
        writer.writerow(["a2", "P-2", "demo_request", TWO_DAYS_AGO])
    emulator.org.add_field("Lead", "Unqualified_Reason__c", "string", length=255)
    if sales_maps_prospect:
        emulator.org.add_field("Lead", PROSPECT_FIELD, "string", length=40)
    return root / "funnelsync.yaml"


def _sync(config: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def _leads(emulator: SalesforceEmulator) -> list[dict[str, object]]:
    return [emulator.org.get(lead_id) for lead_id in emulator.org.ids("Lead")]


def test_a_person_without_email_is_created_with_its_key_and_linked_back(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_TEST_URL", emulator.base_url)
    config = _workspace(tmp_path, emulator, sales_maps_prospect=True)

    code, report = _sync(config)

    assert (code, report["status"]) == (0, "ok"), report
    by_prospect = {lead[PROSPECT_FIELD]: lead for lead in _leads(emulator)}
    assert sorted(by_prospect) == ["P-1", "P-2"]
    noemail = by_prospect["P-2"]
    assert noemail["Email"] in (None, "")
    assert (noemail["LastName"], noemail["Company"]) == ("Noemail", "Mercy Hospital")
    assert noemail["Funnel_Stage__c"] == "MQL"

    code, again = _sync(config)

    assert (code, again["leads"]) == (0, 2)  # read back as the same two people
    sales = again["connections"]["sales"]  # type: ignore[index]
    assert (sales["read"], sales["created"], sales["updated"], sales["quarantined"]) == (
        2,
        0,
        0,
        0,
    )
    assert len(_leads(emulator)) == 2


def test_a_person_without_email_is_rejected_where_the_mapping_holds_none_of_its_keys(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_TEST_URL", emulator.base_url)
    config = _workspace(tmp_path, emulator, sales_maps_prospect=False)

    code, report = _sync(config)

    assert (code, report["status"]) == (4, "partial"), report
    assert report["connections"]["sales"]["refused"] == 1  # type: ignore[index]
    assert [lead["Email"] for lead in _leads(emulator)] == ["ada@mercy.example.com"]
    errors = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    [entry] = json.loads(errors.output)["quarantined"]
    assert (entry["connection"], entry["kind"]) == ("sales", "write")
    assert entry["reason"] == (
        "rejected: sales maps none of this person's identity keys (prospect_id:P-2): a "
        "record created there could not be linked back. Map prospect_id in "
        "connections.sales.mapping.lead_fields"
    )
    marketing = {
        row["prospect_id"]: row for row in csv.DictReader((tmp_path / "marketing.csv").open())
    }
    assert marketing["P-2"]["stage"] == "marketingqualifiedlead"  # the rest goes through
