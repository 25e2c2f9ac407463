"""`plan` foresees the writes Salesforce will refuse (a value outside a restricted
picklist, text longer than the field) per record, and exits as the sync then does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sf_sync_support import CONFIG, hot, make_setup

from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.sync.cli.main import main

ADA, BOB, CARL = "ada@mercy.example.com", "bob@mercy.example.com", "carl@mercy.example.com"
LONG_TITLE = "Vice President of Clinical Operations"  # 37 characters


def _cli(command: str, root: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [command, "--config", str(root / "funnelsync.yaml"), *more])
    return result.exit_code, result.output


def test_plan_lists_each_write_salesforce_will_refuse_and_exits_4_as_the_sync_does(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.org
    org.add_field("Lead", "Country_Code__c", "picklist", picklist=("United States", "Canada"))
    org.set_picklist("Lead", "Country_Code__c", restricted=True)
    org.add_field("Lead", "Short_Title__c", "string", length=20)
    config = CONFIG + "        country: Country_Code__c\n        title: Short_Title__c\n"
    setup = make_setup(
        tmp_path,
        emulator,
        monkeypatch,
        [hot(ADA, country="Atlantis"), hot(BOB, title=LONG_TITLE), hot(CARL)],
        [ADA, BOB, CARL],
        config,
    )

    code, output = _cli("plan", tmp_path)
    assert code == 4, output
    assert (
        f"refused {ADA}: Country_Code__c (country): 'Atlantis' is not a value of this "
        "restricted picklist (United States, Canada)" in output
    )
    assert f"refused {BOB}: Short_Title__c (title): 37 characters, more than the 20" in output
    assert "sales: 1 to create, 0 to update" in output and "2 would be refused" in output
    code, output = _cli("plan", tmp_path, "--json")
    assert code == 4
    sales = json.loads(output.strip().splitlines()[-1])["connections"]["sales"]
    assert sales["refused"] == 2 and sales["created"] == 1
    assert {r["email"]: r["action"] for r in sales["rejected"]} == {ADA: "create", BOB: "create"}
    assert org.ids("Lead") == []  # plan wrote nothing

    code, output = _cli("sync", tmp_path, "--json")
    assert code == 4, output
    report = json.loads(output.strip().splitlines()[-1])
    assert report["connections"]["sales"]["refused"] == 2
    assert [lead["Email"] for lead in map(org.get, org.ids("Lead"))] == [CARL]
    errors = json.loads(_cli("errors", tmp_path, "--json")[1])["quarantined"]
    reasons = " ".join(entry["reason"] for entry in errors)
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in reasons and "STRING_TOO_LONG" in reasons
    assert setup.leads_with_email(CARL)


def test_plan_of_a_sync_that_would_go_through_exits_0(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_setup(tmp_path, emulator, monkeypatch, [hot(ADA)], [ADA])
    code, output = _cli("plan", tmp_path)
    assert code == 0, output
    assert "refused" not in output
