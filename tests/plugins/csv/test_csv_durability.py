"""The leads file is replaced durably: the new content is on disk before the rename."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from csv_support import make_connector

from funnelsync.connector import LeadWrite


def _write(key: str, **fields: Any) -> LeadWrite:
    return LeadWrite(key=key, record_id=None, fields={"email": key, **fields})


def test_the_new_file_is_synced_to_disk_before_it_replaces_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise a power cut after the rename can leave an empty or partial leads file."""
    path = tmp_path / "leads.csv"
    path.write_bytes(b"email,score\r\nann@example.com,1\r\n")
    events: list[tuple[str, int, int]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        status = os.fstat(fd)
        events.append(("fsync", status.st_ino, status.st_size))
        real_fsync(fd)

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        status = os.stat(src)
        events.append(("replace", status.st_ino, status.st_size))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    writes = [_write(f"lead{n}@example.com", score=n) for n in range(200)]
    make_connector(tmp_path).write_leads(writes)

    [(_, inode, size)] = [e for e in events if e[0] == "replace"]
    assert size == path.stat().st_size
    replaced_at = events.index(("replace", inode, size))
    # the temporary file was synced whole (after the last byte was flushed), then renamed
    assert ("fsync", inode, size) in events[:replaced_at]
