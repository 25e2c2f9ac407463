"""The engine's own guard against echoes: an activity read back with the id of a timeline
entry funnelsync wrote is dropped, whatever the connector does (real SQLite state)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sync_support import small_workspace

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.activity_push import drop_echoes
from funnelsync.sync.engine.reading import ConnectionRead
from funnelsync.sync.state.store import StateStore, StoredActivity
from funnelsync.sync.state.timeline import PlannedEntry, TimelineStore
from funnelsync.sync.workspace.loading import load_workspace

WHEN = datetime(2026, 11, 20, tzinfo=UTC)


def _activity(activity_id: str) -> StoredActivity:
    return StoredActivity("crm", activity_id, "ann@example.com", "task", WHEN, None, None)


def test_activities_with_the_id_of_an_entry_funnelsync_wrote_are_dropped(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "state")
    timeline = TimelineStore(store.engine)
    timeline.begin([PlannedEntry("crm", "ref-1", 1, "mkt", "a1")], "run", WHEN.isoformat())
    timeline.begin([PlannedEntry("crm", "ref-2", 1, "mkt", "a2")], "run", WHEN.isoformat())
    timeline.finish("crm", {"ref-1": "00T1"}, {})  # ref-2 stays pending: no id known yet
    connection = replace(
        load_workspace(small_workspace(tmp_path), create_plugins()).connections[1], name="crm"
    )
    read = ConnectionRead(connection, activities=[_activity("00T1"), _activity("00T2")])
    other = ConnectionRead(connection, activities=[])
    assert drop_echoes(store, [read, other]) == {"crm": 1}
    assert [a.activity_id for a in read.activities] == ["00T2"]
    store.close()
