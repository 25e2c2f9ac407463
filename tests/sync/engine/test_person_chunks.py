"""A run builds and plans its persons a chunk at a time: where the chunks split the persons
must not change what a user sees. A generated two-system workspace (many people in both
systems, so merged persons; creates in both; stage moves, hand-offs) is planned and synced
with tiny chunks and with one chunk: plans, reports, notices, state and files are equal.
A run stopped between chunks and run again ends as an uninterrupted run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sync_support import open_state, postgres_database, use_state_url

from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.state import schema
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LEADS = 90
ACTIVITIES = 900
ONE_CHUNK = 100_000
TINY = 7
"""Persons per chunk: the persons span over a dozen chunks."""

_RUN_COLUMNS = {"run_id", "first_run", "entry_id", "handoff_id", "updated_at"}
"""Columns that name or time the run itself (ids differ between any two runs)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def generated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two identical generated workspaces, their state in SQLite or in PostgreSQL."""
    pristine = tmp_path / "pristine"
    write_templates(pristine, with_empty_data=True)
    generate_demo_data(pristine / "data", seed=5, leads=LEADS, activities=ACTIVITIES, as_of=NOW)
    copies = []
    for name in ("chunked", "whole"):
        target = tmp_path / name
        shutil.copytree(pristine, target)
        config = target / "funnelsync.yaml"
        if request.param == "postgresql":
            use_state_url(config, postgres_database(request))
        copies.append(config)
    yield copies[0], copies[1]


class _Notices:
    """Records every stage notice; with ``kill_at``, dies at that notice like a killed run."""

    def __init__(self, kill_at: int | None = None) -> None:
        self.seen: list[tuple[str | None, str | None, str, str | None]] = []
        self.kill_at = kill_at

    @hookimpl
    def funnelsync_stage_changed(self, lead: Lead, old_stage: str | None, new_stage: str) -> None:
        if self.kill_at is not None and len(self.seen) == self.kill_at:
            raise _Killed
        self.seen.append((lead.email, old_stage, new_stage, lead.model_dump_json()))


class _Killed(BaseException):
    """Not an ``Exception``: nothing in funnelsync catches it, as nothing outlives SIGKILL."""


def _plugins(notices: _Notices) -> FunnelPlugins:
    plugins = create_plugins()
    plugins.pm.register(notices)
    return plugins


def _run(
    config: Path, chunk: int, notices: _Notices | None = None, dry_run: bool = False
) -> RunResult:
    plugins = _plugins(notices or _Notices())
    workspace = load_workspace(config, plugins)
    return run_sync(workspace, plugins, now=NOW, dry_run=dry_run, persons_per_chunk=chunk)


def _shown(result: RunResult) -> dict[str, Any]:
    """What a user sees of a run: its report (less its id and times), plans, stage moves."""
    report = result.report.model_dump(mode="json", exclude={"run_id", "started_at", "duration_s"})
    for counts in report["connections"].values():
        counts.pop("api_calls")
    return {
        "report": report,
        "changes": result.stage_changes,
        "plans": {
            name: (plan.writes, plan.unchanged, plan.rejected)
            for name, plan in result.plans.items()
        },
    }


def _state(config: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the state database but the runs', less the columns naming a run."""
    store = open_state(config)
    try:
        tables = {}
        with store.engine.connect() as connection:
            for table in schema.metadata.sorted_tables:
                if table.name in ("runs", "schema_version"):
                    continue
                columns = [c for c in table.columns if c.name not in _RUN_COLUMNS]
                rows = connection.execute(select(*columns)).all()
                tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
        return tables
    finally:
        store.close()


def _files(config: Path) -> dict[str, bytes]:
    data = config.parent / "data"
    return {str(path.relative_to(data)): path.read_bytes() for path in data.rglob("*.csv")}


def test_tiny_chunks_plan_and_sync_exactly_as_one_chunk(generated: tuple[Path, Path]) -> None:
    chunked, whole = generated
    # The people span many chunks, and many have records in both systems (merged persons).
    plan = _run(whole, ONE_CHUNK, dry_run=True)
    assert plan.report.touched > 5 * TINY
    both = {w.person_id for w in plan.plans["marketing"].writes if not w.creates} & {
        w.person_id for w in plan.plans["sales"].writes if not w.creates
    }
    assert len(both) > 2 * TINY
    assert _shown(_run(chunked, TINY, dry_run=True)) == _shown(plan)

    chunked_notices, whole_notices = _Notices(), _Notices()
    first = _run(chunked, TINY, chunked_notices)
    reference = _run(whole, ONE_CHUNK, whole_notices)

    assert _shown(first) == _shown(reference)
    assert reference.report.handoffs.recorded > 0
    assert len(whole_notices.seen) == len(reference.stage_changes) > 5 * TINY
    assert chunked_notices.seen == whole_notices.seen
    assert _state(chunked) == _state(whole)
    assert _files(chunked) == _files(whole)
    # And the next runs: nothing left to do in either.
    assert _shown(_run(chunked, TINY)) == _shown(_run(whole, ONE_CHUNK))
    assert _state(chunked) == _state(whole)


def test_a_run_killed_between_chunks_is_finished_by_the_next(
    generated: tuple[Path, Path],
) -> None:
    killed, whole = generated
    reference = _run(whole, ONE_CHUNK)
    assert len(reference.stage_changes) > 3 * TINY

    # Killed at the first notice of the third chunk: two chunks were built, planned and told.
    notices = _Notices(kill_at=2 * TINY)
    with pytest.raises(_Killed):
        _run(killed, TINY, notices)
    assert len(notices.seen) == 2 * TINY
    resumed = _run(killed, TINY)

    assert _shown(resumed) == _shown(reference)
    assert _state(killed) == _state(whole)
    assert _files(killed) == _files(whole)


def test_a_sync_writes_what_its_plan_showed_though_it_holds_the_writes_packed(
    generated: tuple[Path, Path],
) -> None:
    planned_copy, synced_copy = generated
    plan = _run(planned_copy, TINY, dry_run=True)  # holds its writes as objects
    sync = _run(synced_copy, TINY)  # holds each chunk of persons' writes packed
    assert sorted(sync.plans) == sorted(plan.plans) == ["marketing", "sales"]
    for name, planned in plan.plans.items():
        synced = sync.plans[name].writes
        assert len(synced) == len(planned.writes) > 3 * TINY
        assert list(synced) == list(planned.writes)
        assert [synced[i] for i in range(-1, -len(synced) - 1, -1)] == list(planned.writes)[::-1]
