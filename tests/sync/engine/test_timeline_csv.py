"""The timeline through the engine on CSV systems (SQLite and PostgreSQL state): a
significant activity of a sales-visible lead lands once in the ``activities_out`` file."""

from __future__ import annotations

from pathlib import Path

import yaml
from sync_support import read_csv, sync_json

from funnelsync.sync.engine.activity_push import entry_ref


def _with_timeline(config: Path, significant: list[str]) -> Path:
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["connections"]["sales"]["settings"]["activities_out"] = "data/sales/timeline.csv"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    contract_path = config.parent / "contract.yaml"
    contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
    labels = {"demo_request": "Demo asked"} if "demo_request" in significant else {}
    contract["timeline"] = {"significant": significant, "labels": labels}
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    return config.parent / "data" / "sales" / "timeline.csv"


def test_a_significant_activity_of_an_mql_lands_once_in_activities_out(workspace: Path) -> None:
    out = _with_timeline(workspace, ["demo_request", "email_click"])
    first = sync_json(workspace)
    assert "sales: 2 significant activities written to the timeline" in first["notes"]
    rows = read_csv(out)
    assert [(row["type"], row["email"]) for row in rows] == [
        ("email_click", "vp@hospital.example.com"),
        ("demo_request", "vp@hospital.example.com"),
    ]
    demo = rows[1]
    assert demo["ref"] == entry_ref("marketing", "a1")
    assert demo["record_id"] == "vp@hospital.example.com"  # the sales record the run created
    assert demo["label"] == "Demo asked" and demo["campaign"] == "Launch"
    assert demo["subject"] == "Demo asked: Launch (funnelsync)"
    assert "Funnel stage: MQL" in demo["description"]
    for _ in range(2):
        again = sync_json(workspace)
        assert not any("timeline" in note for note in again["notes"])
    assert read_csv(out) == rows
    # Marketing has no activities_out: nothing is written there, and the student (not an
    # MQL) has no entry anywhere.
    assert not (workspace.parent / "data" / "marketing" / "timeline.csv").exists()


def test_no_significant_types_writes_no_file(workspace: Path) -> None:
    out = _with_timeline(workspace, [])
    sync_json(workspace)
    assert not out.exists()
