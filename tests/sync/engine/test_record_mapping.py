"""What a sync makes of each record it reads: a record is scored from what its system holds
now, and a record read back unchanged rescores nobody."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sync_support import iso, read_csv, sync_json, write_csv

from funnelsync.sync.cli.main import main


def _explain(workspace: Path, email: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["explain", "--config", str(workspace), "--json", email])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _labels(workspace: Path, email: str) -> list[str]:
    return [part["label"] for part in _explain(workspace, email)["breakdown"]]


def test_a_column_dropped_from_a_system_no_longer_scores_its_leads(workspace: Path) -> None:
    sync_json(workspace)
    assert "Student or intern" in _labels(workspace, "student@uni.example.edu")
    leads_file = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(leads_file)
    for row in rows:
        del row["title"]
        if row["email"] == "student@uni.example.edu":
            row["updated_at"] = iso(0)
    write_csv(leads_file, rows)

    report = sync_json(workspace)

    assert report["touched"] == 1
    # The title the ledger remembers from the first read is not the record's any more.
    assert "Student or intern" not in _labels(workspace, "student@uni.example.edu")


def test_records_read_back_unchanged_rescore_nobody(workspace: Path) -> None:
    assert sync_json(workspace)["touched"] == 3
    # Without its modified column the file's cursor is of another kind: all of it is read
    # again, every record as the first sync left it.
    config = workspace.read_text()
    assert ", modified_column: updated_at" in config
    workspace.write_text(config.replace(", modified_column: updated_at", "", 1))

    again = sync_json(workspace)

    assert again["connections"]["marketing"]["read"] == 4  # every row, the bad one too
    assert again["touched"] == 0
    assert again["connections"]["marketing"]["updated"] == 0


def test_an_outside_change_that_needs_no_write_is_remembered(workspace: Path) -> None:
    sync_json(workspace)
    leads_file = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(leads_file)
    for row in rows:
        if row["email"] == "student@uni.example.edu":
            row["first_name"], row["updated_at"] = "Bea", iso(0)
    write_csv(leads_file, rows)
    changed = sync_json(workspace)
    assert (changed["touched"], changed["connections"]["marketing"]["updated"]) == (1, 0)
    config = workspace.read_text()
    workspace.write_text(config.replace(", modified_column: updated_at", "", 1))

    again = sync_json(workspace)  # reads every marketing row again

    assert again["touched"] == 0  # the ledger holds the changed row as it was read


def test_a_set_if_empty_field_is_written_only_where_the_system_has_none(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    text = contract.read_text()
    assert "  title: two-way\n" in text
    contract.write_text(
        text.replace("  title: two-way\n", "  title: two-way\n  country: set if empty\n")
    )
    sales_file = workspace.parent / "data/sales/leads.csv"
    [carla] = read_csv(sales_file)
    carla["Country"] = ""
    write_csv(sales_file, [carla])
    marketing_file = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(marketing_file)
    for row in rows:
        if row["email"].strip().lower() == "carla.diaz@acme.example.com":
            row["country"] = "Chile"
    write_csv(marketing_file, rows)

    sync_json(workspace)

    sales = {row["Email"]: row for row in read_csv(sales_file)}
    assert sales["carla.diaz@acme.example.com"]["Country"] == "Chile"  # was empty: filled in
    marketing = [row for row in read_csv(marketing_file) if "carla" in row["email"].lower()]
    assert [row["country"] for row in marketing] == ["Chile"]
