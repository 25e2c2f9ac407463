"""`funnelsync check` against the HubSpot emulator: missing properties, bad stage values, --fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.sync.cli.main import main

TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
CONFIG = """\
version: 1
contract: contract.yaml
connections:
  marketing:
    connector: hubspot
    settings:
      access_token_env: HS_TEST_TOKEN
      base_url: ${HS_TEST_URL}
    mapping:
      lead_fields:
        stage_dates.mql: funnelsync_mql_date
  sales:
    connector: csv
    settings:
      leads: {path: sales.csv}
"""
SALES_HEADER = (
    "email,first_name,last_name,title,company,industry,company_size,country,phone,source,"
    "owner,lead_status,status_reason,created_at,updated_at\n"
)
"""The columns the csv connector's default mapping reads, so only HubSpot has work to do."""


@pytest.fixture
def workspace(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    emulator = make_emulator()
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text("email\n")
    return tmp_path / "funnelsync.yaml"


def _check(config: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = CliRunner().invoke(main, ["check", "--config", str(config), "--json", *extra])
    document = json.loads(result.stdout)
    return result.exit_code, {c["name"]: c for c in document["connections"]}


def _contract(config: Path, sal_value: str) -> None:
    text = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (config.parent / "contract.yaml").write_text(text.replace("salesacceptedlead", sal_value))


def test_a_missing_property_is_named_then_created_then_clean(workspace: Path) -> None:
    _contract(workspace, "opportunity")
    code, found = _check(workspace)
    assert code == 1
    missing = {f["name"]: f["type"] for f in found["marketing"]["missing_fields"]}  # type: ignore[union-attr]
    assert missing["funnelsync_mql_date"] == "datetime"
    assert missing["funnelsync_score"] == "number"
    human = CliRunner().invoke(main, ["check", "--config", str(workspace)])
    assert (
        "missing field funnelsync_mql_date (datetime): create it in marketing, "
        "or run `funnelsync check --fix`" in human.stdout
    )
    code, fixed = _check(workspace, "--fix")
    assert "funnelsync_mql_date" in fixed["marketing"]["created"]  # type: ignore[operator]
    code, again = _check(workspace)
    assert again["marketing"]["ok"] is True
    assert again["marketing"]["missing_fields"] == []


def test_a_stage_value_the_portal_lacks_is_reported_with_where_to_change_it(
    workspace: Path,
) -> None:
    _contract(workspace, "salesacceptedlead")
    _check(workspace, "--fix")
    code, found = _check(workspace)
    assert code == 1
    [problem] = [p for p in found["marketing"]["problems"] if "salesacceptedlead" in p]  # type: ignore[union-attr]
    assert problem.startswith("lifecyclestage: 'salesacceptedlead' is not one of its values")
    assert "change the contract's stage 'sal' (stages[].values.marketing)" in problem


def test_a_mapped_property_typo_is_named_with_the_closest_property_and_never_created(
    workspace: Path,
) -> None:
    _contract(workspace, "opportunity")
    workspace.write_text(
        workspace.read_text().replace(
            "        stage_dates.mql: funnelsync_mql_date\n",
            "        stage_dates.mql: funnelsync_mql_date\n        title: jobtitel\n",
        )
    )
    code, found = _check(workspace, "--fix")
    assert code == 1
    problems = found["marketing"]["problems"]
    assert (
        "jobtitel (title) does not exist in marketing; did you mean 'jobtitle'? Map "
        "connections.marketing.mapping.lead_fields.title to an existing field, or set it to null."
    ) in problems  # type: ignore[operator]
    assert "jobtitel" not in found["marketing"]["created"]  # type: ignore[operator]
    assert "funnelsync_score" in found["marketing"]["created"]  # type: ignore[operator]


def test_check_fix_on_a_fresh_portal_passes_in_one_go_and_the_sync_then_runs(
    workspace: Path,
) -> None:
    _contract(workspace, "opportunity")
    (workspace.parent / "sales.csv").write_text(SALES_HEADER)
    code, fixed = _check(workspace, "--fix")
    assert fixed["marketing"]["problems"] == []
    assert fixed["marketing"]["ok"] is True, fixed["marketing"]
    assert code == 0
    assert "funnelsync_score" in fixed["marketing"]["created"]  # type: ignore[operator]
    synced = CliRunner().invoke(main, ["sync", "--config", str(workspace)])
    assert synced.exit_code == 0, synced.output


def test_without_fix_each_missing_property_is_named_once(workspace: Path) -> None:
    _contract(workspace, "opportunity")
    human = CliRunner().invoke(main, ["check", "--config", str(workspace)])
    assert human.exit_code == 1
    assert human.stdout.count("funnelsync_mql_date") == 1, human.stdout


def test_a_sync_on_a_portal_without_funnelsyncs_properties_stops_before_reading(
    workspace: Path,
) -> None:
    _contract(workspace, "opportunity")
    synced = CliRunner().invoke(main, ["sync", "--config", str(workspace)])
    assert synced.exit_code != 0
    assert "HubSpot has no contact property 'funnelsync_score'" in synced.output
