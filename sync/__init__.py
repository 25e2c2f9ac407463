"""Running funnelsync: the engine, the state store, the command line, the demo.

``funnelsync.sync.run(config)`` runs one sync from Python (see :mod:`funnelsync.sync.api`).
The engine is imported on first use, so commands that only read the state (``report``,
``status``) start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from funnelsync.sync.api import RunFailedError, run

__all__ = ["RunFailedError", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from funnelsync.sync import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
