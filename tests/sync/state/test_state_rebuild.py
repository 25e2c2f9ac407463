"""`funnelsync state rebuild`: a damaged state database is set aside and every record is
relinked from the systems by key, so the next sync creates nothing twice (issue 18, item 8)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sync_support import read_csv, sync_json

from funnelsync.sync.cli.main import main
from funnelsync.sync.state.store import DATABASE_NAME


def _files(config: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in (config.parent / "data").rglob("*.csv")}


def test_rebuild_relinks_by_key_and_the_next_sync_creates_nothing(workspace: Path) -> None:
    sync_json(workspace)
    before = _files(workspace)
    sales_rows = len(read_csv(workspace.parent / "data/sales/leads.csv"))
    database = workspace.parent / "state" / DATABASE_NAME
    database.write_bytes(b"garbage " * 1000)

    rebuilt = CliRunner().invoke(main, ["state", "rebuild", "--yes", "--config", str(workspace)])

    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Relinked 3 people by email; records per connection: marketing 3, sales 2" in (
        rebuilt.output
    )
    [aside] = database.parent.glob(f"{DATABASE_NAME}.damaged-*")
    assert aside.read_bytes() == b"garbage " * 1000
    assert _files(workspace) == before  # the rebuild wrote nothing to any system

    report = sync_json(workspace)
    assert all(counts["created"] == 0 for counts in report["connections"].values())
    assert len(read_csv(workspace.parent / "data/sales/leads.csv")) == sales_rows
    assert report["leads"] == 3
