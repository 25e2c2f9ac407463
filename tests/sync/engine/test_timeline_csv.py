"""The timeline through the engine on CSV systems (SQLite and PostgreSQL state): a
significant activity of a sales-visible lead lands once in the ``activities_out`` file."""

from __future__ import annotations

from pathlib import Path

from sync_support import read_csv, sync_json
from timeline_csv_support import with_timeline

from funnelsync.sync.engine.activity_push import entry_ref


def test_a_significant_activity_of_an_mql_lands_once_in_activities_out(workspace: Path) -> None:
    out = with_timeline(workspace, ["demo_request", "email_click"])
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
    out = with_timeline(workspace, [])
    sync_json(workspace)
    assert not out.exists()
