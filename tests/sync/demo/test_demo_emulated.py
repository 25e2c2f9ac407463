"""The demo on the HubSpot and Salesforce emulators, and the emulators the connectors declare."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.connector import ConnectorContext
from funnelsync.mapping import Mapping, read_activity, read_lead
from funnelsync.models import Activity, Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.slow  # about 15 s: three syncs at HubSpot's search rate
def test_the_emulated_demo_syncs_until_a_sync_writes_nothing(tmp_path: Path) -> None:
    before = dict(os.environ)
    target = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--systems", "emulators", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "check --fix hubspot: ok: created funnelsync_fit_score" in output
    assert "Leads per stage" in output
    assert "MQLs (at or past MQL):" in output
    for system in ("hubspot", "salesforce"):  # the contract's timeline, as Tasks and notes
        assert re.search(rf"{system}: \d+ significant activities written to the timeline", output)
    assert "0 write calls" in output
    assert "nothing had changed, so nothing was written" in output
    assert "cannot sync again" in output
    assert dict(os.environ) == before, "the emulators' credentials stay in the demo"

    status = CliRunner().invoke(
        main, ["status", "--config", str(target / "funnelsync.yaml"), "--json"]
    )
    runs = json.loads(status.output)["runs"]
    assert [run["status"] for run in runs] == ["ok"] * len(runs)
    writes = [sum(c["api_calls"]["write"] for c in run["connections"].values()) for run in runs]
    assert writes[-1] > 0, "the first sync writes scores and stages everywhere"
    assert writes[0] == 0, "the last sync writes nothing"
    _assert_the_report_has_months_of_history(target / "funnelsync.yaml")
    again = CliRunner().invoke(main, ["demo", "--systems", "emulators", "--dir", str(target)])
    assert again.exit_code == 2
    assert "rebuild it with --force" in again.output


def _assert_the_report_has_months_of_history(config: Path) -> None:
    """Velocity, targets and a forecast from the seeded history, not one day of data."""
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    mqls_by_bucket = [point["mqls"] for point in document["trend"]["points"]]
    assert sum(1 for mqls in mqls_by_bucket if mqls) >= 6, mqls_by_bucket
    assert any(row["median_days"] for row in document["current"]["stages"]), "no velocity"
    targets = {target["stage"]: target for target in document["targets"]}
    assert targets["mql"]["reached"] > 0 and targets["mql"]["previous_reached"] > 0
    forecast = document["forecast"]
    mqls = [cell["expected"] for cell in forecast["cells"] if cell["stage"] == "mql"]
    assert len(mqls) == 3 and all(expected > 0 for expected in mqls), mqls
    assert len({row["as_of"] for row in forecast["backtest"]}) == 3
    assert sum(row["actual"] for row in forecast["backtest"] if row["stage"] == "mql") > 0


SEEDED = Lead(
    email="ann.oBrien@example.com",
    first_name="Ann",
    last_name="O'Brien",
    title="VP Marketing",
    company="Northwind Health",
    industry="Healthcare",
    company_size=1200,
    country="Germany",
    lead_status="Working - Contacted",
    created_at=NOW - timedelta(days=30),
    updated_at=NOW - timedelta(days=2),
    stage_dates={"lead": NOW - timedelta(days=30), "mql": NOW - timedelta(days=5)},
)


def _did(kind: str, days_ago: int, **fields: str) -> Activity:
    return Activity(
        email=SEEDED.email, type=kind, occurred_at=NOW - timedelta(days=days_ago), **fields
    )


DONE = [
    _did("call", 9, asset="Intro call"),
    _did("meeting", 7, asset="Product demo"),
    _did("form_fill", 20, asset="contact-us-form"),
    _did("demo_request", 5, asset="demo-request-form"),
    _did("email_click", 3, campaign="Nurture - Healthcare"),
    _did("page_view", 1, asset="pricing-page"),
    Activity(email="stranger@example.com", type="call", occurred_at=NOW),
]
HELD = {
    # connector: the activities it reads back, as (type, days ago)
    "hubspot": {("call", 9), ("meeting", 7), ("form_fill", 5), ("email_click", 3)},
    "salesforce": {("call", 9), ("meeting", 7)},
}


@pytest.mark.parametrize("name", sorted(HELD))
def test_a_declared_emulator_holds_seeded_people_as_its_connector_reads_them(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector_class = create_plugins().connector(name)
    assert connector_class.emulator is not None
    with connector_class.emulator() as emulator:
        emulator.seed([SEEDED], DONE)
        for variable, value in emulator.environment().items():
            monkeypatch.setenv(variable, value)
        settings = connector_class.settings_model.model_validate(emulator.connection_settings())
        connector = connector_class(settings, ConnectorContext(name, tmp_path))
        try:
            assert connector.check().ok
            records = [r for batch in connector.read_leads(None) for r in batch.records]
            activities = [r for batch in connector.read_activities(None) for r in batch.records]
        finally:
            connector.close()
        # The stage dates seeded are read back through the mapping the emulator names.
        added = Mapping.model_validate({"lead_fields": emulator.connection_mapping()})
    mapping = connector_class.default_mapping.overlay(added)
    (lead,) = [read_lead(mapping, record.fields) for record in records]
    assert lead.stage_dates == SEEDED.stage_dates
    fields = ("email", "first_name", "last_name", "title", "company", "industry", "country")
    assert {f: getattr(lead, f) for f in fields} == {f: getattr(SEEDED, f) for f in fields}
    assert lead.lead_status == "Working - Contacted"
    assert lead.created_at == SEEDED.created_at
    read = [read_activity(mapping, record.fields) for record in activities]
    assert {(a.type, (NOW - a.occurred_at).days) for a in read} == HELD[name]
    assert {a.email for a in read} == {SEEDED.email}
