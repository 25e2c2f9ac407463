"""Names stored once in a lookup table (activity types, campaigns) and referred to by id."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, Engine, Table, select

from funnelsync.sync.state.backends import upsert_statement


def _read(bind: Connection, table: Table) -> dict[str, int]:
    id_column, name_column = table.c[0], table.c.name
    return {name: key for name, key in bind.execute(select(name_column, id_column))}


def ids_of(connection: Connection, table: Table, names: Collection[str]) -> dict[str, int]:
    """Every name of ``table`` → its id, with ``names`` added first where missing.

    New names are numbered in name order, whatever order they come in, so the same data
    gives the same ids in every run. Runs inside the caller's transaction, so names are only
    ever kept with the rows that refer to them.
    """
    ids = _read(connection, table)
    missing = [{"name": name} for name in sorted(set(names)) if name not in ids]
    if missing:
        statement = upsert_statement(connection, table).on_conflict_do_nothing(
            index_elements=["name"]
        )
        connection.execute(statement, missing)
        ids = _read(connection, table)
    return ids


class NameCache:
    """Id → name of one lookup table, read once and again only when an id is new to it."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine = engine
        self.table = table
        self.names: dict[int, str] = {}

    def __call__(self, key: int) -> str:
        """The name of ``key`` (ids are never reused, so a cached name stays right)."""
        name = self.names.get(key)
        if name is None:
            self.refresh()
            name = self.names[key]
        return name

    def refresh(self) -> dict[int, str]:
        """Read every name again; returns id → name."""
        with self.engine.connect() as connection:
            self.names = {key: name for name, key in _read(connection, self.table).items()}
        return self.names

    def ids(self, names: Collection[str]) -> list[int]:
        """The ids of those of ``names`` that are stored."""
        found = {name: key for key, name in self.refresh().items()}
        return [found[name] for name in names if name in found]
