"""Shared API limits in a SQL database (SQLite file or PostgreSQL), one transaction each.

Three small tables, created if missing: the calls of each window, each window's pause,
and each account's daily usage. Every operation first writes (an ``INSERT … ON CONFLICT
DO NOTHING`` of its row, then a locking read), so on PostgreSQL it holds that row's lock
and on SQLite the file's write lock until it commits: processes take turns. Times are
the processes' own wall clocks (``time.time``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from funnelsync.shared_limits import USAGE_TTL_S
from funnelsync.sync.state.backends import serialise_migrations, upsert_statement

metadata = MetaData()

limit_calls = Table(
    "api_limit_calls",
    metadata,
    Column("budget_key", String, nullable=False),
    Column("limiter", String, nullable=False),
    Column("at", Float, nullable=False),
    Index("api_limit_calls_window", "budget_key", "limiter", "at"),
)
limiters = Table(
    "api_limiters",
    metadata,
    Column("budget_key", String, primary_key=True),
    Column("limiter", String, primary_key=True),
    Column("paused_until", Float, nullable=False, default=0.0),
)
usage_figures = Table(
    "api_usage",
    metadata,
    Column("budget_key", String, primary_key=True),
    Column("used", Integer, nullable=False),
    Column("allowance", Integer, nullable=False),
    Column("observed_at", Float, nullable=False),
)


def create_tables(engine: Engine) -> None:
    """Create the limit tables where missing (one opener at a time on PostgreSQL; on
    SQLite, an opener that lost the race to create them finds them on its second look)."""
    for attempt in range(2):
        try:
            with engine.begin() as connection:
                serialise_migrations(connection)
                metadata.create_all(connection, checkfirst=True)
            return
        except OperationalError:
            if attempt:
                raise


class SqlLimits:
    """:class:`~funnelsync.shared_limits.SharedLimits` of one ``budget_key`` in a database."""

    def __init__(
        self, engine: Engine, budget_key: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._engine = engine
        self._key = budget_key
        self._clock = clock

    def _hold(self, connection: Connection, limiter: str) -> float:
        """Lock ``limiter``'s row for this transaction; its ``paused_until``."""
        connection.execute(
            upsert_statement(connection, limiters)
            .values(budget_key=self._key, limiter=limiter, paused_until=0.0)
            .on_conflict_do_nothing()
        )
        row = (
            select(limiters.c.paused_until)
            .where(limiters.c.budget_key == self._key, limiters.c.limiter == limiter)
            .with_for_update()
        )
        return float(connection.execute(row).scalar_one())

    def take(self, limiter: str, calls: int, per_s: float) -> float:
        """See :meth:`funnelsync.shared_limits.SharedLimits.take`."""
        window = (limit_calls.c.budget_key == self._key) & (limit_calls.c.limiter == limiter)
        with self._engine.begin() as connection:
            paused_until = self._hold(connection, limiter)
            now = self._clock()
            if paused_until > now:
                return paused_until - now
            connection.execute(delete(limit_calls).where(window, limit_calls.c.at <= now - per_s))
            sent, oldest = connection.execute(
                select(func.count(), func.min(limit_calls.c.at)).where(window)
            ).one()
            if sent < calls:
                connection.execute(
                    insert(limit_calls).values(budget_key=self._key, limiter=limiter, at=now)
                )
                return 0.0
            return max(float(oldest) + per_s - now, 0.001)

    def pause(self, limiter: str, seconds: float) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.pause`."""
        with self._engine.begin() as connection:
            paused_until = self._hold(connection, limiter)
            ends = self._clock() + seconds
            if ends > paused_until:
                connection.execute(
                    update(limiters)
                    .where(limiters.c.budget_key == self._key, limiters.c.limiter == limiter)
                    .values(paused_until=ends)
                )

    def observe_usage(self, used: int, allowance: int) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.observe_usage`."""
        figures = {"used": used, "allowance": allowance, "observed_at": self._clock()}
        with self._engine.begin() as connection:
            connection.execute(
                upsert_statement(connection, usage_figures)
                .values(budget_key=self._key, **figures)
                .on_conflict_do_update(index_elements=["budget_key"], set_=figures)
            )

    def count_usage(self, calls: int) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.count_usage`."""
        with self._engine.begin() as connection:
            connection.execute(
                update(usage_figures)
                .where(usage_figures.c.budget_key == self._key)
                .values(used=usage_figures.c.used + calls)
            )

    def usage(self) -> tuple[int, int] | None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.usage`."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(usage_figures.c.used, usage_figures.c.allowance).where(
                    usage_figures.c.budget_key == self._key,
                    usage_figures.c.observed_at >= self._clock() - USAGE_TTL_S,
                )
            ).one_or_none()
        return (int(row.used), int(row.allowance)) if row is not None else None
