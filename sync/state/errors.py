"""State faults as one clear message with what to do: locked, damaged, read-only, full.

Messages name the file and the remedy, never the SQL statement or its values (which may
hold lead emails).
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

BUSY_TIMEOUT_S = 5.0
"""How long a state database locked by another process is waited for before giving up."""

_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
_LOW_SPACE = 1024 * 1024
"""Free bytes under which a SQLite I/O error is taken for a full disk."""


class StateError(Exception):
    """The state database or the state directory cannot be used; the message says what to do."""


def state_error(exc: BaseException, where: Path | str) -> StateError:
    """``exc`` (an ``OSError``, a SQLite or SQLAlchemy error) as a :class:`StateError`."""
    if isinstance(exc, StateError):
        return exc
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).splitlines()[0].lower() if str(cause) else ""
    code = getattr(cause, "errno", None)
    if "locked" in text or "busy" in text:
        return StateError(
            f"the state database {where} is locked by another process (waited "
            f"{BUSY_TIMEOUT_S:g} s); let that process (another funnelsync run, a backup or "
            "a database browser) finish, then run again"
        )
    if "malformed" in text or "not a database" in text or "encrypted" in text:
        return StateError(
            f"the state database {where} is damaged ({text}); restore it from a backup, or "
            "run `funnelsync state rebuild` to set it aside and relink every record from "
            "the systems by key (see docs/operations.md)"
        )
    if code in _FULL or "disk is full" in text or "no space" in text or _no_room(text, where):
        return StateError(
            f"no space left on the device holding {where}; free space, then run again"
        )
    if code in _READ_ONLY or "readonly" in text or "read-only" in text or "unable to open" in text:
        return StateError(
            f"cannot write to {where} (read-only or not permitted); make the state "
            "directory writable by this user, then run again"
        )
    if "disk i/o error" in text:
        return StateError(
            f"the state database {where} could not be read or written (disk I/O error); "
            "check the disk, then run again"
        )
    return StateError(
        f"the state database {where} cannot be used ({type(cause).__name__}: {text}); "
        "check it and run again, or see `funnelsync state rebuild` in docs/operations.md"
    )


def _no_room(text: str, where: Path | str) -> bool:
    """Whether a SQLite I/O error happened on a device with no free space left."""
    if "disk i/o error" not in text or not isinstance(where, Path):
        return False
    try:
        return shutil.disk_usage(where.parent).free < _LOW_SPACE
    except OSError:
        return False
