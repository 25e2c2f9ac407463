"""Kept values live in their own table: a system field named like funnelsync's old ledger
mark (``funnelsync:kept``) is an ordinary field, not a mark."""

from __future__ import annotations

from pathlib import Path

from sync_support import read_csv, sync_json, write_csv


def test_a_csv_column_named_funnelsync_kept_is_just_a_column(workspace: Path) -> None:
    sales = workspace.parent / "data" / "sales" / "leads.csv"
    rows = read_csv(sales)
    for row in rows:
        row["funnelsync:kept"] = "see notes"
    write_csv(sales, rows)

    first = sync_json(workspace)
    again = sync_json(workspace)

    assert first["status"] != "failed", first["error"]
    assert first["connections"]["sales"]["created"] > 0
    assert again["status"] != "failed", again["error"]
    assert again["connections"]["sales"]["created"] == 0
    assert again["connections"]["sales"]["updated"] == 0
    after = read_csv(sales)
    assert {row["funnelsync:kept"] for row in after} == {"see notes", ""}
