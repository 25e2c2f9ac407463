"""Running funnelsync: the engine, the state store, the command line, the demo.

``funnelsync.sync.run(config)`` runs one sync from Python (see :mod:`funnelsync.sync.api`).
"""

from funnelsync.sync.api import RunFailedError, run

__all__ = ["RunFailedError", "run"]
