"""`funnelsync sync` end to end on real CSV files: merge, score, stage, write back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sync_support import iso, read_csv, sync_json, write_csv

from funnelsync import hookimpl
from funnelsync.plugin_manager import create_plugins
from funnelsync.run_report import RunReport
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.loading import load_workspace


def test_first_sync_scores_stages_and_writes_every_system(workspace: Path) -> None:
    report = sync_json(workspace)
    assert report["status"] == "ok"
    assert report["leads"] == 3  # two emails in one case-insensitive person, one bad row
    marketing = {
        row["email"].strip().lower(): row
        for row in read_csv(workspace.parent / "data/marketing/leads.csv")
        if "@" in row["email"]
    }
    sales = {row["Email"]: row for row in read_csv(workspace.parent / "data/sales/leads.csv")}

    vp = marketing["vp@hospital.example.com"]
    assert vp["stage"] == "marketingqualifiedlead"  # the contract's value for marketing
    assert int(vp["fit_score"]) >= 25 and int(vp["engagement_score"]) >= 30
    assert vp["explanation"].startswith("MQL since ")
    assert "Senior title +20" in vp["explanation"]
    # MQLs are created in the CRM (create_from_stage: mql), with the CRM's own stage value.
    assert sales["vp@hospital.example.com"]["Funnel Stage"] == "MQL"
    assert sales["vp@hospital.example.com"]["MQL Date"]
    # The low-fit student is not pushed to sales.
    assert "student@uni.example.edu" not in sales

    # Sales feedback (always sales) reaches marketing: disqualified, with sales' status.
    carla = marketing["carla.diaz@acme.example.com"]
    assert carla["lead_status"] == "Closed - Not Converted"
    assert carla["stage"] == "other"
    assert sales["carla.diaz@acme.example.com"]["Funnel Stage"] == "Disqualified"
    # Two-way title: the sales record changed last, so its title wins everywhere.
    assert carla["title"] == "Head of Growth"
    # The marketing email keeps its original spelling: keys are not rewritten.
    assert any(
        row["email"] == "  Carla.Diaz@Acme.example.com "
        for row in read_csv(workspace.parent / "data/marketing/leads.csv")
    )


def test_bad_rows_are_quarantined_with_file_and_line(workspace: Path) -> None:
    report = sync_json(workspace)
    assert report["connections"]["marketing"]["quarantined"] == 1
    listed = CliRunner().invoke(main, ["errors", "--config", str(workspace), "--json"])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)["quarantined"]
    assert item["connection"] == "marketing"
    assert item["location"] == "leads.csv:4"
    assert "not-an-email" in item["reason"]
    assert item["attempts"] == 1


def test_second_sync_with_no_outside_change_writes_nothing(workspace: Path) -> None:
    sync_json(workspace)
    files = {path: path.read_bytes() for path in (workspace.parent / "data").rglob("*.csv")}
    again = sync_json(workspace)
    for counts in again["connections"].values():
        assert counts["created"] == 0
        assert counts["updated"] == 0
        assert counts["api_calls"]["write"] == 0
    assert {path: path.read_bytes() for path in files} == files


def test_an_outside_change_is_picked_up_and_spread(workspace: Path) -> None:
    sync_json(workspace)
    sales_file = workspace.parent / "data/sales/leads.csv"
    rows = read_csv(sales_file)
    for row in rows:
        if row["Email"] == "vp@hospital.example.com":
            row["Status"] = "Qualified"
    write_csv(sales_file, rows)
    report = sync_json(workspace)
    assert report["connections"]["marketing"]["updated"] == 1
    marketing = {
        row["email"]: row for row in read_csv(workspace.parent / "data/marketing/leads.csv")
    }
    assert marketing["vp@hospital.example.com"]["stage"] == "salesqualifiedlead"
    assert marketing["vp@hospital.example.com"]["lead_status"] == "Qualified"


class _Spy:
    def __init__(self) -> None:
        self.stage_changes: list[tuple[str, str | None, str]] = []
        self.reports: list[RunReport] = []
        self.quarantined: list[str] = []

    @hookimpl
    def funnelsync_stage_changed(self, lead: Any, old_stage: str | None, new_stage: str) -> None:
        self.stage_changes.append((lead.email, old_stage, new_stage))

    @hookimpl
    def funnelsync_record_quarantined(self, connection: str, location: str, reason: str) -> None:
        self.quarantined.append(f"{connection} {location}")

    @hookimpl
    def funnelsync_run_finished(self, report: RunReport) -> None:
        self.reports.append(report)


class _Broken:
    @hookimpl
    def funnelsync_run_finished(self, report: RunReport) -> None:
        raise RuntimeError("notifier is down")


def test_plugins_observe_the_run_and_a_failing_one_does_not_stop_it(workspace: Path) -> None:
    spy = _Spy()
    plugins = create_plugins(extra=[("broken", _Broken()), ("spy", spy)])
    result = run_sync(load_workspace(workspace, plugins), plugins)
    assert result.report.status == "ok"
    assert ("vp@hospital.example.com", None, "mql") in spy.stage_changes
    assert spy.quarantined == ["marketing leads.csv:4"]
    assert [report.run_id for report in spy.reports] == [result.report.run_id]


def test_a_failing_connection_ends_the_run_as_failed_and_records_it(workspace: Path) -> None:
    (workspace.parent / "data/sales/activities.csv").unlink()
    plugins = create_plugins()
    with pytest.raises(RunFailedError) as failed:
        run_sync(load_workspace(workspace, plugins), plugins)
    report = failed.value.result.report
    assert report.status == "failed"
    assert "activities.csv" in (report.error or "")
    cli = CliRunner().invoke(main, ["sync", "--config", str(workspace), "--json"])
    assert cli.exit_code == 1
    assert json.loads(cli.stdout)["status"] == "failed"
    status = CliRunner().invoke(main, ["status", "--config", str(workspace), "--json"])
    runs = json.loads(status.output)["runs"]
    assert [run["status"] for run in runs] == ["failed", "failed"]
    assert runs[1]["run_id"] == report.run_id


def test_init_creates_a_workspace_that_syncs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "client")])
    assert result.exit_code == 0, result.output
    report = sync_json(tmp_path / "client" / "funnelsync.yaml")
    assert report["leads"] == 0
    again = CliRunner().invoke(main, ["init", str(tmp_path / "client")])
    assert again.exit_code == 2
    assert "already exist(s); not overwriting" in again.output
    # Even without the config, an existing contract is never overwritten.
    (tmp_path / "client" / "funnelsync.yaml").unlink()
    contract = (tmp_path / "client" / "contract.yaml").read_text()
    assert CliRunner().invoke(main, ["init", str(tmp_path / "client")]).exit_code == 2
    assert (tmp_path / "client" / "contract.yaml").read_text() == contract


def test_human_summary_shows_stages_and_changes(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["sync", "--config", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "Leads per stage" in result.output
    assert "Disqualified (detour)" in result.output
    assert "MQLs (at or past MQL): 1" in result.output
    assert "marketing leads.csv:4" in result.output


def test_a_change_that_moves_no_one_reports_no_stage_change(workspace: Path) -> None:
    sync_json(workspace)
    marketing_file = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(marketing_file)
    for row in rows:
        row["first_name"], row["updated_at"] = "Renamed", iso(0)
    write_csv(marketing_file, rows)
    spy = _Spy()
    plugins = create_plugins(extra=[("spy", spy)])
    result = run_sync(load_workspace(workspace, plugins), plugins)
    assert result.report.status == "ok"
    assert result.report.connections["marketing"].updated == 0  # nothing to spread back
    assert spy.stage_changes == []


@pytest.mark.parametrize(
    ("in_crm", "kept"),
    [("2099-01-01T00:00:00+00:00", "first"), ("2020-01-01T00:00:00+00:00", "crm")],
    ids=["later", "earlier"],
)
def test_a_stage_entry_date_is_the_earliest_known(workspace: Path, in_crm: str, kept: str) -> None:
    """A later MQL date typed into the CRM does not move the entry; an earlier one (a
    backfilled history) is the entry."""
    sync_json(workspace)
    sales_file = workspace.parent / "data/sales/leads.csv"
    first = {row["Email"]: row for row in read_csv(sales_file)}["vp@hospital.example.com"]
    rows = read_csv(sales_file)
    for row in rows:
        if row["Email"] == "vp@hospital.example.com":
            row["MQL Date"] = in_crm
    write_csv(sales_file, rows)
    sync_json(workspace)
    expected = first["MQL Date"] if kept == "first" else in_crm
    marketing = {
        row["email"]: row for row in read_csv(workspace.parent / "data/marketing/leads.csv")
    }
    sales = {row["Email"]: row for row in read_csv(sales_file)}
    assert sales["vp@hospital.example.com"]["MQL Date"] == expected
    assert marketing["vp@hospital.example.com"]["mql_date"] == expected
