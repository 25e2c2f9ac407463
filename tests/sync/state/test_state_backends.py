"""Where the state lives: the SQLite file by default, PostgreSQL when the config names it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sync_support import open_state, postgres_database, small_workspace, sync_json, use_state_url

from funnelsync.sync.cli.main import main


def test_an_unsupported_state_url_stops_validate_with_the_key(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    use_state_url(config, "mysql://funnel:s3cret-pw@db.example.com/state")
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    assert result.exit_code == 2
    assert "state.url" in result.output and "not supported" in result.output
    assert "s3cret-pw" not in result.output


def test_state_in_postgresql_leaves_no_sqlite_file_and_a_second_sync_writes_nothing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config = small_workspace(tmp_path)
    use_state_url(config, postgres_database(request))
    first = sync_json(config)
    assert first["status"] == "ok"
    second = sync_json(config)
    assert sum(c["created"] + c["updated"] for c in second["connections"].values()) == 0
    assert not (config.parent / "state" / "funnelsync.db").exists()
    store = open_state(config)
    try:
        assert store.engine.dialect.name == "postgresql"
        assert len(store.all_person_ids()) == first["leads"] > 0
    finally:
        store.close()
