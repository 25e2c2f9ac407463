"""Quarantine over time: a bad row is parked after its tries; a refused write that lands leaves."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from click.testing import CliRunner
from sync_support import open_state, read_csv, sync_json

from funnelsync import LeadWrite, WriteResult, WriteStatus, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.state.store import AUTO_ATTEMPTS
from funnelsync.sync.workspace.loading import load_workspace

VP = "vp@hospital.example.com"
CARLA = "carla.diaz@acme.example.com"


def _errors(workspace: Path) -> list[dict[str, Any]]:
    shown = CliRunner().invoke(main, ["errors", "--config", str(workspace), "--json"])
    assert shown.exit_code == 0, shown.output
    quarantined: list[dict[str, Any]] = json.loads(shown.output)["quarantined"]
    return quarantined


def test_a_bad_row_is_parked_after_its_tries_until_it_is_requeued(workspace: Path) -> None:
    for _ in range(AUTO_ATTEMPTS):
        sync_json(workspace)
    [entry] = _errors(workspace)
    assert (entry["record_key"], entry["attempts"]) == ("not-an-email", AUTO_ATTEMPTS)

    # parked: the next runs leave it alone (no new attempt, nothing quarantined again)
    for _ in range(2):
        report = sync_json(workspace)
        assert report["connections"]["marketing"]["quarantined"] == 0
    [entry] = _errors(workspace)
    assert entry["attempts"] == AUTO_ATTEMPTS
    shown = CliRunner().invoke(main, ["errors", "--config", str(workspace)])
    assert f"{AUTO_ATTEMPTS} (waits for retry)" in shown.output

    # re-queued by a person: tried once more on the next run
    CliRunner().invoke(main, ["retry", "--config", str(workspace)])
    report = sync_json(workspace)
    assert report["connections"]["marketing"]["quarantined"] == 1
    [entry] = _errors(workspace)
    assert (entry["attempts"], entry["requeued"]) == (1, False)


class _RefusingCsv(CsvConnector):
    """The CSV connector, but the system refuses the writes of the emails in ``refused``."""

    name = "refusing_csv"
    refused: ClassVar[set[str]] = set()

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        allowed = [w for w in writes if w.key not in self.refused]
        results = super().write_leads(allowed) if allowed else []
        return results + [
            WriteResult(w.key, WriteStatus.rejected, message="FIELD_CUSTOM_VALIDATION_EXCEPTION")
            for w in writes
            if w.key in self.refused
        ]


class _RefusingPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_RefusingCsv]


def _sync(workspace: Path, refused: set[str]) -> RunResult:
    _RefusingCsv.refused = refused
    text = workspace.read_text()
    workspace.write_text(
        text.replace("  sales:\n    connector: csv", "  sales:\n    connector: refusing_csv")
    )
    plugins = create_plugins(extra=[("refusing", _RefusingPlugin())])
    return run_sync(load_workspace(workspace, plugins), plugins)


def _write_entries(workspace: Path) -> list[tuple[str, str]]:
    store = open_state(workspace)
    try:
        return sorted((e.record_key, e.reason) for e in store.quarantine("sales"))
    finally:
        store.close()


def test_a_refused_write_that_lands_later_leaves_the_quarantine(workspace: Path) -> None:
    first = _sync(workspace, refused={VP, CARLA})
    assert first.report.connections["sales"].quarantined == 2
    assert _write_entries(workspace) == [
        (CARLA, "rejected: FIELD_CUSTOM_VALIDATION_EXCEPTION"),
        (f"new:{VP}", "rejected: FIELD_CUSTOM_VALIDATION_EXCEPTION"),
    ]

    # the validation rule is relaxed: the create and the update both land
    second = _sync(workspace, refused=set())
    assert second.report.connections["sales"].created == 1
    assert second.report.connections["sales"].updated == 1
    assert VP in {row["Email"] for row in read_csv(workspace.parent / "data/sales/leads.csv")}
    assert _write_entries(workspace) == []
