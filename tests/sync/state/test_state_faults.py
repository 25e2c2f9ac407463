"""State and disk faults end a command with one clear message, what to do, and exit 1:
never a traceback, raw SQL or a lead's email (issue 18, item 8)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sync_support import iso, read_csv, small_workspace, sync_json, write_csv

from funnelsync.sync.cli.main import main
from funnelsync.sync.state import errors, store

COMMANDS = (["sync"], ["status"], ["errors"])


def _run(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result


def _assert_clear(result: Result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output, result.output
    for raw in ("Traceback", "SELECT", "INSERT", "UPDATE", "[SQL", ".example.com"):
        assert raw not in result.output, result.output


def _database(config: Path) -> Path:
    return config.parent / "state" / store.DATABASE_NAME


def _change_a_lead(config: Path) -> None:
    path = config.parent / "data/marketing/leads.csv"
    rows = read_csv(path)
    rows[0]["title"], rows[0]["updated_at"] = "VP Growth", iso(0)
    write_csv(path, rows)


def test_a_database_locked_longer_than_the_busy_timeout_is_a_clear_failure(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_json(workspace)
    _change_a_lead(workspace)
    monkeypatch.setattr(errors, "BUSY_TIMEOUT_S", 0.3)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sqlite3, sys, time
                db = sqlite3.connect({str(_database(workspace))!r}, isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = _run(workspace, "sync")
    finally:
        holder.communicate("done\n", timeout=10)
    _assert_clear(result, "is locked by another process (waited 0.3 s)", "run again")
    [saved] = (workspace.parent / "state").glob("unsaved-run-*.json")
    assert '"status": "failed"' in saved.read_text()


def test_a_file_that_is_not_a_database_is_a_clear_failure_for_every_command(
    workspace: Path,
) -> None:
    sync_json(workspace)
    _database(workspace).write_bytes(b"this is not a database\n" * 400)
    for command in COMMANDS:
        result = _run(workspace, *command)
        _assert_clear(result, "is damaged", "funnelsync state rebuild")


def test_a_malformed_database_is_a_clear_failure_for_every_command(workspace: Path) -> None:
    sync_json(workspace)
    database = _database(workspace)
    _run(workspace, "status")  # checkpoints the write-ahead log into the file
    data = bytearray(database.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset : offset + 200] = b"\xa5" * 200
    database.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    for command in COMMANDS:
        result = _run(workspace, *command)
        _assert_clear(result, "is damaged", "funnelsync state rebuild")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small real tmpfs (needs root); tests using it skip elsewhere."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_workspace_is_a_clear_failure(tmpfs: Path) -> None:
    config = small_workspace(tmpfs)
    sync_json(config)
    _change_a_lead(config)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    result = _run(config, "sync")
    _assert_clear(result, "read-only or not permitted", "make the state directory writable")


def test_a_full_disk_is_a_clear_failure(tmpfs: Path) -> None:
    config = small_workspace(tmpfs)
    sync_json(config)
    _change_a_lead(config)
    descriptor = os.open(tmpfs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(descriptor)
    result = _run(config, "sync")
    _assert_clear(result, "no space left on the device holding", "free space")
