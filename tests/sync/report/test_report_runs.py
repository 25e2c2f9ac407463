"""The report over history the sync engine itself recorded, run by run.

One lead, three syncs on three days: it becomes an MQL, sales accepts it two days later,
and qualifies it five days after that. The report reads the stage moves the engine
stored, so the times in stage are exactly the gaps between the syncs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sync_support import marketing_lead, read_csv, sales_lead, write_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.report import report_command
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates

EMAIL = "vp@hospital.example.com"
RUNS = (
    (datetime(2026, 3, 2, 12, tzinfo=UTC), "Open - Not Contacted"),
    (datetime(2026, 3, 4, 12, tzinfo=UTC), "Working - Contacted"),
    (datetime(2026, 3, 9, 12, tzinfo=UTC), "Qualified"),
)


def stamp(moment: datetime) -> str:
    return moment.isoformat()


def set_status(path: Path, status: str, modified: datetime) -> None:
    rows = read_csv(path)
    for row in rows:
        row["Status"], row["Last Modified"] = status, stamp(modified)
    write_csv(path, rows)


def synced_workspace(root: Path) -> Path:
    config = write_templates(root, with_empty_data=True)
    data = config.parent / "data"
    first = RUNS[0][0]
    write_csv(
        data / "marketing" / "leads.csv",
        [
            marketing_lead(
                EMAIL, title="VP Marketing", industry="Healthcare", company_size="800",
                country="United States", created_at=stamp(first - timedelta(days=10)),
                updated_at=stamp(first - timedelta(days=1)),
            )
        ],
    )  # fmt: skip
    write_csv(
        data / "marketing" / "activities.csv",
        [
            {"activity_id": "a1", "email": EMAIL, "type": "demo_request",
             "occurred_at": stamp(first - timedelta(days=1)), "campaign": "Launch", "asset": ""}
        ],
    )  # fmt: skip
    write_csv(
        data / "sales" / "leads.csv",
        [
            sales_lead(
                EMAIL, **{"Title": "VP Marketing", "Industry": "Healthcare", "Employees": "800",
                          "Country": "United States",
                          "Created Date": stamp(first - timedelta(days=5)),
                          "Last Modified": stamp(first - timedelta(hours=1))},
            )
        ],
    )  # fmt: skip
    plugins = create_plugins()
    for moment, status in RUNS:
        set_status(data / "sales" / "leads.csv", status, moment - timedelta(hours=1))
        run_sync(load_workspace(config, plugins), plugins, now=moment)
    return config


def test_times_in_stage_come_from_the_runs(tmp_path: Path) -> None:
    config = synced_workspace(tmp_path / "ws")
    result = CliRunner().invoke(
        report_command,
        ["--config", str(config), "--since", "2026-03-01", "--until", "2026-03-31",
         "--format", "json"],
        catch_exceptions=False,
    )  # fmt: skip
    document: dict[str, Any] = json.loads(result.output)
    stages = {row["stage"]: row for row in document["current"]["stages"]}
    assert (stages["mql"]["inflow"], stages["mql"]["outflow"]) == (1, 1)
    assert stages["mql"]["median_days"] == 2.0  # 2 Mar → 4 Mar
    assert stages["sal"]["median_days"] == 5.0  # 4 Mar → 9 Mar
    assert stages["sql"]["balance"] == 1
    # The first sync placed it straight at mql: subscriber and lead were skipped.
    assert (stages["subscriber"]["reached"], stages["subscriber"]["skipped"]) == (1, 1)
    headline = document["current"]["headline"]
    assert (headline["mqls"], headline["sqls"], headline["mql_to_sql"]) == (1, 1, 1.0)
    assert headline["median_days_mql_to_sql"] == 7.0
    # Nobody from sales touched it before it left mql 48 hours later: a breach.
    assert (headline["sla_met"], headline["sla_breached"]) == (1, 1)  # sal left after 5 days
    assert document["current"]["campaigns"][0]["campaign"] == "Launch"
    assert document["current"]["campaigns"][0]["sqls"] == 1
