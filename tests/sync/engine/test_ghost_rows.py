"""A record deleted from a system is unlinked and reported, never re-created as a ghost
row holding only funnelsync's computed fields (issue 18, item 3)."""

from __future__ import annotations

from pathlib import Path

from sync_support import iso, read_csv, sync_json, write_csv

SALES_NAME_COLUMNS = ("First Name", "Last Name", "Company")


def _touch_vp(workspace: Path, title: str) -> None:
    """Change the VP's title in marketing, so the next sync has something to write to sales."""
    path = workspace.parent / "data/marketing/leads.csv"
    rows = read_csv(path)
    for row in rows:
        if row["email"] == "vp@hospital.example.com":
            row["title"] = title
            row["updated_at"] = iso(0)
    write_csv(path, rows)


def _no_partial_rows(path: Path) -> None:
    for row in read_csv(path):
        assert all(row[column] for column in SALES_NAME_COLUMNS), f"ghost row: {row}"


def test_a_row_deleted_by_a_user_is_unlinked_not_recreated_as_a_ghost(workspace: Path) -> None:
    sync_json(workspace)
    sales = workspace.parent / "data/sales/leads.csv"
    rows = read_csv(sales)
    assert any(row["Email"] == "vp@hospital.example.com" for row in rows)
    write_csv(sales, [row for row in rows if row["Email"] != "vp@hospital.example.com"])
    _touch_vp(workspace, "VP Growth")

    report = sync_json(workspace)

    _no_partial_rows(sales)
    assert report["connections"]["sales"]["quarantined"] == 0
    assert any("deleted" in note and "unlinked" in note for note in report["notes"])


def test_a_leads_file_deleted_during_a_sync_is_not_refilled_with_partial_rows(
    workspace: Path,
) -> None:
    sync_json(workspace)
    sales = workspace.parent / "data/sales/leads.csv"
    _touch_vp(workspace, "VP Growth")
    sales.unlink()  # gone before the write (the read found no file: an empty system)

    report = sync_json(workspace)

    if sales.exists():
        _no_partial_rows(sales)
    assert report["connections"]["sales"]["created"] == 0
