"""Crash safety where it rests on the saved *pending persons* (issue 11).

A person whose change came from marketing has writes planned in both systems. Marketing
is written first, and the landed write is recorded in the ledger at once; a sync killed
(SIGKILL) right then, before the sales write, leaves a marketing record that now reads
exactly like the ledger, and a sales record nobody changed. Only the persons saved as
pending before writing tell the next run to recompute her and write sales; without them
her sales record keeps its old values for good.

The first sync of a workspace recomputes everyone anyway, so the kill happens in a later
sync. The runs are real ``funnelsync sync`` subprocesses with the test-only
``killable_csv`` connector of ``crash_plugin`` (see ``test_crash_safety.py``).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from crash_lab import Lab, install_plugin, read_trace, stage_date_columns
from sync_support import NOW, postgres_database, read_csv, small_workspace, write_csv

pytestmark = pytest.mark.slow

CARLA = "carla.diaz@acme.example.com"
KILL_LABEL = "write sales #1 before"


def _workspace(target: Path) -> Path:
    """The small two-system workspace on ``killable_csv`` (both connections)."""
    config = small_workspace(target)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("connector: csv", "connector: killable_csv"), "utf-8")
    return config.parent


def _promote_in_marketing(workspace: Path) -> None:
    """Carla moves to an internship, as marketing learns first: her title flows to sales and
    her fit drops, so both systems get a write."""
    path = workspace / "data/marketing/leads.csv"
    rows = read_csv(path)
    [row] = [r for r in rows if r["email"].strip().casefold() == CARLA]
    row["title"] = "Growth Intern"
    row["updated_at"] = NOW.isoformat()
    write_csv(path, rows)


def _systems(workspace: Path) -> dict[str, list[dict[str, str]]]:
    """Both systems' lead rows, stage dates cut to the day (they hold the run's time)."""
    dates = stage_date_columns(workspace)
    return {
        name: [
            {k: (v[:10] if k in dates else v) for k, v in row.items()}
            for row in read_csv(workspace / f"data/{name}/leads.csv")
        ]
        for name in ("marketing", "sales")
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_sync_killed_between_the_two_systems_writes_the_rest_on_the_next_run(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    started = datetime.now(UTC).date()
    root = tmp_path
    pristine = _workspace(root / "pristine")
    new_database = (lambda: postgres_database(request)) if backend == "postgresql" else None
    lab = Lab(root, install_plugin(root / "plugin"), pristine, new_database)

    reference = lab.copy("reference")
    assert lab.sync(reference).returncode == 0
    _promote_in_marketing(reference)
    trace = root / "reference.trace"
    assert lab.sync(reference, trace=trace).returncode == 0
    [kill_at] = [c.number for c in read_trace(trace) if c.label == KILL_LABEL]
    assert any(c.label == "write marketing #1 after" for c in read_trace(trace)[:kill_at])
    expected = _systems(reference)
    [carla] = [r for r in expected["sales"] if r["Email"] == CARLA]
    assert carla["Title"] == "Growth Intern"

    copy = lab.copy("killed")
    assert lab.sync(copy).returncode == 0
    _promote_in_marketing(copy)
    killed = lab.sync(copy, kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    marketing_only = _systems(copy)
    assert marketing_only["marketing"] == expected["marketing"]
    assert marketing_only["sales"] != expected["sales"]  # the kill came before the sales write

    recovered = lab.sync(copy)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    if datetime.now(UTC).date() != started:
        pytest.skip("the runs straddled midnight UTC, so decayed scores may differ; rerun")
    assert _systems(copy) == expected
