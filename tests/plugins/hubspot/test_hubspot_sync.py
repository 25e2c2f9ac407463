"""A whole sync between the HubSpot emulator and a CSV CRM, through the real engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from funnelsync.connector import FieldInfo
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

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
    mapping:
      lead_fields:
        stage_dates.mql: funnelsync_mql_date
  sales:
    connector: csv
    create_from_stage: mql
    settings:
      leads: {path: sales.csv, modified_column: updated_at}
"""
SALES = "\n".join(
    [
        "email,title,industry,company_size,country,lead_status,updated_at",
        "vp@hospital.example.com,VP Operations,Healthcare,1200,United States,,2024-05-01T08:00Z",
        "dq@acme.example.com,Dev,Software,300,Germany,Closed - Not Converted,2024-05-01T08:00Z",
        "",
    ]
)
COMPUTED = [
    FieldInfo("funnelsync_score", "number"),
    FieldInfo("funnelsync_fit_score", "number"),
    FieldInfo("funnelsync_engagement_score", "number"),
    FieldInfo("funnelsync_explanation", "string"),
    FieldInfo("funnelsync_mql_date", "datetime"),
]


def test_scores_stages_and_explanations_land_and_a_second_run_writes_nothing(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator()
    now = datetime.now(UTC)
    emulator.set_clock(now - timedelta(days=1))
    vp, dq, _ = emulator.add_contacts(
        [
            {
                "email": "vp@hospital.example.com",
                "jobtitle": "VP Operations",
                "lifecyclestage": "lead",
            },
            {"email": "dq@acme.example.com", "lifecyclestage": "salesqualifiedlead"},
            {"email": "student@uni.example.edu", "jobtitle": "Student"},
        ]
    )
    for kind in ("meetings", "meetings", "calls"):  # engagement 15 + 15 + 5, a little decayed
        emulator.add_engagement(kind, [vp], now - timedelta(days=2))
    emulator.set_clock(None)
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    # The template's SAL value is a custom stage this portal does not have.
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(SALES)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)

    first = run_sync(workspace, plugins).report
    assert first.status.value == "ok", first.error
    stored = emulator.contact(vp)
    assert stored["lifecyclestage"] == "marketingqualifiedlead"
    assert stored["funnelsync_explanation"].startswith("MQL since ")
    assert int(stored["funnelsync_score"]) == int(stored["funnelsync_fit_score"]) + int(
        stored["funnelsync_engagement_score"]
    )
    assert stored["funnelsync_mql_date"]
    assert emulator.contact(dq)["lifecyclestage"] == "other"  # disqualified, forward in HubSpot
    assert emulator.contact(dq)["hs_lead_status"] == "UNQUALIFIED"

    second = run_sync(workspace, plugins).report
    assert second.status.value == "ok", second.error
    assert {name: counts.api_calls.write for name, counts in second.connections.items()} == {
        "marketing": 0,
        "sales": 0,
    }
