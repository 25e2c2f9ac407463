"""The engine's state: plan = sync, run lock, identity, duplicates, quarantine, history."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sync_support import (
    hold_run_lock,
    iso,
    open_state,
    read_csv,
    sales_lead,
    sync_json,
    write_csv,
)

from funnelsync import LeadWrite, ReadBatch, SystemRecord, WriteResult, WriteStatus, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.identity import assign_persons
from funnelsync.sync.engine.lock import WorkspaceBusyError, workspace_lock
from funnelsync.sync.engine.reading import ReadRecord
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.state.store import Identity
from funnelsync.sync.workspace.loading import load_workspace


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _change_sales(workspace: Path, email: str, **fields: str) -> None:
    path = workspace.parent / "data/sales/leads.csv"
    rows = read_csv(path)
    for row in rows:
        if row["Email"] == email:
            row.update(fields)
            row["Last Modified"] = iso(0)
    write_csv(path, rows)


def test_plan_shows_the_sync_that_follows_and_writes_nothing(workspace: Path) -> None:
    sync_json(workspace)
    _change_sales(
        workspace, "vp@hospital.example.com", Status="Qualified", Title="Chief Marketing Officer"
    )
    files = {path: path.read_bytes() for path in (workspace.parent / "data").rglob("*.csv")}
    planned = _cli("plan", "--config", str(workspace), "--json")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.output)
    assert {path: path.read_bytes() for path in files} == files
    marketing_writes = plan["connections"]["marketing"]["writes"]
    assert [w["email"] for w in marketing_writes] == ["vp@hospital.example.com"]
    assert marketing_writes[0]["fields"]["lead_status"] == {"old": None, "new": "Qualified"}
    synced = sync_json(workspace)
    for name, counts in plan["connections"].items():
        for key in ("read", "created", "updated", "unchanged", "quarantined"):
            assert synced["connections"][name][key] == counts[key], (name, key)
    assert synced["connections"]["marketing"]["updated"] == 1


def test_plan_makes_no_write_calls_and_stores_no_run(workspace: Path) -> None:
    planned = _cli("plan", "--config", str(workspace), "--json")
    plan = json.loads(planned.output)
    assert plan["connections"]["sales"]["created"] == 1
    status = json.loads(_cli("status", "--config", str(workspace), "--json").output)
    assert status["runs"] == []
    assert status["leads"] == 0
    assert not any(
        (workspace.parent / "data/sales/leads.csv").read_text().count(e) for e in ["vp@hospital"]
    )


def test_a_second_sync_refuses_while_one_runs_and_waits_when_asked(workspace: Path) -> None:
    with hold_run_lock(workspace):
        refused = _cli("sync", "--config", str(workspace))
        assert refused.exit_code == 5
        assert "another funnelsync run holds" in refused.output
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with hold_run_lock(workspace):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    waited = _cli("sync", "--config", str(workspace), "--wait", "--json")
    holder.join()
    assert waited.exit_code == 0, waited.output


def test_the_file_lock_names_its_holder(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with (
        workspace_lock(state_dir),
        pytest.raises(WorkspaceBusyError, match=f"pid {os.getpid()}"),
        workspace_lock(state_dir),
    ):
        pass


def _hold_lock_forever(config: str, held: Any) -> None:
    with hold_run_lock(Path(config)):
        held.set()
        time.sleep(60)


def test_a_lock_left_by_a_killed_process_is_taken_over(workspace: Path) -> None:
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    process = context.Process(target=_hold_lock_forever, args=(str(workspace), held))
    process.start()
    assert held.wait(20)
    assert _cli("sync", "--config", str(workspace)).exit_code == 5
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert _cli("sync", "--config", str(workspace), "--json").exit_code == 0


def _record(connection: str, record_id: str, email: str) -> ReadRecord:
    return ReadRecord((connection, record_id), f"{connection}/{record_id}", {}, (email,))


def test_an_email_changed_in_one_system_keeps_the_person() -> None:
    identity = Identity({}, {}, {}, {}, next_person_id=1)
    first, links, _ = assign_persons(
        identity,
        [_record("crm", "00Q1", "ana@old.example.com"), _record("mkt", "7", "ana@old.example.com")],
    )
    assert first[("crm", "00Q1")] == first[("mkt", "7")]
    assert len(links) == 2
    # The CRM record's email changes; the link, not the email, decides who it is.
    second, new_links, notes = assign_persons(
        identity, [_record("crm", "00Q1", "ana@new.example.com")]
    )
    assert second[("crm", "00Q1")] == first[("mkt", "7")]
    assert new_links == [] and notes == []
    # A new record with the new address joins the same person too.
    third, _, _ = assign_persons(identity, [_record("erp", "x1", "ana@new.example.com")])
    assert third[("erp", "x1")] == first[("mkt", "7")]
    assert identity.next_person_id == 2


def test_a_case_variant_email_twin_in_one_csv_file_is_quarantined(workspace: Path) -> None:
    path = workspace.parent / "data/sales/leads.csv"
    rows = read_csv(path)
    twin = sales_lead(
        "VP@Hospital.example.com", **{"Title": "VP Marketing", "Status": "Working - Contacted"}
    )
    rows.append(twin)
    rows.append(sales_lead("vp@hospital.example.com", Status="Working - Contacted"))
    write_csv(path, rows)
    report = sync_json(workspace)
    assert report["leads"] == 3
    assert report["connections"]["sales"]["quarantined"] == 1
    errors = json.loads(_cli("errors", "--config", str(workspace), "--json").output)["quarantined"]
    [twin_error] = [e for e in errors if e["connection"] == "sales"]
    assert twin_error["location"] == "leads.csv:4"
    assert "first on leads.csv:3 (as 'VP@Hospital.example.com')" in twin_error["reason"]
    sales = [row for row in read_csv(path) if row["Email"].lower() == "vp@hospital.example.com"]
    assert [row["Funnel Stage"] for row in sales] == ["SAL", ""]  # the twin is left untouched


def test_a_fixed_bad_row_goes_through_and_leaves_quarantine(workspace: Path) -> None:
    sync_json(workspace)
    path = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(path)
    for row in rows:
        if row["email"] == "not-an-email":
            row["email"] = "fixed@example.org"
            row["updated_at"] = iso(0)
    write_csv(path, rows)
    report = sync_json(workspace)
    assert report["connections"]["marketing"]["quarantined"] == 0
    errors = json.loads(_cli("errors", "--config", str(workspace), "--json").output)["quarantined"]
    assert errors == []
    assert report["leads"] == 4


def test_quarantined_rows_are_retried_each_run_and_retry_resets_them(workspace: Path) -> None:
    sync_json(workspace)
    sync_json(workspace)
    [entry] = json.loads(_cli("errors", "--config", str(workspace), "--json").output)["quarantined"]
    assert entry["attempts"] == 2
    requeued = _cli("retry", "--config", str(workspace))
    assert "Re-queued 1 records" in requeued.output
    [entry] = json.loads(_cli("errors", "--config", str(workspace), "--json").output)["quarantined"]
    assert entry["attempts"] == 0 and entry["requeued"] is True


class _RefusingCsv(CsvConnector):
    """The CSV connector, but the system refuses one email (as a CRM validation rule would)."""

    name = "refusing_csv"
    refused = "vp@hospital.example.com"

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        allowed = [w for w in writes if w.key != self.refused]
        results = super().write_leads(allowed) if allowed else []
        results += [
            WriteResult(
                w.key, WriteStatus.rejected, message="FIELD_CUSTOM_VALIDATION_EXCEPTION: no VPs"
            )
            for w in writes
            if w.key == self.refused
        ]
        return results


class _RefusingPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_RefusingCsv]


def test_a_refused_write_is_quarantined_and_planned_again(workspace: Path) -> None:
    config = workspace.read_text().replace(
        "  sales:\n    connector: csv", "  sales:\n    connector: refusing_csv"
    )
    workspace.write_text(config)
    plugins = create_plugins(extra=[("refusing", _RefusingPlugin())])
    result = run_sync(load_workspace(workspace, plugins), plugins)
    # Sales did not get the MQL the contract says it gets: the run is partial.
    assert result.report.status == "partial"
    assert result.report.status_rule.startswith("1 writes refused by the system (sales 1)")
    assert result.report.connections["sales"].quarantined == 1
    assert any("no VPs" in item.reason for item in result.quarantined)
    again = run_sync(load_workspace(workspace, plugins), plugins, dry_run=True)
    assert again.plans["sales"].created == 1
    store = open_state(workspace)
    listed = store.quarantine("sales")
    store.close()
    assert [(e.kind, e.record_key) for e in listed] == [("write", "new:vp@hospital.example.com")]


def test_history_shows_each_change_and_why(workspace: Path) -> None:
    sync_json(workspace)
    _change_sales(workspace, "vp@hospital.example.com", Status="Qualified")
    sync_json(workspace)
    shown = json.loads(
        _cli("history", "--config", str(workspace), "--json", "VP@hospital.example.com").output
    )
    assert [(s["from_stage"], s["to_stage"]) for s in shown["stages"]] == [
        (None, "mql"),
        ("mql", "sql"),
    ]
    marketing = [c for c in shown["changes"] if c["connection"] == "marketing"]
    assert marketing[-1]["changes"]["stage"] == ["marketingqualifiedlead", "salesqualifiedlead"]
    assert "contract 2026-11-01" in marketing[-1]["reason"]
    assert "lead_status: always sales" in marketing[-1]["reason"]
    missing = _cli("history", "--config", str(workspace), "nobody@example.org")
    assert missing.exit_code == 1
    assert "no lead with the email nobody@example.org" in missing.output


def test_a_contract_change_recomputes_every_lead(workspace: Path) -> None:
    sync_json(workspace)
    before = {r["email"]: r for r in read_csv(workspace.parent / "data/marketing/leads.csv")}
    contract = workspace.parent / "contract.yaml"
    text = contract.read_text()
    contract.write_text(
        text.replace("points: 20, label: Senior title", "points: 25, label: Senior title")
    )
    report = sync_json(workspace)
    assert report["touched"] == 3
    after = {r["email"]: r for r in read_csv(workspace.parent / "data/marketing/leads.csv")}
    vp = "vp@hospital.example.com"
    assert int(after[vp]["fit_score"]) == int(before[vp]["fit_score"]) + 5
    assert "Senior title +25" in after[vp]["explanation"]
    # The VP and the Head of Growth gain 5 points; the student's row is left alone.
    assert report["connections"]["marketing"]["updated"] == 2


class _DeletingCsv(CsvConnector):
    """The CSV connector, plus a deletion log: emails listed in ``deleted.txt``."""

    name = "deleting_csv"
    capabilities = CsvConnector.capabilities.model_copy(update={"deletes": True})

    def read_deletions(self, cursor: str | None) -> Iterator[ReadBatch]:
        log = self.context.workspace_dir / "deleted.txt"
        gone = log.read_text().split() if log.exists() else []
        done = int(cursor or 0)
        records = [
            SystemRecord(e, {"email": e}, f"deleted.txt:{n + 1}") for n, e in enumerate(gone)
        ]
        yield ReadBatch(records=records[done:], cursor=str(len(gone)))


class _DeletingPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_DeletingCsv]


def test_a_record_deleted_in_a_system_is_unlinked_and_not_written_again(workspace: Path) -> None:
    config = workspace.read_text().replace(
        "  sales:\n    connector: csv", "  sales:\n    connector: deleting_csv"
    )
    workspace.write_text(config)
    plugins = create_plugins(extra=[("deleting", _DeletingPlugin())])
    run_sync(load_workspace(workspace, plugins), plugins)
    path = workspace.parent / "data/sales/leads.csv"
    rows = [row for row in read_csv(path) if row["Email"] != "carla.diaz@acme.example.com"]
    write_csv(path, rows)
    (workspace.parent / "deleted.txt").write_text("carla.diaz@acme.example.com\n")
    report = run_sync(load_workspace(workspace, plugins), plugins).report
    assert "1 records were deleted in their systems and unlinked" in report.notes
    store = open_state(workspace)
    identity = store.load_identity()
    store.close()
    assert ("sales", "carla.diaz@acme.example.com") not in identity.person_of
    # The person is still known through marketing; the next run leaves the deletion alone
    # (create_from_stage keeps a disqualified lead out of sales).
    again = run_sync(load_workspace(workspace, plugins), plugins).report
    assert again.connections["sales"].created == 0
    assert again.leads == report.leads
