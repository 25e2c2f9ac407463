"""Many workspaces on Celery workers: queued 3 times each, a worker SIGKILLed mid-run.

Real parts only: a Redis server (``.ci/run`` starts one and sets
``FUNNELSYNC_TEST_REDIS_URL``), four ``funnelsync worker`` processes (the default prefork
pool: a parent that takes tasks and a child that runs them), ``funnelsync enqueue``, 20
CSV workspaces and 4 HubSpot-emulator workspaces with SQLite state. Two of the HubSpot
workspaces sync one emulated portal under one ``budget_key``; its limit is low, so the
workers must share it.

The first worker is SIGKILLed (parent and child, as a lost machine) while its run waits
on the portal. Every workspace must end exactly as a single-process reference that
synced the same data three times (CSV files and portals alike, nothing lost or
duplicated), no two runs of a workspace may overlap (from the runs table), the shared
portal must never see more calls than its limit in any window (from its request log),
and the killed task must be run again by another worker: it was acknowledged late, so
Redis hands it out again once the visibility timeout has passed.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from hubspot_workspaces import (
    TOKEN_ENV,
    create_properties,
    portal_snapshot,
    seed_portal,
    write_workspace,
)
from sync_support import marketing_lead, open_state, read_csv, small_workspace, write_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.plugins.hubspot.emulator.traffic import TrafficConfig
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

pytestmark = pytest.mark.slow

REDIS_ENV = "FUNNELSYNC_TEST_REDIS_URL"
WORKSPACES = 24
WORKERS = 4
QUEUED = 3
VISIBILITY_TIMEOUT_S = 8
FUNNELSYNC = [str(Path(sys.executable).with_name("funnelsync"))]
SHARED_LIMIT, SHARED_INTERVAL_MS = 10, 2000
"""The shared portal's window: 10 calls per 2 s (HubSpot's is 100-190 per 10 s)."""
SHARED_RATE = (7, SHARED_INTERVAL_MS / 1000)
"""What its connections aim for together: under the limit by a margin for the time a
call takes to arrive on a busy machine. The emulator's window is shorter than HubSpot's
10 s, so they fix the rate rather than start at 95 per 10 s until the headers say more."""
PORTALS = {"killed": None, "alone": None, "shared": "portal-shared"}
"""Portal name → the budget_key its workspaces name."""
HUBSPOT = ["killed", "shared", "shared", "alone"]
"""The portal of each HubSpot workspace (the first ones queued); the rest are CSV."""
PEOPLE = {"killed": 8, "alone": 8, "shared": 400}
"""Contacts per portal: the shared one's first syncs take many calls, so they overlap."""
RECEIVED = re.compile(r"Task funnelsync\.sync_workspace\[([0-9a-f-]+)\] received")
SUCCEEDED = re.compile(r"Task funnelsync\.sync_workspace\[([0-9a-f-]+)\] succeeded")


@pytest.fixture
def broker() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"Celery worker tests need a Redis server: set {REDIS_ENV} (.ci/run does)")
    redis.Redis.from_url(url).flushdb()
    return url


def _traffic(portal: str) -> TrafficConfig:
    if portal == "shared":
        return TrafficConfig(
            ten_second_limit=SHARED_LIMIT, interval_ms=SHARED_INTERVAL_MS, search_per_second=100
        )
    return TrafficConfig(search_per_second=100)


@pytest.fixture
def portals(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], HubSpotEmulator]]:
    """Start seeded emulated portals: ``portals(name)``; stopped after the test."""
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    started: list[HubSpotEmulator] = []

    def start(portal: str) -> HubSpotEmulator:
        emulator = HubSpotEmulator(traffic=_traffic(portal)).start()
        seed_portal(emulator, people=PEOPLE[portal])
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def _csv_workspace(root: Path, number: int) -> Path:
    config = small_workspace(root / f"client{number:02d}")
    leads = config.parent / "data" / "marketing" / "leads.csv"
    rows = read_csv(leads)
    rows.append(marketing_lead(f"buyer{number}@client{number}.example.com",
                               company_size=str(10 * (number + 1)), title="Director"))  # fmt: skip
    write_csv(leads, rows)
    return config


