"""Which shared limits a connection gets: by its ``budget_key``, from where ``limits:`` says.

A workspace's ``limits: {url: …}`` names Redis or a database; without it the limits live
in the state database (PostgreSQL) or in ``api-limits.db`` beside a SQLite state. The
backend is opened only when a connection names a ``budget_key``.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from funnelsync.shared_limits import SharedLimits
from funnelsync.sync.state.backends import open_engine
from funnelsync.sync.workspace.loading import Connection, Workspace

if TYPE_CHECKING:
    import redis

LIMITS_FILE = "api-limits.db"
"""The SQLite file, in ``state_dir``, that holds the limits of a workspace whose state is
SQLite and whose config names no ``limits:``."""


class LimitsBackend:
    """The store at ``url`` (Redis or a database; ``None``: the SQLite ``sqlite_file``),
    opened on first use; hands out the :class:`SharedLimits` of each ``budget_key``."""

    def __init__(self, url: str | None, sqlite_file: Path) -> None:
        self.url = url
        self.sqlite_file = sqlite_file
        self._engine: Engine | None = None
        self._redis: redis.Redis | None = None

    def limits(self, budget_key: str) -> SharedLimits:
        """The limits shared under ``budget_key`` in this store."""
        url = self.url
        if url is not None and url.partition(":")[0] in ("redis", "rediss"):
            from funnelsync.sync.limits.redis_limits import RedisLimits, redis_client

            if self._redis is None:
                self._redis = redis_client(url)
            return RedisLimits(self._redis, budget_key)
        from funnelsync.sync.limits.sql_limits import SqlLimits, create_tables

        if self._engine is None:
            self._engine = open_engine(self.sqlite_file, url)
            create_tables(self._engine)
        return SqlLimits(self._engine, budget_key)

    def for_connection(self, connection: Connection) -> SharedLimits | None:
        """The limits shared under ``connection``'s ``budget_key`` (``None``: it has none)."""
        key = connection.config.budget_key
        return self.limits(key) if key is not None else None

    def close(self) -> None:
        """Release the connections opened."""
        if self._engine is not None:
            self._engine.dispose()
        if self._redis is not None:
            self._redis.close()

    def __enter__(self) -> LimitsBackend:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def workspace_limits(workspace: Workspace) -> LimitsBackend:
    """Where ``workspace``'s connections share their limits (see the module docstring)."""
    config = workspace.config.limits
    url = config.url.get_secret_value() if config else workspace.state_url
    return LimitsBackend(url, workspace.state_dir / LIMITS_FILE)
