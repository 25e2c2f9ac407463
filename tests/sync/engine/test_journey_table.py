"""The ``journeys`` table the report reads stays what the stored leads and stage history
say, run after run: stage moves, changed fields, new people, a record deleted in its
system, and a state rebuild (issue 14, item 1)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from journey_support import derived_journeys, stored_journeys
from sync_support import marketing_lead, read_csv, small_workspace, sync_json, write_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import load_workspace

VP = "vp@hospital.example.com"


def _journeys_match(config: Path) -> tuple[dict[str, Journey], int]:
    """Assert the table's journeys equal the ones worked out afresh; those journeys by
    email, and how many stage moves the stage history holds."""
    workspace = load_workspace(config, create_plugins())
    store = StateStore.open(workspace.state_dir, workspace.state_url)
    try:
        stored = stored_journeys(store, workspace.contract)
        assert stored, "the workspace has staged leads"
        assert stored == derived_journeys(store, workspace.contract)
        return {journey.email: journey for journey in stored}, store.count("stage_history")
    finally:
        store.close()


def _edit(path: Path, email: str, **changes: str) -> None:
    """Change one person's row of a marketing or sales CSV file, stamped modified now."""
    sales = path.parent.name == "sales"
    email_column, modified = ("Email", "Last Modified") if sales else ("email", "updated_at")
    rows = read_csv(path)
    for row in rows:
        if row[email_column].strip().lower() == email:
            row.update(changes, **{modified: datetime.now(UTC).isoformat()})
    write_csv(path, rows)


def test_each_run_keeps_the_journeys_table_as_leads_and_history_say(workspace: Path) -> None:
    data = workspace.parent / "data"
    sync_json(workspace)
    _, moves = _journeys_match(workspace)

    # Second run: sales accepts the VP (a stage move), marketing changes the student's
    # source and country (grouped fields), and a new person arrives.
    _edit(data / "sales" / "leads.csv", VP, Status="Working - Contacted")
    _edit(
        data / "marketing" / "leads.csv",
        "student@uni.example.edu",
        source="Event",
        country=" Canada ",
    )
    rows = read_csv(data / "marketing" / "leads.csv")
    write_csv(data / "marketing" / "leads.csv", [*rows, marketing_lead("new@shop.example.com")])
    second = sync_json(workspace)

    assert second["status"] != "failed", second["error"]
    journeys, moved = _journeys_match(workspace)
    assert moved > moves
    student = journeys["student@uni.example.edu"].fields
    assert (student["source"], student["country"]) == ("Event", "Canada")
    assert "new@shop.example.com" in journeys

    # Recycled, then accepted again: the return to SAL is in the stage history only (the
    # lead's stage dates keep the first entry). A run's time has whole seconds: each of
    # these runs starts in a second of its own.
    for status in ("Recycled", "Working - Contacted"):
        time.sleep(1.05)
        _edit(data / "sales" / "leads.csv", VP, Status=status)
        sync_json(workspace)
        journeys, _ = _journeys_match(workspace)
    assert [stay.stage for stay in journeys[VP].stays] == ["mql", "sal", "recycled", "sal"]

    # The VP's sales record is gone from the file when a run writes to it: unlinked, and
    # the person stays, with their journey.
    rows = [row for row in read_csv(data / "sales" / "leads.csv") if row["Email"] != VP]
    write_csv(data / "sales" / "leads.csv", rows)
    _edit(data / "marketing" / "leads.csv", VP, industry="Retail")  # fit falls: a write
    last = sync_json(workspace)

    assert any("deleted from their systems" in note for note in last["notes"]), last["notes"]
    journeys, _ = _journeys_match(workspace)
    assert VP in journeys


def test_a_rebuilt_state_has_the_journeys_of_its_relinked_people(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    sync_json(config)
    _edit(config.parent / "data" / "sales" / "leads.csv", VP, Status="Working - Contacted")
    sync_json(config)
    _journeys_match(config)

    rebuilt = CliRunner().invoke(main, ["state", "rebuild", "--yes", "--config", str(config)])

    assert rebuilt.exit_code == 0, rebuilt.output
    assert _journeys_match(config)[1] == 0  # the old stage history stays in the file set aside
    sync_json(config)
    _journeys_match(config)
