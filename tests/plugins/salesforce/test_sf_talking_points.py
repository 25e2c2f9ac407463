"""Talking points in Salesforce: the default mapping writes them to the Text(255) field
``Funnel_Talking_Points__c`` (``fields.talking_points``), cut to its 255 characters;
`check` names the field to create when the org lacks it; ``talking_points: null`` opts out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sf_support import FUNNEL_FIELDS, PASSWORD, TOKEN, USERNAME
from sf_sync_support import CONFIG, SyncSetup, config_with, hot, make_setup

from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.loading import load_workspace

ADA = "ada@mercy.example.com"
FIELD = "Funnel_Talking_Points__c"


@pytest.fixture
def bare_org() -> Iterator[SalesforceEmulator]:
    """An org with every funnel field but the talking points one."""
    with SalesforceEmulator() as running:
        running.org.add_user(USERNAME, PASSWORD, TOKEN)
        for sobject in ("Lead", "Contact"):
            for name, (kind, length) in FUNNEL_FIELDS.items():
                if name != FIELD:
                    running.org.add_field(sobject, name, kind, length=length)
        yield running


def _with_mql_points(setup: SyncSetup, points: list[str]) -> None:
    """Give the contract's MQL stage ``points`` and load the workspace again."""
    path = setup.root / "contract.yaml"
    contract = yaml.safe_load(path.read_text("utf-8"))
    next(stage for stage in contract["stages"] if stage["name"] == "mql")["talking_points"] = points
    path.write_text(yaml.safe_dump(contract), "utf-8")
    setup.workspace = load_workspace(setup.root / "funnelsync.yaml", setup.plugins)


def test_an_mqls_points_land_in_the_field(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(tmp_path, emulator, monkeypatch, [hot(ADA)], [ADA])
    _with_mql_points(setup, ["Ask about their rollout", "Offer the ROI calculator"])

    assert setup.run().status.value == "ok"

    [lead] = setup.leads_with_email(ADA)
    assert lead["Funnel_Stage__c"] == "MQL"
    assert lead[FIELD] == "Ask about their rollout · Offer the ROI calculator"


def test_points_longer_than_the_field_are_cut_to_its_255_characters(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(tmp_path, emulator, monkeypatch, [hot(ADA)], [ADA])
    points = ["Walk them through " + "every step of the rollout plan " * 10, "Offer a call"]
    _with_mql_points(setup, points)

    report = setup.run()

    assert report.status.value == "ok", report.status_rule  # the org refuses 256 characters
    [lead] = setup.leads_with_email(ADA)
    assert len(lead[FIELD]) == 255
    assert lead[FIELD] == (points[0].strip() + " · Offer a call")[:254] + "…"


def test_check_names_the_missing_field_with_its_type_and_null_opts_out(
    bare_org: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(tmp_path, bare_org, monkeypatch, [hot(ADA)], [ADA])
    config = tmp_path / "funnelsync.yaml"

    checked = _sales_check(config)

    assert checked["ok"] is False
    assert any(f"{FIELD}: Text(255)" in message for message in checked["messages"])
    refused = CliRunner().invoke(main, ["sync", "--config", str(config)])
    assert refused.exit_code != 0 and FIELD in refused.output

    opted_out = config_with("fields: {talking_points: null}")
    assert opted_out != CONFIG
    config.write_text(opted_out, "utf-8")
    assert _sales_check(config)["ok"] is True
    setup.workspace = load_workspace(config, setup.plugins)
    assert setup.run().status.value == "ok"
    [lead] = setup.leads_with_email(ADA)
    assert lead["Funnel_Stage__c"] == "MQL" and FIELD not in lead


def _sales_check(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["check", "--config", str(config), "--json"])
    connections = json.loads(result.stdout)["connections"]
    return dict(next(c for c in connections if c["name"] == "sales"))
