"""Talking points in HubSpot: the default mapping writes them to ``funnelsync_talking_points``,
which `check --fix` creates; text longer than a HubSpot text property holds is cut to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
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
      search_settle_s: 0
  sales:
    connector: csv
    settings:
      leads: {path: sales.csv}
"""
SALES = (
    "email,title,industry,company_size,country,lead_status\n"
    "vp@hospital.example.com,VP Operations,Healthcare,1200,United States,\n"
)
"""The CRM's side of the VP: with HubSpot's meetings, enough for MQL."""
LIMIT = 65_536
"""HubSpot's limit for a text property's value set through the CRM (knowledge base,
"Property field types")."""


def _workspace(
    emulator: HubSpotEmulator, folder: Path, monkeypatch: pytest.MonkeyPatch, points: list[str]
) -> tuple[Path, str]:
    """A portal with one VP who met sales twice (an MQL by the template contract), and a
    workspace whose contract gives MQLs ``points``; returns the config and the contact id."""
    now = datetime.now(UTC)
    emulator.set_clock(now - timedelta(days=1))
    [vp] = emulator.add_contacts(
        [
            {
                "email": "vp@hospital.example.com",
                "jobtitle": "VP Operations",
                "lifecyclestage": "lead",
            }
        ]
    )
    for kind in ("meetings", "meetings", "calls"):
        emulator.add_engagement(kind, [vp], now - timedelta(days=2))
    emulator.set_clock(None)
    text = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    contract = yaml.safe_load(text.replace("salesacceptedlead", "opportunity"))
    next(stage for stage in contract["stages"] if stage["name"] == "mql")["talking_points"] = points
    (folder / "contract.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    (folder / "funnelsync.yaml").write_text(CONFIG)
    (folder / "sales.csv").write_text(SALES)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    return folder / "funnelsync.yaml", vp


def _fix_and_sync(config: Path) -> dict[str, object]:
    checked = CliRunner().invoke(main, ["check", "--config", str(config), "--fix", "--json"])
    marketing = next(
        c for c in json.loads(checked.stdout)["connections"] if c["name"] == "marketing"
    )
    synced = CliRunner().invoke(main, ["sync", "--config", str(config)])
    assert synced.exit_code == 0, synced.output
    return dict(marketing)


def test_check_fix_creates_the_property_and_the_sync_writes_the_mqls_points(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator()
    points = ["Ask about their rollout", "Offer the ROI calculator"]
    config, vp = _workspace(emulator, tmp_path, monkeypatch, points)

    checked = _fix_and_sync(config)

    assert "funnelsync_talking_points" in checked["created"]  # type: ignore[operator]
    definition = emulator.store.properties["contacts"]["funnelsync_talking_points"]
    assert (definition.type, definition.group) == ("string", "funnelsync")
    stored = emulator.contact(vp)
    assert stored["lifecyclestage"] == "marketingqualifiedlead"
    assert (
        stored["funnelsync_talking_points"] == "Ask about their rollout · Offer the ROI calculator"
    )


def test_points_longer_than_a_text_property_holds_are_cut_to_its_length(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator()
    long_point = "Walk them through " + "every step of the rollout plan " * 2_500  # 75,018 chars
    config, vp = _workspace(emulator, tmp_path, monkeypatch, [long_point])

    _fix_and_sync(config)

    stored = emulator.contact(vp)["funnelsync_talking_points"]
    assert len(stored) == LIMIT
    assert stored == long_point.strip()[: LIMIT - 1] + "…"


def test_the_emulator_refuses_text_longer_than_a_property_holds(
    make_emulator: Callable[..., HubSpotEmulator],
) -> None:
    emulator = make_emulator()
    [contact] = emulator.add_contacts([{"email": "ada@example.com"}])
    url = f"{emulator.base_url}/crm/v3/objects/contacts/{contact}"
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}

    refused = requests.patch(
        url, json={"properties": {"jobtitle": "x" * (LIMIT + 1)}}, headers=headers, timeout=10
    )
    taken = requests.patch(
        url, json={"properties": {"jobtitle": "x" * LIMIT}}, headers=headers, timeout=10
    )

    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert "INVALID_LONG_STRING" in refused.json()["message"]
    assert taken.status_code == 200
    assert len(emulator.contact(contact)["jobtitle"]) == LIMIT