def _workspaces(root: Path, emulators: dict[str, HubSpotEmulator], redis_url: str) -> list[Path]:
    """The 24 workspaces (HubSpot ones first), their portals' properties created; a
    ``budget_key``'s limits are kept in ``redis_url`` (the broker's Redis)."""
    configs = []
    for number, portal in enumerate(HUBSPOT):
        rate = SHARED_RATE if portal == "shared" else None
        folder = root / f"client{number:02d}" / "ws"
        url = emulators[portal].base_url
        configs.append(write_workspace(folder, url, PORTALS[portal], rate, redis_url))
    for portal in PORTALS:
        create_properties(configs[HUBSPOT.index(portal)])
    return configs + [_csv_workspace(root, n) for n in range(len(HUBSPOT), WORKSPACES)]


def _snapshot(config: Path) -> dict[str, list[dict[str, str]]]:
    data = config.parent / "data"
    return {str(p.relative_to(data)): read_csv(p) for p in sorted(data.rglob("leads.csv"))}


def _same(value: str | None, expected: str, today: str) -> bool:
    """Equal, except that a time stamped today (a stage date a run wrote) compares by day."""
    if expected.startswith(today) and value is not None:
        return value[:10] == expected[:10]
    return value == expected


def _differences(
    live: dict[str, list[dict[str, str]]] | dict[str, dict[str, str]],
    reference: dict[str, list[dict[str, str]]] | dict[str, dict[str, str]],
) -> list[str]:
    """What differs between two snapshots: CSV files (name → rows) or portals (email →
    properties), a missing or extra row or contact included."""
    today = datetime.now(UTC).date().isoformat()
    found = []
    for name, expected_rows in reference.items():
        rows = live.get(name)
        pairs = (
            zip(rows or [], expected_rows, strict=False)
            if isinstance(expected_rows, list)
            else [(rows or {}, expected_rows)]
        )
        for row, expected in pairs:
            assert isinstance(row, dict) and isinstance(expected, dict)
            keys = set(expected) | set(row)
            found += [f"{name} {key}: {row.get(key)!r} != {expected.get(key)!r}"
                      for key in sorted(keys)
                      if not _same(row.get(key), expected.get(key) or "", today)]  # fmt: skip
        if isinstance(expected_rows, list) and len(rows or []) != len(expected_rows):
            found.append(f"{name}: {len(rows or [])} rows, expected {len(expected_rows)}")
    found += [f"{name}: not in the reference" for name in live if name not in reference]
    return found


def _runs(config: Path) -> list[tuple[datetime, float, str]]:
    store = open_state(config)
    try:
        return sorted((r.started_at, r.duration_s, r.status.value) for r in store.recent_runs(100))
    finally:
        store.close()


def _succeeded(logs: list[Path]) -> set[str]:
    """The ids of the tasks these workers' logs say succeeded."""
    return {task for log in logs if log.exists() for task in SUCCEEDED.findall(log.read_text())}


def _start_worker(name: str, broker: str, log: Path) -> subprocess.Popen[bytes]:
    """A prefork worker (one child) in its own process group."""
    env = {**os.environ, "FUNNELSYNC_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [*FUNNELSYNC, "worker", "--broker", broker, "--name", name],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _wait_for(
    condition: Callable[[], bool], what: str, timeout_s: float, poll_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)


def _references(
    configs: list[Path], root: Path, portals: Callable[[str], HubSpotEmulator]
) -> tuple[list[dict[str, list[dict[str, str]]]], dict[str, HubSpotEmulator]]:
    """Each workspace synced 3 times in this process, against its own reference portals."""
    emulators = {portal: portals(portal) for portal in PORTALS}
    copies = []
    for number, config in enumerate(configs):
        copy = root / config.parent.parent.name / "ws"
        shutil.copytree(config.parent, copy, ignore=shutil.ignore_patterns("state"))
        if number < len(HUBSPOT):
            text = copy.joinpath("funnelsync.yaml").read_text()
            live_url = re.search(r"base_url: (\S+)", text)
            assert live_url is not None
            portal = emulators[HUBSPOT[number]]
            copy.joinpath("funnelsync.yaml").write_text(text.replace(live_url[1], portal.base_url))
        copies.append(copy / "funnelsync.yaml")
    for portal in PORTALS:
        create_properties(copies[HUBSPOT.index(portal)])
    plugins = create_plugins()
    for copy in copies:
        for _ in range(QUEUED):
            report = run_sync(load_workspace(copy, plugins), plugins).report
            assert report.status.value == "ok", (copy, report.error)
    return [_snapshot(copy) for copy in copies], emulators


