"""`funnelsync schedule`: cron timing, one line per run, a clean stop on SIGTERM."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync_support import sync_json

from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.scheduler import ScheduleError, next_run, run_schedule

FUNNELSYNC = str(Path(sys.executable).with_name("funnelsync"))


def test_next_run_follows_the_cron_expression() -> None:
    now = datetime(2026, 11, 24, 8, 7, 30, tzinfo=UTC)
    assert next_run("*/15 * * * *", now) == datetime(2026, 11, 24, 8, 15, tzinfo=UTC)
    assert next_run("0 8 * * 1", now) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    with pytest.raises(ScheduleError, match="not a cron expression"):
        next_run("every monday", now)


def test_a_workspace_without_a_schedule_is_refused(workspace: Path) -> None:
    with pytest.raises(ScheduleError, match="no `schedule:` section"):
        run_schedule(workspace, threading.Event(), max_runs=1)


def test_runs_at_the_scheduled_times(workspace: Path) -> None:
    workspace.write_text(workspace.read_text() + "\nschedule:\n  sync: '*/15 * * * *'\n")
    times = iter(
        [
            datetime(2026, 11, 24, 8, 14, 59, 999000, tzinfo=UTC) + timedelta(minutes=15 * n)
            for n in range(10)
        ]
    )
    runs = run_schedule(workspace, threading.Event(), clock=lambda: next(times), max_runs=2)
    assert runs == 2
    again = sync_json(workspace)
    assert again["connections"]["sales"]["created"] == 0  # the scheduled runs did the work


def _rows(path: Path) -> dict[str, dict[str, str]]:
    """Rows by normalised email, without the stage date columns (a stage entered by a sync
    is dated with that sync's time of day)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    key = "email" if "email" in rows[0] else "Email"
    return {
        row[key].strip().lower(): {
            k: v for k, v in row.items() if not (k.endswith("_date") or k.endswith(" Date"))
        }
        for row in rows
    }


@pytest.mark.slow
def test_sigterm_mid_run_stops_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    as_of = datetime.now(UTC).replace(microsecond=0)
    built = build_demo(tmp_path / "demo", as_of=as_of)
    config = built.config_path
    config.write_text(config.read_text() + "\nschedule:\n  sync: '* * * * * */2'\n")
    process = subprocess.Popen(
        [FUNNELSYNC, "schedule", "--config", str(config)],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 90
    lines = []
    started = 0
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        started += "sync of" in line
        if started == 3:  # two runs went by; stop the third in the middle
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            break
    _, rest = process.communicate(timeout=60)
    log = "".join(lines) + rest
    assert process.returncode == 0, log
    assert "schedule stopped after 3 runs" in log
    assert len(re.findall(r"run \S+ ok in", log)) >= 2, log
    # Nothing lost: a plain sync finishes the job, and then there is nothing left to do.
    finish = sync_json(config)
    assert finish["status"] == "ok"
    assert all(c["created"] == c["updated"] == 0 for c in sync_json(config)["connections"].values())
    # The result equals an uninterrupted sync of the same data.
    reference = build_demo(tmp_path / "reference", as_of=as_of)
    sync_json(reference.config_path)
    for system in ("marketing", "sales"):
        got = _rows(config.parent / "data" / system / "leads.csv")
        want = _rows(reference.config_path.parent / "data" / system / "leads.csv")
        assert got.keys() == want.keys()
        differing = {
            email: {
                k: (got[email].get(k), want[email].get(k))
                for k in got[email] | want[email]
                if got[email].get(k) != want[email].get(k)
            }
            for email in got
            if got[email] != want[email]
        }
        assert not differing, list(differing.items())[:2]
