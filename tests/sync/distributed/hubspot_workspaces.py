"""HubSpot-emulator workspaces for the Celery scale test: a portal, its contacts, its config.

Each workspace syncs an emulated HubSpot portal (marketing) with a CSV CRM (sales). Two
workspaces may name one portal with the same ``budget_key``: they then share its limits.
"""

from __future__ import annotations

from pathlib import Path

from sync_support import NOW

from funnelsync.connector import FieldInfo
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator
from funnelsync.sync.workspace.loading import load_workspace

TOKEN_ENV = "HS_SCALE_TOKEN"
TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
COMPUTED = [
    FieldInfo("funnelsync_score", "number"),
    FieldInfo("funnelsync_fit_score", "number"),
    FieldInfo("funnelsync_engagement_score", "number"),
    FieldInfo("funnelsync_explanation", "string"),
    FieldInfo("funnelsync_talking_points", "string"),
    FieldInfo("funnelsync_mql_date", "datetime"),
]
SALES = "\n".join(
    [
        "email,title,industry,company_size,country,lead_status,updated_at",
        "vp@hospital.example.com,VP Operations,Healthcare,1200,United States,,2024-05-01T08:00Z",
        "dq@acme.example.com,Dev,Software,300,Germany,Closed - Not Converted,2024-05-01T08:00Z",
        "",
    ]
)


def config_text(
    base_url: str, budget_key: str | None, rate: tuple[int, float] | None, limits_url: str
) -> str:
    """The workspace config: HubSpot at ``base_url`` (optionally a ``budget_key``, its
    limits kept at ``limits_url``, and a fixed rate ``(calls, per_s)``) and a CSV CRM that
    takes the MQLs."""
    limits = ""
    if rate is not None:
        limits = f"      rate_limit: {{calls_per_interval: {rate[0]}, interval_s: {rate[1]}}}\n"
    key = f"    budget_key: {budget_key}\n" if budget_key else ""
    shared = f"limits:\n  url: {limits_url}\n" if budget_key else ""
    return (
        f"version: 1\ncontract: contract.yaml\n{shared}connections:\n"
        "  marketing:\n    connector: hubspot\n    create_leads: false\n" + key + "    settings:\n"
        f"      access_token_env: {TOKEN_ENV}\n      base_url: {base_url}\n"
        "      search_settle_s: 0\n" + limits + "    mapping:\n      lead_fields:\n"
        "        stage_dates.mql: funnelsync_mql_date\n"
        "  sales:\n    connector: csv\n    create_from_stage: mql\n    settings:\n"
        "      leads: {path: data/sales/leads.csv, modified_column: updated_at}\n"
    )


def seed_portal(emulator: HubSpotEmulator, people: int) -> None:
    """Contacts of one portal (the same for every portal seeded with the same count)."""
    rows = [
        {"email": "vp@hospital.example.com", "jobtitle": "VP Operations", "lifecyclestage": "lead"},
        {"email": "dq@acme.example.com", "lifecyclestage": "salesqualifiedlead"},
    ]
    rows += [
        {"email": f"person{n}@portal.example.com", "jobtitle": "Director" if n % 3 else "Student"}
        for n in range(people)
    ]
    ids = emulator.add_contacts(rows)
    for kind in ("meetings", "meetings", "calls"):
        emulator.add_engagement(kind, [ids[0]], NOW)


def write_workspace(
    folder: Path,
    base_url: str,
    budget_key: str | None,
    rate: tuple[int, float] | None,
    limits_url: str,
) -> Path:
    """A HubSpot + CSV workspace in ``folder``; its config path."""
    (folder / "data" / "sales").mkdir(parents=True)
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    # The template's SAL value is a custom stage the emulated portal does not have.
    (folder / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (folder / "data" / "sales" / "leads.csv").write_text(SALES)
    config = folder / "funnelsync.yaml"
    config.write_text(config_text(base_url, budget_key, rate, limits_url))
    return config


def create_properties(config: Path) -> None:
    """Create the computed properties the workspace writes in its portal."""
    plugins = create_plugins()
    workspace = load_workspace(config, plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    connector = marketing.open(workspace.root)
    try:
        connector.create_fields(COMPUTED)
    finally:
        connector.close()


def portal_snapshot(emulator: HubSpotEmulator) -> dict[str, dict[str, str]]:
    """Every contact's properties, by email."""
    return {contact["email"]: contact for contact in emulator.contacts()}
