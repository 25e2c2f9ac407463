"""Picklist values across systems (issue 13.3): the ``hubspot-salesforce`` preset against an
org whose Lead Source is a restricted picklist, and ``check`` naming every value a written
picklist field would be sent that it lacks, in Salesforce and in HubSpot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sf_sync_support import make_setup

from funnelsync.emulator import Emulator
from funnelsync.models import Activity, Lead
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.hubspot.emulator.demo import HubSpotDemoEmulator
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator
from funnelsync.run_report import RunReport
from funnelsync.sync.checking import ConnectionCheck, check_connections
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import Workspace, load_workspace
from funnelsync.sync.workspace.scaffold import template_text

PRESET = "hubspot-salesforce"
NOW = datetime.now(UTC).replace(microsecond=0)


def _marketing_lead(n: int, source: str) -> Lead:
    """A HubSpot contact that the preset's contract makes an MQL (with its demo request)."""
    return Lead(
        email=f"mql{n}@clinic{n}.example.com",
        first_name="Mia",
        last_name=f"Quinn{n}",
        title="VP Operations",
        company=f"Clinic {n}",
        industry="Healthcare",
        country="United States",
        source=source,
        created_at=NOW - timedelta(days=20),
        updated_at=NOW - timedelta(days=2),
    )


MARKETING = [_marketing_lead(1, "Organic Search"), _marketing_lead(2, "Paid Social")]
DEMO_REQUESTS = [
    Activity(
        email=lead.email,
        type="form_fill",
        occurred_at=NOW - timedelta(days=2),
        asset="demo-request-form",
    )
    for lead in MARKETING
]


class Preset:
    """The preset's workspace, its connections pointing at running emulators."""

    def __init__(self, root: Path, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> None:
        self.plugins: FunnelPlugins = create_plugins()
        config: dict[str, Any] = yaml.safe_load(template_text("funnelsync.yaml", PRESET))
        self.emulators: dict[str, Emulator] = {}
        for name, connection in config["connections"].items():
            emulator_class = self.plugins.connector(connection["connector"]).emulator
            assert emulator_class is not None
            emulator = stack.enter_context(emulator_class())
            self.emulators[name] = emulator
            connection["settings"] |= emulator.connection_settings()
            for variable, value in emulator.environment().items():
                monkeypatch.setenv(variable, value)
        config["state_dir"] = "state"
        self.config = config
        self.root = root
        (root / "contract.yaml").write_text(template_text("contract.yaml", PRESET), "utf-8")

    @property
    def org(self) -> Org:
        org = getattr(self.emulators["salesforce"], "org", None)
        assert isinstance(org, Org)
        return org

    def workspace(self, **sales_lead_fields: Any) -> Workspace:
        """The workspace, with ``sales_lead_fields`` over the preset's Salesforce mapping."""
        config = yaml.safe_load(yaml.safe_dump(self.config))
        mapping = config["connections"]["salesforce"].setdefault("mapping", {})
        mapping.setdefault("lead_fields", {}).update(sales_lead_fields)
        (self.root / "funnelsync.yaml").write_text(yaml.safe_dump(config), "utf-8")
        return load_workspace(self.root / "funnelsync.yaml", self.plugins)

    def check(self, workspace: Workspace, *, fix: bool = False) -> dict[str, ConnectionCheck]:
        opened = [(c, c.open(workspace.root)) for c in workspace.connections]
        try:
            checks = check_connections(opened, workspace.contract, fix=fix)
        finally:
            for _, connector in opened:
                connector.close()
        return {check.name: check for check in checks}

    def run(self, workspace: Workspace) -> RunReport:
        return run_sync(workspace, self.plugins).report


@pytest.fixture
def preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Preset]:
    with ExitStack() as stack:
        made = Preset(tmp_path, stack, monkeypatch)
        made.emulators["hubspot"].seed(MARKETING, DEMO_REQUESTS)
        made.org.set_picklist("Lead", "LeadSource")  # restricted, as in most orgs
        made.org.set_picklist("Contact", "LeadSource")
        yield made


def _rejected(report: RunReport) -> int:
    """Records quarantined in the run: a refused write is quarantined with its reason."""
    return sum(counts.quarantined for counts in report.connections.values())


def _writes(report: RunReport) -> int:
    return sum(counts.api_calls.write for counts in report.connections.values())


