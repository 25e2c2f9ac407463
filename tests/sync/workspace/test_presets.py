"""`funnelsync init --preset`: every preset gives a workspace that validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from funnelsync.contract import FunnelContract
from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import PRESETS

HUBSPOT_LIFECYCLE_STAGES = {
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
}
SALESFORCE_LEAD_STATUSES = {
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_creates_a_workspace_that_validates(
    preset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SALESFORCE_MY_DOMAIN", "SALESFORCE_CONSUMER_KEY"):
        monkeypatch.delenv(name, raising=False)  # validates with the preset's defaults
    target = tmp_path / "client"
    created = CliRunner().invoke(main, ["init", str(target), "--preset", preset])
    assert created.exit_code == 0, created.output
    assert f"({preset} preset)" in created.output
    config = target / "funnelsync.yaml"
    validated = CliRunner().invoke(main, ["validate", "--config", str(config)])
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("OK ")


def test_the_default_preset_is_csv_with_empty_data_files(tmp_path: Path) -> None:
    created = CliRunner().invoke(main, ["init", str(tmp_path / "client")])
    assert created.exit_code == 0, created.output
    assert "(csv preset)" in created.output
    assert (tmp_path / "client" / "data" / "sales" / "leads.csv").is_file()


def test_init_refuses_an_unknown_preset_and_lists_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "client"), "--preset", "marketo"])
    assert result.exit_code == 2
    assert "'marketo' is not one of 'csv', 'hubspot-salesforce'" in result.output
    assert not (tmp_path / "client").exists()


def test_hubspot_salesforce_uses_the_systems_standard_values(tmp_path: Path) -> None:
    target = tmp_path / "client"
    CliRunner().invoke(main, ["init", str(target), "--preset", "hubspot-salesforce"])
    assert not (target / "data").exists()
    config = yaml.safe_load((target / "funnelsync.yaml").read_text(encoding="utf-8"))
    hubspot, salesforce = config["connections"]["hubspot"], config["connections"]["salesforce"]
    assert hubspot["settings"]["access_token_env"] == "HUBSPOT_ACCESS_TOKEN"
    assert hubspot["settings"]["base_url"] == "https://api.hubapi.com"
    assert salesforce["settings"]["domain"] == "${SALESFORCE_MY_DOMAIN:-yourcompany.my}"
    assert salesforce["settings"]["auth"]["kind"] == "client_credentials"
    assert salesforce["settings"]["auth"]["consumer_secret_env"] == "SALESFORCE_CONSUMER_SECRET"
    contract = FunnelContract.model_validate(
        yaml.safe_load((target / "contract.yaml").read_text(encoding="utf-8"))
    )
    assert {stage.values["hubspot"] for stage in contract.all_stages} <= HUBSPOT_LIFECYCLE_STAGES
    statuses = {
        str(condition.equals)
        for stage in contract.all_stages
        if stage.entry is not None
        for condition in stage.entry.when
        if condition.field == "lead_status"
    }
    assert statuses <= SALESFORCE_LEAD_STATUSES
