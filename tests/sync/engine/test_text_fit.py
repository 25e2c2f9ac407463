"""What funnelsync writes fits the target's text encoding (a latin-1 CSV CRM)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner
from sync_support import marketing_lead, read_csv, small_workspace, write_csv

from funnelsync.sync.cli.main import main


def _latin1_crm(tmp_path: Path) -> Path:
    config = small_workspace(tmp_path)
    config.write_text(
        config.read_text().replace(
            "leads: {path: data/sales/leads.csv,",
            "encoding: latin-1\n      leads: {path: data/sales/leads.csv,",
        )
    )
    assert "encoding: latin-1" in config.read_text()
    return config


def _sync(config: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _sales_rows(config: Path) -> dict[str, dict[str, str]]:
    path = config.parent / "data/sales/leads.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        return {row["Email"]: row for row in csv.DictReader(handle)}


def test_a_latin1_crm_gets_every_mql_with_ascii_wording(tmp_path: Path) -> None:
    config = _latin1_crm(tmp_path)
    code, report = _sync(config)
    assert (code, report["status"]) == (0, "ok"), report["status_rule"]
    vp = _sales_rows(config)["vp@hospital.example.com"]  # an MQL by score, created in sales
    assert vp["Funnel Stage"] == "MQL"
    assert ">=" in vp["Stage Reason"] and "≥" not in vp["Stage Reason"]
    assert vp["Score Explanation"].startswith("MQL since ")
    # Marketing is UTF-8: it keeps funnelsync's own characters.
    marketing = {r["email"]: r for r in read_csv(config.parent / "data/marketing/leads.csv")}
    assert "≥" in marketing["vp@hospital.example.com"]["stage_reason"]
    again_code, again = _sync(config)
    assert (again_code, again["status"]) == (0, "ok")
    assert all(c["created"] + c["updated"] == 0 for c in again["connections"].values())


def _add_lukasz_an_mql(config: Path) -> None:
    leads = config.parent / "data/marketing/leads.csv"
    rows = read_csv(leads)
    rows.append(
        marketing_lead(
            "lukasz@clinic.example.com",
            first_name="Łukasz",
            title="VP Marketing",
            industry="Healthcare",
            company_size="800",
            country="United States",
        )
    )
    write_csv(leads, rows)
    activities = config.parent / "data/marketing/activities.csv"
    events = read_csv(activities)
    events.append({**events[0], "activity_id": "a9", "email": "lukasz@clinic.example.com"})
    write_csv(activities, events)


def test_a_persons_value_the_crm_cannot_hold_is_rejected_naming_field_and_character(
    tmp_path: Path,
) -> None:
    config = _latin1_crm(tmp_path)
    _add_lukasz_an_mql(config)

    code, report = _sync(config)

    assert (code, report["status"]) == (4, "partial")
    assert report["connections"]["sales"]["refused"] == 1
    assert "vp@hospital.example.com" in _sales_rows(config)  # the other MQL is written
    assert "lukasz@clinic.example.com" not in _sales_rows(config)
    errors = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    reasons = [entry["reason"] for entry in json.loads(errors.output)["quarantined"]]
    assert (
        "rejected: First Name (first_name): 'Ł' (U+0141 LATIN CAPITAL LETTER L WITH STROKE) "
        "cannot be written in latin-1" in reasons
    )


def test_plan_shows_the_rejection_of_a_value_the_crm_cannot_hold_and_exits_4(
    tmp_path: Path,
) -> None:
    config = _latin1_crm(tmp_path)
    _add_lukasz_an_mql(config)
    sales = config.parent / "data/sales/leads.csv"
    before = sales.read_bytes()

    planned = CliRunner().invoke(main, ["plan", "--config", str(config)])

    assert planned.exit_code == 4, planned.output
    assert (
        "refused lukasz@clinic.example.com: First Name (first_name): 'Ł' (U+0141 LATIN "
        "CAPITAL LETTER L WITH STROKE) cannot be written in latin-1" in planned.output
    )
    assert "A sync now would end partial: 1 writes refused by the system (sales 1)" in (
        planned.output
    )
    assert sales.read_bytes() == before
    code, report = _sync(config)
    assert (code, report["status"]) == (4, "partial")
