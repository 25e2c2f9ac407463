"""Fields a system accepts but never returns (write-only) are remembered from what was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sync_support import NOW, read_csv, write_csv

from funnelsync import ReadBatch, SystemRecord, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.workspace.loading import load_workspace

CARLA = "carla.diaz@acme.example.com"
WRITE_ONLY = "Score Explanation"


class _WriteOnlyCsv(CsvConnector):
    """The CSV connector, but reads never return the ``Score Explanation`` column (as an API
    leaves out a field it accepts but does not return)."""

    name = "write_only_csv"

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        for batch in super().read_leads(cursor):
            batch.records = [
                SystemRecord(
                    r.record_id, {k: v for k, v in r.fields.items() if k != WRITE_ONLY}, r.location
                )
                for r in batch.records
            ]
            yield batch


class _Plugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_WriteOnlyCsv]


def _sync(workspace: Path) -> RunResult:
    plugins = create_plugins(extra=[("write-only", _Plugin())])
    return run_sync(load_workspace(workspace, plugins), plugins)


def _reassign(workspace: Path, owner: str, minutes: int) -> None:
    """A sales rep takes Carla over: a change that funnelsync has nothing to write back for."""
    path = workspace.parent / "data/sales/leads.csv"
    rows = read_csv(path)
    for row in rows:
        if row["Email"] == CARLA:
            row["Owner"] = owner
            row["Last Modified"] = (NOW + timedelta(minutes=minutes)).isoformat()
    write_csv(path, rows)


def test_a_record_read_but_not_written_keeps_its_write_only_fields(workspace: Path) -> None:
    workspace.write_text(
        workspace.read_text().replace(
            "  sales:\n    connector: csv", "  sales:\n    connector: write_only_csv"
        )
    )
    first = _sync(workspace)
    assert first.report.connections["sales"].updated == 1  # Carla, explanation included
    written = {r["Email"]: r for r in read_csv(workspace.parent / "data/sales/leads.csv")}
    assert written[CARLA][WRITE_ONLY]

    for minutes, owner in ((1, "Sam Lee"), (2, "Kim Park")):
        _reassign(workspace, owner, minutes)
        again = _sync(workspace)
        # Carla's record is read (it changed) but nothing of hers needs writing: the
        # explanation written before is still known, so it is not written again.
        assert again.report.connections["sales"].updated == 0, owner
