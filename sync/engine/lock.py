"""One run at a time per workspace: an exclusive lock on ``state/funnelsync.lock``.

The lock is an OS file lock (``flock``), so a lock held by a process that died is
released by the operating system and simply taken over by the next run.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = "funnelsync.lock"


class WorkspaceBusyError(Exception):
    """Another run holds this workspace's lock."""


@contextmanager
def workspace_lock(
    state_dir: Path, *, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None
) -> Iterator[None]:
    """Hold the workspace's run lock for the duration of the ``with`` block.

    Without ``wait``, a held lock raises :class:`WorkspaceBusyError` naming the holder;
    with ``wait``, polls until it is free (or ``timeout_s`` passes).
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    holder = path.read_text(encoding="utf-8").strip() or "another process"
                    raise WorkspaceBusyError(
                        f"another funnelsync run holds {path} ({holder}); wait for it or use --wait"
                    ) from None
                time.sleep(poll_s)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"pid {os.getpid()} since {datetime.now(UTC).isoformat()}".encode())
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
