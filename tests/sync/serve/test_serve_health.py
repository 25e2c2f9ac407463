"""The health page's "API budget left": what each system last said, or "unknown"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from funnelsync.models import Activity, Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.checking import check_workspace_connections
from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import template_text

PRESET = "hubspot-salesforce"
NOW = datetime.now(UTC).replace(microsecond=0)
BUDGET = re.compile(
    r'<td>(\w+)</td>(?:<td class="num">\d+</td>){5}\s*<td class="budget">(.*?)</td>'
)


def _mql(n: int) -> Lead:
    return Lead(
        email=f"mql{n}@clinic{n}.example.com",
        last_name=f"Quinn{n}",
        title="VP Operations",
        company=f"Clinic {n}",
        industry="Healthcare",
        country="United States",
        created_at=NOW - timedelta(days=20),
        updated_at=NOW - timedelta(days=2),
    )


@pytest.fixture
def preset_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The HubSpot + Salesforce preset against both emulators, synced once."""
    plugins = create_plugins()
    config: dict[str, Any] = yaml.safe_load(template_text("funnelsync.yaml", PRESET))
    with ExitStack() as stack:
        for name, connection in config["connections"].items():
            emulator_class = plugins.connector(connection["connector"]).emulator
            assert emulator_class is not None
            emulator = stack.enter_context(emulator_class())
            connection["settings"] |= emulator.connection_settings()
            for variable, value in emulator.environment().items():
                monkeypatch.setenv(variable, value)
            if name == "hubspot":
                leads = [_mql(n) for n in range(3)]
                emulator.seed(
                    leads,
                    [
                        Activity(email=lead.email, type="form_fill", occurred_at=NOW, asset="demo")
                        for lead in leads
                    ],
                )
        (tmp_path / "contract.yaml").write_text(template_text("contract.yaml", PRESET), "utf-8")
        path = tmp_path / "funnelsync.yaml"
        path.write_text(yaml.safe_dump(config), "utf-8")
        workspace = load_workspace(path, plugins)
        checks = check_workspace_connections(  # --fix: HubSpot gets funnelsync's properties
            workspace.connections, workspace.root, workspace.contract, fix=True
        )
        assert all(check.ok for check in checks), checks
        report = run_sync(workspace, plugins).report
        assert report.status.value in ("ok", "partial"), report.error
        yield path


def _budgets(client: TestClient) -> dict[str, str]:
    page = client.get("/")
    assert page.status_code == 200
    return dict(BUDGET.findall(page.text))


def test_the_budget_left_is_what_each_system_last_said(preset_config: Path) -> None:
    workspace = load_workspace(preset_config, create_plugins())
    store = StateStore.open(workspace.state_dir)
    try:
        [run] = store.recent_runs(1)
    finally:
        store.close()
    hubspot = run.connections["hubspot"].api_calls.allowances
    salesforce = run.connections["salesforce"].api_calls.allowances

    budgets = _budgets(TestClient(create_app(ServeSettings((preset_config,)))))

    day = hubspot["day"]
    assert day.limit > day.remaining > 0
    assert f"{day.remaining:,} of {day.limit:,} per day" in budgets["hubspot"]
    assert "per 10 s" in budgets["hubspot"]  # HubSpot's rolling ten-second window
    org = salesforce["day"]
    assert budgets["salesforce"] == f"{org.remaining:,} of {org.limit:,} per day"


def test_a_system_that_reports_no_allowance_shows_unknown(tmp_path: Path) -> None:
    built = build_demo(tmp_path / "demo", seed=7)
    plugins = create_plugins()
    run_sync(load_workspace(built.config_path, plugins), plugins)

    budgets = _budgets(TestClient(create_app(ServeSettings((built.config_path,)))))

    assert budgets and set(budgets.values()) == {
        '<span class="muted">unknown (the system reported none)</span>'
    }