def test_workspaces_on_four_workers_converge_with_a_worker_killed(
    broker: str, tmp_path: Path, portals: Callable[[str], HubSpotEmulator]
) -> None:
    started = datetime.now(UTC)
    live = {portal: portals(portal) for portal in PORTALS}
    configs = _workspaces(tmp_path / "live", live, broker)
    references, reference_portals = _references(configs, tmp_path / "reference", portals)

    # The first queued task (the "killed" portal's workspace) hangs on its first call;
    # worker 0 starts alone, takes it, and is killed while it waits: mid-run.
    live["killed"].hang_next(1, seconds=120)
    logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS + 1)]
    arguments = [a for config in configs for a in ("--config", str(config))]
    for _ in range(QUEUED):
        queued = subprocess.run([*FUNNELSYNC, "enqueue", "--broker", broker, *arguments],
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert queued.returncode == 0, queued.stderr
        assert queued.stdout.count("queued") == WORKSPACES
    workers = [_start_worker("w0@test", broker, logs[0])]
    try:
        hang = live["killed"].traffic.hangs[0]
        _wait_for(lambda: hang.count == 0, "worker 0's run to wait on the portal", 90, 0.05)
        time.sleep(1.0)  # whatever worker 0 does on taking a task (an early ack) is done
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        killed_log = logs[0].read_text()
        killed_tasks = RECEIVED.findall(killed_log)
        assert killed_tasks and "succeeded" not in killed_log, killed_log

        workers += [_start_worker(f"w{n}@test", broker, logs[n]) for n in range(1, WORKERS + 1)]
        _wait_for(
            lambda: _succeeded(logs[1:]) >= set(killed_tasks),
            "the killed worker's tasks to be run again (redelivered)",
            120,
        )
        _wait_for(
            lambda: all(len(_runs(c)) >= QUEUED for c in configs),
            f"{QUEUED} runs of every workspace",
            240,
        )
    finally:
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)

    if datetime.now(UTC).date() != started.date():
        pytest.skip("rerun: the runs straddled midnight UTC, so stage dates may differ")
    for config, reference in zip(configs, references, strict=True):
        runs = _runs(config)
        assert len(runs) == QUEUED, config
        assert [status for _, _, status in runs] == ["ok"] * len(runs), config
        for (start, duration, _), (next_start, _, _) in itertools.pairwise(runs):
            assert start.timestamp() + duration <= next_start.timestamp() + 1, (
                f"{config}: two runs overlapped"
            )
        assert _differences(_snapshot(config), reference) == [], config
    for portal, emulator in live.items():
        assert (
            _differences(portal_snapshot(emulator), portal_snapshot(reference_portals[portal]))
            == []
        ), portal
    first, second = (_runs(configs[n]) for n, p in enumerate(HUBSPOT) if p == "shared")
    assert any(
        a.timestamp() < b.timestamp() + b_s and b.timestamp() < a.timestamp() + a_s
        for (a, a_s, _), (b, b_s, _) in itertools.product(first, second)
    ), "the workspaces sharing a portal never ran at the same time: nothing was shared"
    shared = live["shared"].traffic
    most = shared.most_in_window()
    print(f"shared portal: at most {most} calls in one window, {len(shared.log)} in all")
    assert most <= SHARED_LIMIT
    assert not [call for call in shared.log if call.refused and call.window == "ten_second"]
    assert most > SHARED_LIMIT // 2  # they did go as fast as the shared rate lets them
    assert redis.Redis.from_url(broker).keys("funnelsync:limits:portal-shared:*")
