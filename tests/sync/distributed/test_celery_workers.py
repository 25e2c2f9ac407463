"""Many workspaces on Celery workers: queued 3 times each, a worker SIGKILLed mid-run.

Real parts only: a Redis server (``.ci/run`` starts one and sets
``FUNNELSYNC_TEST_REDIS_URL``), four ``funnelsync worker`` processes, ``funnelsync
enqueue``, and CSV workspaces with SQLite state. Every workspace must end exactly as a
single-process reference that synced the same data three times, no two runs of one
workspace may overlap (from the runs table), and the task the killed worker held must be
run by another worker once the visibility timeout has passed.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sync_support import marketing_lead, open_state, read_csv, small_workspace, write_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

pytestmark = pytest.mark.slow

REDIS_ENV = "FUNNELSYNC_TEST_REDIS_URL"
WORKSPACES = 24
WORKERS = 4
QUEUED = 3
VISIBILITY_TIMEOUT_S = 8
FUNNELSYNC = [str(Path(sys.executable).with_name("funnelsync"))]


@pytest.fixture
def broker() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"Celery worker tests need a Redis server: set {REDIS_ENV} (.ci/run does)")
    redis.Redis.from_url(url).flushdb()
    return url


def _workspace(root: Path, number: int) -> Path:
    config = small_workspace(root / f"client{number:02d}")
    leads = config.parent / "data" / "marketing" / "leads.csv"
    rows = read_csv(leads)
    rows.append(marketing_lead(f"buyer{number}@client{number}.example.com",
                               company_size=str(10 * (number + 1)), title="Director"))  # fmt: skip
    write_csv(leads, rows)
    return config


def _snapshot(config: Path) -> dict[str, list[dict[str, str]]]:
    data = config.parent / "data"
    return {str(p.relative_to(data)): read_csv(p) for p in sorted(data.rglob("leads.csv"))}


def _same(value: str | None, expected: str, today: str) -> bool:
    """Equal, except that a time stamped today (a stage date a run wrote) compares by day."""
    if expected.startswith(today) and value is not None:
        return value[:10] == expected[:10]
    return value == expected


def _differences(
    live: dict[str, list[dict[str, str]]], reference: dict[str, list[dict[str, str]]]
) -> list[str]:
    today = datetime.now(UTC).date().isoformat()
    found = []
    for name, rows in reference.items():
        for row, expected in zip(live.get(name, []), rows, strict=False):
            found += [f"{name} {key}: {row.get(key)!r} != {value!r}"
                      for key, value in expected.items()
                      if not _same(row.get(key), value, today)]  # fmt: skip
        if len(live.get(name, [])) != len(rows):
            found.append(f"{name}: {len(live.get(name, []))} rows, expected {len(rows)}")
    return found


def _runs(config: Path) -> list[tuple[datetime, float, str]]:
    store = open_state(config)
    try:
        return sorted((r.started_at, r.duration_s, r.status.value) for r in store.recent_runs(100))
    finally:
        store.close()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _start_worker(name: str, broker: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FUNNELSYNC_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [*FUNNELSYNC, "worker", "--broker", broker, "--pool", "solo", "--name", name],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _wait_for(condition: object, what: str, timeout_s: float, poll_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)


def test_workspaces_on_four_workers_converge_with_a_worker_killed(
    broker: str, tmp_path: Path
) -> None:
    started = datetime.now(UTC)
    configs = [_workspace(tmp_path / "live", n) for n in range(WORKSPACES)]
    references = []
    for config in configs:
        copy = tmp_path / "reference" / config.parent.parent.name / "ws"
        shutil.copytree(config.parent, copy)
        plugins = create_plugins()
        for _ in range(QUEUED):
            run_sync(load_workspace(copy / "funnelsync.yaml", plugins), plugins)
        references.append(_snapshot(copy / "funnelsync.yaml"))

    # Worker 0 starts alone and is killed as soon as it has taken a task, mid-run; then
    # four more workers take the queue, the killed worker's task among it (redelivered
    # once the visibility timeout has passed).
    logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS + 1)]
    arguments = [a for config in configs for a in ("--config", str(config))]
    for _ in range(QUEUED):
        queued = subprocess.run([*FUNNELSYNC, "enqueue", "--broker", broker, *arguments],
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert queued.returncode == 0, queued.stderr
        assert queued.stdout.count("queued") == WORKSPACES
    workers = [_start_worker("w0@test", broker, logs[0])]
    try:
        # Mid-run: worker 0's run holds a workspace's lock (the lock file names its pid).
        holder = f"pid {workers[0].pid} "
        locks = [config.parent / "state" / "funnelsync.lock" for config in configs]
        _wait_for(lambda: any(holder in _text(lock) for lock in locks), "a run on worker 0", 60,
                  0.002)  # fmt: skip
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        killed_log = logs[0].read_text()
        assert killed_log.count("received") == 1 and "succeeded" not in killed_log, killed_log

        workers += [_start_worker(f"w{n}@test", broker, logs[n]) for n in range(1, WORKERS + 1)]
        _wait_for(
            lambda: all(len(_runs(c)) >= QUEUED for c in configs),
            f"{QUEUED} runs of every workspace",
            150,
        )
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
        for process in workers:
            process.wait(timeout=30)

    if datetime.now(UTC).date() != started.date():
        pytest.skip("rerun: the runs straddled midnight UTC, so stage dates may differ")
    for config, reference in zip(configs, references, strict=True):
        runs = _runs(config)
        assert [status for _, _, status in runs] == ["ok"] * len(runs)
        for (start, duration, _), (next_start, _, _) in itertools.pairwise(runs):
            assert start.timestamp() + duration <= next_start.timestamp() + 1, (
                f"{config}: two runs overlapped"
            )
        assert _differences(_snapshot(config), reference) == [], config
    survivors = "".join(log.read_text() for log in logs[1:])
    assert survivors.count("succeeded") >= WORKSPACES * QUEUED
