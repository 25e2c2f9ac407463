"""One API budget across processes: the Redis and database backends of ``budget_key``.

Each test runs real child processes against a real Redis (``FUNNELSYNC_TEST_REDIS_URL``),
a real SQLite file and a real PostgreSQL database (``FUNNELSYNC_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from funnelsync.connector import BudgetExhaustedError
from funnelsync.ratelimit import CallBudget
from funnelsync.shared_limits import USAGE_TTL_S
from funnelsync.sync.limits.opening import LimitsBackend
from funnelsync.sync.limits.sql_limits import SqlLimits, create_tables
from funnelsync.sync.state.backends import open_engine

CLIENT = Path(__file__).with_name("limits_client.py")
PROCESSES = 4
CALLS, PER_S = 10, 0.5


def _client(store: tuple[str, Path], *args: object) -> subprocess.Popen[bytes]:
    url, sqlite_file = store
    return subprocess.Popen(
        [sys.executable, str(CLIENT), url, str(sqlite_file), "portal-1", *map(str, args)]
    )


def _backend(store: tuple[str, Path]) -> LimitsBackend:
    url, sqlite_file = store
    return LimitsBackend(None if url == "-" else url, sqlite_file)


def _most_surely_in_one_window(spans: list[tuple[float, float]], per_s: float) -> int:
    """The most calls certainly counted within one ``per_s`` window: calls whose whole
    ``(before, after)`` spans lie inside ``[start, start + per_s)`` for some start."""
    return max(
        sum(1 for before, after in spans if before >= start and after < start + per_s)
        for start, _ in spans
    )


def test_processes_sharing_a_budget_key_stay_under_one_limit_together(
    store: tuple[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "calls.txt"
    with _backend(store) as backend:
        backend.limits("portal-1")  # creates the tables before the race
    children = [_client(store, "calls", 15, CALLS, PER_S, out) for _ in range(PROCESSES)]
    assert [child.wait(timeout=120) for child in children] == [0] * PROCESSES
    spans = [tuple(map(float, line.split())) for line in out.read_text().splitlines()]
    assert len(spans) == 15 * PROCESSES
    assert _most_surely_in_one_window(spans, PER_S) <= CALLS  # type: ignore[arg-type]
    # And they did use it: more than one window's worth went through.
    assert _most_surely_in_one_window(spans, 3 * PER_S) > CALLS  # type: ignore[arg-type]


def test_a_pause_one_process_was_told_holds_back_every_other(store: tuple[str, Path]) -> None:
    assert _client(store, "pause", 30).wait(timeout=60) == 0
    with _backend(store) as backend:
        wait = backend.limits("portal-1").take("general", CALLS, PER_S)
        other_account = backend.limits("portal-2").take("general", CALLS, PER_S)
    assert 25 < wait <= 30
    assert other_account == 0


def test_the_daily_usage_one_process_saw_stops_a_run_in_another(
    store: tuple[str, Path],
) -> None:
    with _backend(store) as backend:
        budget = CallBudget(0.9, backend.limits("portal-1"))
        budget.check()  # nothing known yet: go ahead
        assert _client(store, "observe", 880, 1000).wait(timeout=60) == 0
        assert (budget.used, budget.allowance) == (880, 1000)
        budget.check()
        assert _client(store, "count", 20).wait(timeout=60) == 0
        with pytest.raises(BudgetExhaustedError, match="900 of 1000 daily calls"):
            budget.check()


def test_a_usage_figure_is_forgotten_once_stale(tmp_path: Path) -> None:
    now = [1_000_000.0]
    engine = open_engine(tmp_path / "limits.db", None)
    create_tables(engine)
    limits = SqlLimits(engine, "org", clock=lambda: now[0])
    limits.observe_usage(999, 1000)
    assert limits.usage() == (999, 1000)
    now[0] += USAGE_TTL_S + 1
    assert limits.usage() is None
    engine.dispose()
