"""Replacing a file atomically, so a killed process never leaves it half written."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from funnelsync.connector import ConnectorError


def replace_file(path: Path, encoding: str, fill: Callable[[TextIO], None]) -> None:
    """Write ``path`` anew with ``fill``, atomically.

    ``fill`` writes into a temporary file in the same directory, which is flushed, synced
    to disk and then moved over ``path`` in one step; an existing file's permissions are
    kept. Missing parent directories are created. Lone surrogates written by ``fill``
    become the bytes they stand for (text read with ``surrogateescape`` keeps its bytes).
    On any failure the temporary file is removed, ``path`` is left as it was, and an
    ``OSError`` becomes a :class:`ConnectorError` naming the path.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("x", encoding=encoding, errors="surrogateescape", newline="") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        temporary.replace(path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ConnectorError(f"{path}: cannot write ({exc})") from exc
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the system allows it.

    Best effort: Windows cannot open a directory, and some file systems refuse to sync
    one; the file is in place either way.
    """
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