def test_the_preset_syncs_a_restricted_lead_source_org_without_a_refused_write(
    preset: Preset,
) -> None:
    sales_lead = preset.org.add_lead(
        LastName="Hopper", Company="First Bank", Email="grace@bank.example.com", LeadSource="Web"
    )
    workspace = preset.workspace()
    checks = preset.check(workspace, fix=True)
    assert all(check.ok for check in checks.values()), checks

    first = preset.run(workspace)

    assert first.status.value == "ok", first.notes
    assert _rejected(first) == 0
    assert first.connections["salesforce"].created == len(MARKETING)
    created = [preset.org.get(i) for i in preset.org.ids("Lead") if i != sales_lead]
    assert {lead["Email"] for lead in created} == {lead.email for lead in MARKETING}
    assert {lead["LeadSource"] for lead in created} == {None}
    assert preset.org.get(sales_lead)["LeadSource"] == "Web", "sales' value is left alone"
    portal = preset.emulators["hubspot"]
    assert isinstance(portal, HubSpotDemoEmulator)
    contacts = [portal.portal.contact_by_email(lead.email) or {} for lead in MARKETING]
    statuses = {contact.get("hs_lead_status") for contact in contacts}
    assert statuses == {"NEW"}, "the new Leads' default Lead Status reached HubSpot in run 1"
    second = preset.run(workspace)
    assert (_rejected(second), _writes(second)) == (0, 0)


def test_sales_lead_source_is_not_overwritten_with_hubspot_labels_in_an_open_picklist(
    preset: Preset,
) -> None:
    preset.org.set_picklist("Lead", "LeadSource", restricted=False)
    known = preset.org.add_lead(
        LastName="Quinn1", Company="Clinic 1", Email=MARKETING[0].email, LeadSource="Web"
    )
    workspace = preset.workspace()
    assert all(check.ok for check in preset.check(workspace, fix=True).values())

    runs = [preset.run(workspace) for _ in range(2)]

    assert [_rejected(run) for run in runs] == [0, 0]
    assert preset.org.get(known)["LeadSource"] == "Web"  # HubSpot's "Organic Search" stays out


def test_a_write_only_value_map_writes_the_org_s_lead_sources(preset: Preset) -> None:
    hubspot = preset.config["connections"]["hubspot"]["mapping"]["lead_fields"]["source"]
    values = dict.fromkeys(hubspot["values"], "Web") | {"Paid Social": "Other"}
    workspace = preset.workspace(
        source={"field": "LeadSource", "direction": "write", "values": values}
    )
    assert all(check.ok for check in preset.check(workspace, fix=True).values())

    runs = [preset.run(workspace) for _ in range(3)]

    assert [_rejected(run) for run in runs] == [0, 0, 0]
    created = {preset.org.get(i)["Email"]: preset.org.get(i) for i in preset.org.ids("Lead")}
    assert created["mql1@clinic1.example.com"]["LeadSource"] == "Web"  # Organic Search
    assert created["mql2@clinic2.example.com"]["LeadSource"] == "Other"  # Paid Social
    assert [run.connections["salesforce"].api_calls.write for run in runs[1:]] == [0, 0]


def test_check_names_the_hubspot_sources_a_restricted_lead_source_lacks(preset: Preset) -> None:
    workspace = preset.workspace(source="LeadSource")  # written both ways, no value map

    sales = preset.check(workspace)["salesforce"]

    [problem] = [p for p in sales.problems if p.startswith("LeadSource")]
    assert "LeadSource (source) is a restricted picklist without" in problem
    assert "'Organic Search'" in problem and "'Paid Social'" in problem
    assert "'Web'" not in problem
    assert "connections.salesforce.mapping.lead_fields.source.values" in problem
    assert not sales.ok


def test_check_accepts_a_value_map_onto_the_org_s_lead_sources(preset: Preset) -> None:
    hubspot = preset.config["connections"]["hubspot"]["mapping"]["lead_fields"]["source"]
    values = dict.fromkeys(hubspot["values"], "Web") | {"Referrals": "Partner Referral"}
    workspace = preset.workspace(
        source={"field": "LeadSource", "direction": "write", "values": values}
    )

    sales = preset.check(workspace)["salesforce"]

    assert [p for p in sales.problems if p.startswith("LeadSource")] == []


def test_check_names_a_lead_status_hubspot_cannot_take(preset: Preset) -> None:
    preset.org.set_picklist(
        "Lead",
        "Status",
        ("Open - Not Contacted", "Nurturing", "Working - Contacted", "Closed - Converted"),
    )
    workspace = preset.workspace()

    hubspot = preset.check(workspace)["hubspot"]

    [problem] = [p for p in hubspot.problems if p.startswith("hs_lead_status")]
    assert "hs_lead_status (lead_status) is a restricted picklist without 'Nurturing'" in problem
    assert "connections.hubspot.mapping.lead_fields.lead_status.values" in problem


def test_a_restricted_lead_source_fed_from_free_text_gets_a_note(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.org.set_picklist("Lead", "LeadSource")
    setup = make_setup(tmp_path, emulator, monkeypatch, [])
    (tmp_path / "marketing.csv").write_text("email,source,updated_at\n", "utf-8")
    opened = [(c, c.open(tmp_path)) for c in setup.workspace.connections]
    try:
        checks = {c.name: c for c in check_connections(opened, setup.workspace.contract, fix=False)}
    finally:
        for _, connector in opened:
            connector.close()

    sales = checks["sales"]
    [note] = [m for m in sales.messages if m.startswith("note: LeadSource")]
    assert "is also read from free text (marketing.source)" in note
    assert [p for p in sales.problems if "LeadSource" in p] == []
