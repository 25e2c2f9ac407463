"""The timeline through the engine on CSV systems (SQLite and PostgreSQL state): a
significant activity of a sales-visible lead lands once in the ``activities_out`` file."""

from __future__ import annotations

from pathlib import Path

from sync_support import iso, read_csv, sync_json, write_csv
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


def test_an_activity_dated_ahead_of_the_run_or_before_the_lookback_is_not_written(
    workspace: Path,
) -> None:
    out = with_timeline(workspace, ["demo_request", "email_click"])
    activities = workspace.parent / "data" / "marketing" / "activities.csv"
    rows = read_csv(activities)
    stray = {**rows[0], "campaign": "", "asset": ""}
    write_csv(
        activities,
        [
            *rows,
            {**stray, "activity_id": "typo-year", "occurred_at": iso(-365)},
            {**stray, "activity_id": "tomorrow", "occurred_at": iso(-0.5)},
            {**stray, "activity_id": "long-ago", "occurred_at": iso(400)},
        ],
    )
    sync_json(workspace)
    written = {row["ref"] for row in read_csv(out)}
    assert entry_ref("marketing", "tomorrow") in written
    assert entry_ref("marketing", "typo-year") not in written
    assert entry_ref("marketing", "long-ago") not in written
    assert len(written) == 3
