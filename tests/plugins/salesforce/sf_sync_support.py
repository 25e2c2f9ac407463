"""The Salesforce sync tests' workspace: the config, lead rows, and an emulated org with a
workspace wired to it (shared by the Salesforce sync test modules)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sf_support import PASSWORD_ENV, TOKEN_ENV, USERNAME

from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator
from funnelsync.run_report import RunReport
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import Workspace, load_workspace

TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
REASON_FIELD = "Unqualified_Reason__c"
EXTERNAL_ID = "Funnel_Key__c"
CONFIG = f"""\
version: 1
contract: contract.yaml
connections:
  marketing:
    connector: csv
    settings:
      leads: {{path: marketing.csv, modified_column: updated_at}}
      activities: {{path: activities.csv, id_column: activity_id}}
  sales:
    connector: salesforce
    create_from_stage: mql
    settings:
      auth:
        kind: password
        username: {USERNAME}
        password_env: {PASSWORD_ENV}
        security_token_env: {TOKEN_ENV}
      domain: ${{SF_TEST_URL}}
      bulk_poll_seconds: 0
      daily_budget_share: 0.5
    mapping:
      lead_fields:
        status_reason: {{field: {REASON_FIELD}, direction: read}}
"""


def config_with(*settings: str) -> str:
    """:data:`CONFIG` with more ``sales`` settings (YAML lines such as ``key: value``)."""
    marker = "      daily_budget_share: 0.5\n"
    return CONFIG.replace(marker, marker + "".join(f"      {line}\n" for line in settings))


LEAD_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "updated_at",
)
ACTIVITY_COLUMNS = ("activity_id", "email", "type", "occurred_at")
WEEK_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)


def hot(email: str, **fields: str) -> dict[str, str]:
    """A marketing row that scores fit 55: a senior title at a mid-market US hospital."""
    return {
        "email": email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "VP Operations",
        "company": "Mercy Hospital",
        "industry": "Healthcare",
        "company_size": "1200",
        "country": "United States",
        "updated_at": WEEK_AGO.isoformat(),
        **fields,
    }


@dataclass
class SyncSetup:
    """A workspace joining the emulated org (``sales``) and CSV files (``marketing``)."""

    root: Path
    org: Org
    plugins: FunnelPlugins
    workspace: Workspace

    def run(self) -> RunReport:
        """One sync; fails the test if the run fails."""
        report = run_sync(self.workspace, self.plugins).report
        assert report.status.value != "failed", report.error
        return report

    def marketing_rows(self) -> list[dict[str, str]]:
        """The marketing CSV as it is now."""
        with (self.root / "marketing.csv").open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def marketing_row(self, email: str) -> dict[str, str]:
        """The one marketing row of ``email`` (fails if there are none or several)."""
        [row] = [r for r in self.marketing_rows() if r["email"].casefold() == email.casefold()]
        return row

    def leads_with_email(self, email: str) -> list[dict[str, Any]]:
        """Live Leads (converted ones too) whose Email is ``email``."""
        leads = (self.org.get(lead) for lead in self.org.ids("Lead"))
        return [lead for lead in leads if str(lead["Email"]).casefold() == email.casefold()]


def _write_csv(path: Path, columns: Iterable[str], rows: Iterable[Mapping[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def make_setup(
    root: Path,
    emulator: SalesforceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    marketing: Iterable[Mapping[str, str]],
    demo_requests: Iterable[str] = (),
    config: str = CONFIG,
) -> SyncSetup:
    """Write the workspace: ``marketing`` rows, and one demo request (40 points) by each of
    ``demo_requests`` two days ago, enough engagement for an MQL."""
    emulator.org.add_field("Lead", REASON_FIELD, "string", length=255)
    _write_csv(root / "marketing.csv", LEAD_COLUMNS, marketing)
    occurred = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0).isoformat()
    activities = [
        {"activity_id": f"a{n}", "email": email, "type": "demo_request", "occurred_at": occurred}
        for n, email in enumerate(demo_requests)
    ]
    _write_csv(root / "activities.csv", ACTIVITY_COLUMNS, activities)
    (root / "contract.yaml").write_text((TEMPLATES / "contract.yaml").read_text("utf-8"), "utf-8")
    (root / "funnelsync.yaml").write_text(config, "utf-8")
    monkeypatch.setenv("SF_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(root / "funnelsync.yaml", plugins)
    return SyncSetup(root, emulator.org, plugins, workspace)


def writes(report: RunReport) -> dict[str, int]:
    """Write calls per connection."""
    return {name: counts.api_calls.write for name, counts in report.connections.items()}
