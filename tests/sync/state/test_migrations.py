"""The state database's migrations: a store made by an older funnelsync opens and keeps working."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from funnelsync.models import Lead
from funnelsync.sync.state import schema
from funnelsync.sync.state.store import DATABASE_NAME, StateStore


def _version_1_store(state_dir: Path) -> None:
    """A database as funnelsync left it before identity keys (schema version 1)."""
    state_dir.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{state_dir / DATABASE_NAME}")
    with engine.begin() as connection:
        schema.metadata.create_all(connection, tables=[schema.schema_version])
        connection.execute(schema.schema_version.insert().values(version=0))
        schema._create_v1(connection)
        connection.execute(schema.schema_version.update().values(version=1))
        connection.execute(
            schema.persons.insert(),
            [
                {
                    "person_id": 1,
                    "email": "ann@example.com",
                    "stage": "lead",
                    "lead": Lead(email="ann@example.com", stage="lead").model_dump_json(),
                    "run_id": "r1",
                }
            ],
        )
        connection.execute(
            schema.links.insert(),
            [{"connection": "crm", "record_id": "7", "person_id": 1, "first_run": "r1"}],
        )
    engine.dispose()


def test_version_1_store_gains_identity_keys_from_its_emails(tmp_path: Path) -> None:
    _version_1_store(tmp_path / "state")

    store = StateStore.open(tmp_path / "state")
    try:
        assert store.schema_version == schema.LATEST_VERSION == 4
        identity = store.load_identity()
        assert identity.person_by_key == {"ann@example.com": 1}
        assert identity.person_of == {("crm", "7"): 1}
        found = store.person_by_key("ann@example.com")
        assert found is not None and found[0] == 1
        assert store.field_warnings() == []
        assert store.count("handoffs") == 0  # version 3 adds the hand-off tables
        assert store.count("timeline") == 0  # version 4 the timeline entries
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "state" / DATABASE_NAME) as db:
        assert db.execute("SELECT token, person_id FROM person_keys").fetchall() == [
            ("ann@example.com", 1)
        ]
