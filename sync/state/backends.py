"""The two databases a state store can live in: a SQLite file (default) or PostgreSQL.

Queries are SQLAlchemy Core and the same on both; what differs is how an engine is made
(SQLite: WAL journal, ``busy_timeout``), how an upsert is spelt (each dialect's
``INSERT … ON CONFLICT``) and how concurrent openers are kept from migrating at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from funnelsync.sync.state import errors as state_errors

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert

SUPPORTED = ("sqlite", "postgresql")

MIGRATION_LOCK = 0x66756E6E656C  # "funnel": one advisory lock id for schema migrations


class StateUrlError(ValueError):
    """A state URL names a database funnelsync cannot keep its state in."""


def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a SQLAlchemy URL; :class:`StateUrlError` otherwise."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise StateUrlError(f"not a database URL: {exc}") from None
    if backend not in SUPPORTED:
        raise StateUrlError(
            f"state in {backend!r} is not supported; use postgresql+psycopg://… or sqlite:///…"
        )
    return backend


SQLITE_CHECKPOINT_PAGES = 10_000
"""WAL pages (~40 MiB) before a commit checkpoints them into the database (SQLite's default
is 1,000). A checkpoint writes each page once however often it changed since the last,
so bulk storage checkpoints far less; a crash loses nothing more (the WAL is the journal)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(state_errors.BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
    cursor.close()


def open_engine(sqlite_file: Path, url: str | None) -> Engine:
    """An engine for ``url``, or for the SQLite file ``sqlite_file`` when there is none."""
    if url is None or backend_of(url) == "sqlite":
        if url is None:
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url or f"sqlite:///{sqlite_file}")
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


BULK_CACHE_KIB = 65_536
"""SQLite page cache while a chunk of rows is stored (SQLite's default is 2 MiB). Activities
go in at random places of the identity-token index: with the small cache, storing a chunk
spilled and re-read most of that index's pages (storing 1M activities took ~30% less CPU
with 64 MiB). Given back after the chunk, so it adds nothing to the run's peak memory."""


@contextmanager
def bulk_cache(connection: Connection) -> Iterator[None]:
    """Run the block (outside any transaction of ``connection``) with the SQLite page
    cache at :data:`BULK_CACHE_KIB`, then shrink it back; PostgreSQL: nothing changes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    connection.commit()
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        connection.commit()


def upsert_statement(bind: Engine | Connection, table: Table) -> SqliteInsert | PostgresInsert:
    """``INSERT`` into ``table`` in the bind's dialect, with ``on_conflict_do_*`` available."""
    if bind.dialect.name == "postgresql":
        # Imported here: a SQLite state never needs the PostgreSQL dialect (~25 ms).
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert(table)
    return sqlite_insert(table)


def serialise_migrations(connection: Connection) -> None:
    """Hold, until the transaction ends, the lock that lets one opener migrate at a time.

    SQLite serialises writers by itself; PostgreSQL takes a transaction-level advisory lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})


def execute_many(connection: Any, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run ``statement`` once per row through the driver's ``executemany``.

    The statement is compiled once for the connection's dialect; the rows go to the
    driver as they are (SQLAlchemy's per-row parameter processing would cost as much as
    the inserts themselves for a few hundred thousand rows).
    """
    if not rows:
        return
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    order = compiled.positiontup
    if order is None:
        connection.exec_driver_sql(str(compiled), [dict(row) for row in rows])
    elif len(order) == 1:
        connection.exec_driver_sql(str(compiled), [(row[order[0]],) for row in rows])
    else:
        connection.exec_driver_sql(str(compiled), list(map(itemgetter(*order), rows)))


def driver_rows(connection: Connection, query: Any) -> list[Any]:
    """The rows of ``query`` as the driver gives them: tuples, without SQLAlchemy's row layer
    (which costs more than what the callers do with a million activities)."""
    compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
    named, positions = compiled.params, compiled.positiontup  # ``params`` is built per read
    parameters = named if positions is None else tuple(named[name] for name in positions)
    cursor = connection.connection.cursor()  # the connection's own, in its transaction
    try:
        cursor.execute(str(compiled), parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()
