"""The engine's own guard against echoes: an activity read back with the id of a timeline
entry funnelsync wrote is neither counted nor stored as engagement, whatever the connector
does (real CSV systems, real state on both backends)."""

from __future__ import annotations

from pathlib import Path

from sync_support import open_state, sync_json

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.state.timeline import PlannedEntry, TimelineStore
from funnelsync.sync.workspace.loading import load_workspace


def _our_entry_is(config: Path, activity_id: str) -> None:
    """Record that funnelsync wrote marketing's activity ``activity_id`` (ref-1), and
    another entry still pending (no id known yet)."""
    store = open_state(config)
    try:
        timeline = TimelineStore(store.engine)
        timeline.begin([PlannedEntry("marketing", "ref-1", 1, "sales", "s1")], "r", "t")
        timeline.begin([PlannedEntry("marketing", "ref-2", 1, "sales", "s2")], "r", "t")
        timeline.finish("marketing", {"ref-1": activity_id}, {})
    finally:
        store.close()


def test_activities_with_the_id_of_an_entry_funnelsync_wrote_are_dropped(
    workspace: Path,
) -> None:
    _our_entry_is(workspace, "a2")
    plugins = create_plugins()
    planned = run_sync(load_workspace(workspace, plugins), plugins, dry_run=True).report
    assert planned.connections["marketing"].activities_read == 1
    assert "marketing: 1 of funnelsync's own timeline entries not counted" in planned.notes
    report = sync_json(workspace)
    assert report["connections"]["marketing"]["activities_read"] == 1
    assert report["activities"] == sum(c["activities_read"] for c in report["connections"].values())
    store = open_state(workspace)
    try:
        stored = {(a.connection, a.activity_id) for a in store.activities(None)}
    finally:
        store.close()
    assert ("marketing", "a1") in stored
    assert ("marketing", "a2") not in stored
