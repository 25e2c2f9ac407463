"""`validate` and `check` on mapped fields that do not exist, and `check` without tracebacks."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _init(tmp_path: Path, preset: str = "csv") -> Path:
    result = _cli("init", str(tmp_path / "ws"), "--preset", preset)
    assert result.exit_code == 0, result.output
    return tmp_path / "ws" / "funnelsync.yaml"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_a_fresh_init_workspace_validates_and_passes_check(tmp_path: Path) -> None:
    config = _init(tmp_path)
    assert _cli("validate", "--config", str(config)).exit_code == 0
    checked = _cli("check", "--config", str(config), "--json")
    assert checked.exit_code == 0, checked.output
    assert all(c["ok"] for c in json.loads(checked.output)["connections"])


def test_a_mapped_column_typo_fails_validate_and_check_with_a_did_you_mean(
    tmp_path: Path,
) -> None:
    config = _init(tmp_path)
    config.write_text(config.read_text().replace("title: Title", "title: Titel"))
    validated = _cli("validate", "--config", str(config))
    assert validated.exit_code == 2
    assert (
        "connections.sales.mapping.lead_fields.title: Titel (title) does not exist in sales; "
        "did you mean 'Title'?" in validated.output
    )
    checked = _cli("check", "--config", str(config), "--fix")
    assert checked.exit_code == 1
    assert "Titel (title) does not exist in sales; did you mean 'Title'?" in checked.output
    sales = config.parent / "data/sales/leads.csv"
    assert "Titel" not in _header(sales)  # --fix never creates a descriptive field


def test_check_fix_creates_only_the_fields_funnelsync_writes(tmp_path: Path) -> None:
    config = _init(tmp_path)
    sales = config.parent / "data/sales/leads.csv"
    header = [c for c in _header(sales) if c not in ("Lead Score", "Owner")]
    sales.write_text(",".join(header) + ",Account Owner\n")
    checked = _cli("check", "--config", str(config))
    assert checked.exit_code == 1
    assert "missing field Lead Score (number)" in checked.output
    assert "Owner (owner) does not exist in sales; did you mean 'Account Owner'?" in checked.output
    fixed = _cli("check", "--config", str(config), "--fix")
    assert "created field Lead Score" in fixed.output
    assert "Lead Score" in _header(sales)
    assert "Owner" not in _header(sales)
    assert fixed.exit_code == 1  # the owner column is still for the user to map


def test_an_activity_column_typo_fails_validate(tmp_path: Path) -> None:
    config = _init(tmp_path)
    config.write_text(config.read_text().replace("occurred_at: Date", "occurred_at: Datum"))
    validated = _cli("validate", "--config", str(config))
    assert validated.exit_code == 2
    assert "activity_fields.occurred_at: Datum (occurred_at) does not exist" in validated.output
    assert "did you mean 'Date'?" in validated.output


def test_check_with_unset_variables_prints_one_line_per_connection_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "HUBSPOT_ACCESS_TOKEN",
        "SALESFORCE_USERNAME",
        "SALESFORCE_PASSWORD",
        "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    config = _init(tmp_path, "hubspot-salesforce")
    checked = _cli("check", "--config", str(config))
    assert checked.exit_code == 1, checked.output
    assert "Traceback" not in checked.output
    assert checked.exception is None or isinstance(checked.exception, SystemExit)
    lines = checked.output.splitlines()
    assert lines[0] == "✗ hubspot"
    assert "HUBSPOT_ACCESS_TOKEN is not set" in lines[1]
    assert lines[2] == "✗ salesforce"
    assert "is not set" in lines[3]
    assert len(lines) == 4
    document = json.loads(_cli("check", "--config", str(config), "--json").output)
    hubspot, salesforce = document["connections"]
    assert (hubspot["ok"], hubspot["reachable"]) == (False, False)
    assert "HUBSPOT_ACCESS_TOKEN is not set" in hubspot["messages"][0]
    assert salesforce["ok"] is False


def test_check_on_an_unreachable_host_is_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _init(tmp_path, "hubspot-salesforce")
    text = config.read_text().replace("https://api.hubapi.com", "http://127.0.0.1:9")
    config.write_text(text.replace("daily_budget_share: 0.5", "retry: {attempts: 1}", 1))
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-nothing")
    checked = _cli("check", "--config", str(config), "--json")
    assert checked.exit_code == 1
    assert "Traceback" not in checked.output
    hubspot, _ = json.loads(checked.output)["connections"]
    assert hubspot["ok"] is False
    assert any("127.0.0.1:9" in message for message in hubspot["messages"]), hubspot
    assert "pat-na1-nothing" not in checked.output


def test_validate_stops_on_a_modified_column_that_is_not_iso_8601(tmp_path: Path) -> None:
    config = _init(tmp_path)
    leads = config.parent / "data/marketing/leads.csv"
    before = leads.read_bytes()
    with leads.open("a", encoding="utf-8", newline="") as handle:
        row = {"email": "ann@example.com", "updated_at": "15 Apr, 2021 00:03:00"}
        csv.writer(handle).writerow([row.get(column, "") for column in _header(leads)])
    validated = _cli("validate", "--config", str(config))
    assert validated.exit_code == 2, validated.output
    assert "connections.marketing.settings.leads.modified_column:" in validated.output
    assert "'updated_at' holds '15 Apr, 2021 00:03:00' (line 2)" in validated.output
    assert "not an ISO 8601 timestamp" in validated.output
    assert "Traceback" not in validated.output
    assert leads.read_bytes()[: len(before)] == before
    assert not (config.parent / "state").exists()  # validate wrote nothing


def test_validate_stops_on_a_modified_column_missing_from_its_file(tmp_path: Path) -> None:
    config = _init(tmp_path)
    config.write_text(
        config.read_text().replace("id_column: Id}", "id_column: Id, modified_column: Dtae}")
    )
    validated = _cli("validate", "--config", str(config))
    assert validated.exit_code == 2, validated.output
    assert "connections.sales.settings.activities.modified_column:" in validated.output
    assert "no column 'Dtae'" in validated.output


def _add_marketing_mql(config: Path) -> None:
    data = config.parent / "data/marketing"
    lead = {
        "email": "ann@example.com",
        "first_name": "Ann",
        "title": "CTO",
        "company": "Acme",
        "industry": "Software",
        "company_size": "5000",
        "updated_at": "2026-12-01T00:00:00",
    }
    for path, row in (
        (data / "leads.csv", lead),
        (data / "activities.csv", {"activity_id": "a1", "email": "ann@example.com"}),
    ):
        with path.open("a", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow([row.get(column, "") for column in _header(path)])
    activities = data / "activities.csv"
    activities.write_text(
        activities.read_text().replace("a1,ann@example.com,,", "a1,ann@example.com,demo_request,")
        + "a2,ann@example.com,pricing_page_view,2026-12-02T00:00:00,,\n"
    )
    activities.write_text(
        activities.read_text().replace(",demo_request,,", ",demo_request,2026-12-01T00:00:00,")
    )


def test_sync_refuses_a_misspelt_mapped_column_before_writing_anything(tmp_path: Path) -> None:
    config = _init(tmp_path)
    config.write_text(config.read_text().replace("title: Title", "title: Titel"))
    _add_marketing_mql(config)
    files = sorted((config.parent / "data").rglob("*.csv"))
    before = {path: path.read_bytes() for path in files}
    for command in ("plan", "sync"):
        result = _cli(command, "--config", str(config))
        assert result.exit_code == 2, result.output
        assert "Titel (title) does not exist in sales; did you mean 'Title'?" in result.output
        assert "Traceback" not in result.output
        assert {path: path.read_bytes() for path in files} == before
    config.write_text(config.read_text().replace("title: Titel", "title: Title"))
    synced = _cli("sync", "--config", str(config))
    assert synced.exit_code == 0, synced.output
    sales = config.parent / "data/sales/leads.csv"
    assert "Titel" not in _header(sales)
    assert any(row["Title"] == "CTO" for row in csv.DictReader(sales.open(encoding="utf-8")))


def test_sync_into_an_empty_crm_file_writes_the_mapped_columns(tmp_path: Path) -> None:
    config = _init(tmp_path)
    _add_marketing_mql(config)
    sales = config.parent / "data/sales/leads.csv"
    sales.write_bytes(b"")  # an empty file is an empty system, like a missing one
    assert _cli("validate", "--config", str(config)).exit_code == 0
    synced = _cli("sync", "--config", str(config))
    assert synced.exit_code == 0, synced.output
    assert [row["Title"] for row in csv.DictReader(sales.open(encoding="utf-8"))] == ["CTO"]


def test_a_crm_that_only_reads_the_email_still_gets_new_people_keyed_by_it(
    tmp_path: Path,
) -> None:
    config = _init(tmp_path)
    config.write_text(
        config.read_text().replace("email: Email\n", "email: {field: Email, direction: read}\n")
    )
    _add_marketing_mql(config)
    synced = _cli("sync", "--config", str(config))
    assert synced.exit_code == 0, synced.output
    sales = config.parent / "data/sales/leads.csv"
    rows = list(csv.DictReader(sales.open(encoding="utf-8")))
    assert [(row["Email"], row["Funnel Stage"]) for row in rows] == [("ann@example.com", "MQL")]
