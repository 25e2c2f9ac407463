"""The `hubspot-salesforce` preset, freshly `init`-ed, passes `check` against the two
emulators once an admin has created the Salesforce fields it asks for (HubSpot's
properties are created by `check --fix`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator
from funnelsync.sync.cli.main import main

APP, SECRET, USER = "3MVG9preset.eca", "eca-s3cret-preset", "ops@acme.example"
SALESFORCE_FIELDS = (
    ("Funnel_Score__c", "double", 0),
    ("Funnel_Fit_Score__c", "double", 0),
    ("Funnel_Engagement_Score__c", "double", 0),
    ("Funnel_Stage__c", "string", 80),
    ("Funnel_Explanation__c", "textarea", 32768),
    ("Funnel_Talking_Points__c", "string", 255),
)
"""What `check` asks an admin to create on Lead and Contact for this preset."""


def _check(config: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--config", str(config), *more])
    return result.exit_code, result.output


def test_a_fresh_hubspot_salesforce_workspace_passes_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        CliRunner()
        .invoke(main, ["init", str(tmp_path / "ws"), "--preset", "hubspot-salesforce"])
        .exit_code
        == 0
    )
    config = tmp_path / "ws" / "funnelsync.yaml"
    with HubSpotEmulator() as hubspot, SalesforceEmulator() as salesforce:
        salesforce.org.add_user(USER, "pw-unused", "token-unused")
        salesforce.org.add_connected_app(APP, consumer_secret=SECRET, run_as=USER)
        for sobject in ("Lead", "Contact"):  # as `check` tells the admin to, in Setup
            for name, kind, length in SALESFORCE_FIELDS:
                salesforce.org.add_field(sobject, name, kind, length=length)
        config.write_text(config.read_text().replace("https://api.hubapi.com", hubspot.base_url))
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", DEFAULT_TOKEN)
        monkeypatch.setenv("SALESFORCE_MY_DOMAIN", salesforce.base_url)
        monkeypatch.setenv("SALESFORCE_CONSUMER_KEY", APP)
        monkeypatch.setenv("SALESFORCE_CONSUMER_SECRET", SECRET)
        assert CliRunner().invoke(main, ["validate", "--config", str(config)]).exit_code == 0
        code, output = _check(config)
        assert code == 1, output
        assert "missing field funnelsync_score (number): create it in hubspot" in output
        assert "Traceback" not in output
        code, output = _check(config, "--fix")
        assert code == 0, output
        assert "created field funnelsync_score" in output
        checked = CliRunner().invoke(main, ["check", "--config", str(config), "--json"])
        assert checked.exit_code == 0, checked.output
        assert [(c["name"], c["ok"]) for c in json.loads(checked.stdout)["connections"]] == [
            ("hubspot", True),
            ("salesforce", True),
        ]
