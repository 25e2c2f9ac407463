"""A write that takes a lead out of a detour the system holds it in is marked as one.

Connectors may refuse to move a stage backward unless the write says the move is an
intended detour (HubSpot only moves ``lifecyclestage`` forward otherwise). Leaving a
detour the *system* records (the lead is back on the path by the contract) is such a move.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from sync_support import read_csv, write_csv

from funnelsync import LeadWrite, WriteResult, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

CARLA = "carla.diaz@acme.example.com"


class _RecordingCsv(CsvConnector):
    """The CSV connector, keeping every write it was given."""

    name = "recording_csv"
    writes: ClassVar[list[LeadWrite]] = []

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        _RecordingCsv.writes.extend(writes)
        return super().write_leads(writes)


class _RecordingPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_RecordingCsv]


def test_leaving_a_detour_the_system_holds_is_written_as_a_detour(workspace: Path) -> None:
    """Sales holds Carla as Disqualified, but her status is no longer the one that puts a
    lead there: the contract brings her back to the path, and the write says so."""
    path = workspace.parent / "data" / "sales" / "leads.csv"
    [carla] = read_csv(path)
    write_csv(path, [{**carla, "Status": "Working - Contacted", "Funnel Stage": "Disqualified"}])
    text = workspace.read_text()
    workspace.write_text(
        text.replace("  sales:\n    connector: csv", "  sales:\n    connector: recording_csv")
    )
    _RecordingCsv.writes = []
    plugins = create_plugins(extra=[("recording", _RecordingPlugin())])

    result = run_sync(load_workspace(workspace, plugins), plugins)

    assert result.report.status in ("ok", "partial")
    [write] = [w for w in _RecordingCsv.writes if w.key == CARLA]
    new_stage = write.fields["Funnel Stage"]
    assert new_stage not in ("Disqualified", "Recycled"), "back on the path"
    assert write.detour, "moving out of the system's detour is an intended backward move"
    assert read_csv(path)[0]["Funnel Stage"] == new_stage
