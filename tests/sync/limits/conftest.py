"""Fixtures of the shared-limits tests: a fresh store of each kind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sync_support import postgres_database

from funnelsync.sync.limits.opening import LimitsBackend

REDIS_ENV = "FUNNELSYNC_TEST_REDIS_URL"


@pytest.fixture(params=["redis", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``(url, sqlite_file)`` of a fresh store of each kind (url ``-``: the SQLite file)."""
    if request.param == "redis":
        url = os.environ.get(REDIS_ENV)
        if not url:
            pytest.skip(f"shared limits in Redis need a server: set {REDIS_ENV} (.ci/run does)")
        redis.Redis.from_url(url).flushdb()
    elif request.param == "postgresql":
        url = postgres_database(request)
    else:
        url = "-"
    yield url, tmp_path / "api-limits.db"


@pytest.fixture
def backend(store: tuple[str, Path]) -> Iterator[LimitsBackend]:
    """A :class:`LimitsBackend` on ``store`` (closed after the test)."""
    url, sqlite_file = store
    with LimitsBackend(None if url == "-" else url, sqlite_file) as opened:
        yield opened
