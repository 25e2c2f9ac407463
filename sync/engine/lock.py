"""One run at a time per workspace: an exclusive lock on ``state/funnelsync.lock``.

The lock is an OS file lock (``flock``), so a lock held by a process that died is
released by the operating system and simply taken over by the next run. When the state
is in PostgreSQL (runs of one workspace may then start on different machines), the lock
is a PostgreSQL advisory lock on a connection held for the run, keyed by the state's
schema: the server releases it when the holder's connection ends, dead process included.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from funnelsync.sync.state.errors import state_error

LOCK_NAME = "funnelsync.lock"


class WorkspaceBusyError(Exception):
    """Another run holds this workspace's lock."""


@contextmanager
def workspace_lock(
    state_dir: Path, *, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None
) -> Iterator[None]:
    """Hold the workspace's run lock for the duration of the ``with`` block.

    Without ``wait``, a held lock raises :class:`WorkspaceBusyError` naming the holder;
    with ``wait``, polls until it is free (or ``timeout_s`` passes). A state directory
    that cannot be written (read-only, full) is a
    :class:`~funnelsync.sync.state.errors.StateError`.
    """
    path = state_dir / LOCK_NAME
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise state_error(exc, path) from None
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
        try:
            os.ftruncate(descriptor, 0)
            os.write(
                descriptor, f"pid {os.getpid()} since {datetime.now(UTC).isoformat()}".encode()
            )
        except OSError as exc:
            raise state_error(exc, path) from None
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def database_lock(
    engine: Engine, *, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None
) -> Iterator[None]:
    """Hold the run lock of the PostgreSQL state behind ``engine`` (an advisory lock)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with engine.connect() as connection:
        key = connection.execute(
            text("SELECT hashtext('funnelsync run ' || current_schema())")
        ).scalar_one()
        while not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar_one():
            connection.commit()
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise WorkspaceBusyError(
                    "another funnelsync run holds this workspace's state database "
                    "(PostgreSQL advisory lock); wait for it or use --wait"
                )
            time.sleep(poll_s)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def run_lock(
    state_dir: Path, engine: Engine, *, wait: bool = False
) -> AbstractContextManager[None]:
    """The lock one run of a workspace holds: in its state database if that is PostgreSQL."""
    if engine.dialect.name == "postgresql":
        return database_lock(engine, wait=wait)
    return workspace_lock(state_dir, wait=wait)
