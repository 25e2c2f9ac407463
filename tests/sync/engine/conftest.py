"""The engine suite runs on both state backends: a SQLite file and a real PostgreSQL."""

from pathlib import Path

import pytest
from sync_support import postgres_database, small_workspace, use_state_url


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A small two-system CSV workspace, its state in SQLite or in a fresh PostgreSQL DB."""
    config = small_workspace(tmp_path)
    if request.param == "postgresql":
        use_state_url(config, postgres_database(request))
    return config
