"""Stalled leads (issue 16 item 4): the flag written to every system, cleared when the lead
engages again, and ``funnelsync_lead_stalled`` told once per stall, on the run's clock."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner
from sync_support import NOW, read_csv

from funnelsync.config import WorkspaceConfig
from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.workspace.loading import load_workspace

STUDENT = "student@uni.example.edu"
VP = "vp@hospital.example.com"


class StallSpy:
    """A plugin that records every stall it is told about."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str, int, bool | None]] = []

    @hookimpl
    def funnelsync_lead_stalled(
        self, lead: Lead, stage: str, days: int, config: WorkspaceConfig
    ) -> None:
        self.calls.append((lead.email, stage, days, lead.stalled))


def with_stall_rules(config: Path, **days: int) -> None:
    """Give the named stages of the workspace's contract ``stalled_after_days``."""
    path = config.parent / "contract.yaml"
    contract = yaml.safe_load(path.read_text())
    for stage in [*contract["stages"], *contract["detours"]]:
        if stage["name"] in days:
            stage["stalled_after_days"] = days[stage["name"]]
    path.write_text(yaml.safe_dump(contract, sort_keys=False))


def sync(config: Path, plugins: FunnelPlugins, at: datetime) -> RunResult:
    return run_sync(load_workspace(config, plugins), plugins, now=at)


def flags(config: Path, connection: str, key: str) -> dict[str, str]:
    rows = read_csv(config.parent / "data" / connection / "leads.csv")
    column = "stalled" if connection == "marketing" else "Stalled"
    return {row[key].strip().lower(): row.get(column, "") for row in rows}


def add_activity(config: Path, email: str, at: datetime) -> None:
    with (config.parent / "data/marketing/activities.csv").open("a", newline="") as out:
        csv.writer(out).writerow([f"late-{at:%j}", email, "page_view", at.isoformat(), "", ""])


def test_a_quiet_lead_stalls_is_told_once_clears_on_engagement_and_stalls_again(
    workspace: Path,
) -> None:
    with_stall_rules(workspace, subscriber=30, mql=45)
    plugins = create_plugins()
    spy = StallSpy()
    plugins.pm.register(spy)

    sync(workspace, plugins, NOW)
    # Everyone entered their stage at this first sync: nobody is quiet for long yet.
    assert flags(workspace, "marketing", "email")[STUDENT] == "false"
    assert spy.calls == []

    sync(workspace, plugins, NOW + timedelta(days=29))
    assert flags(workspace, "marketing", "email")[STUDENT] == "false"

    sync(workspace, plugins, NOW + timedelta(days=30))
    # The student sat in subscriber 30 days with no activity; the VP, in mql since the
    # first sync with a click the day before it, has 45 days.
    assert flags(workspace, "marketing", "email")[STUDENT] == "true"
    assert flags(workspace, "marketing", "email")[VP] == "false"
    assert spy.calls == [(STUDENT, "subscriber", 30, True)]
    listed = CliRunner().invoke(main, ["stalled", "--config", str(workspace), "--json"])
    assert [(lead["email"], lead["stage"]) for lead in json.loads(listed.output)["leads"]] == [
        (STUDENT, "subscriber")
    ]

    sync(workspace, plugins, NOW + timedelta(days=31))
    sync(workspace, plugins, NOW + timedelta(days=31, hours=2))
    assert spy.calls == [(STUDENT, "subscriber", 30, True)]  # the same stall: told once

    add_activity(workspace, STUDENT, NOW + timedelta(days=32))
    sync(workspace, plugins, NOW + timedelta(days=32, hours=1))
    assert flags(workspace, "marketing", "email")[STUDENT] == "false"  # the clearing is written

    sync(workspace, plugins, NOW + timedelta(days=61))
    assert flags(workspace, "marketing", "email")[STUDENT] == "false"
    sync(workspace, plugins, NOW + timedelta(days=62, hours=1))
    assert flags(workspace, "marketing", "email")[STUDENT] == "true"
    stalled_again = [call for call in spy.calls if call[0] == STUDENT]
    assert stalled_again == [(STUDENT, "subscriber", 30, True), (STUDENT, "subscriber", 62, True)]


def test_without_stall_rules_no_flag_is_written(workspace: Path) -> None:
    path = workspace.parent / "contract.yaml"
    contract = yaml.safe_load(path.read_text())
    for stage in contract["stages"]:
        stage.pop("stalled_after_days", None)
    path.write_text(yaml.safe_dump(contract, sort_keys=False))
    plugins = create_plugins()
    sync(workspace, plugins, NOW)
    sync(workspace, plugins, NOW + timedelta(days=400))
    assert set(flags(workspace, "marketing", "email").values()) == {""}


KILLING_SYNC = """
import os, signal, sys
from pathlib import Path
from datetime import datetime
from funnelsync.hookspecs import hookimpl
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

config, at = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
told, kill = sys.argv[3], sys.argv[4]

class Teller:
    @hookimpl
    def funnelsync_lead_stalled(self, lead, stage, days, config):
        with open(told, "a") as out:
            out.write(f"{lead.email} {stage}\\n")
        if kill == "kill":
            os.kill(os.getpid(), signal.SIGKILL)

plugins = create_plugins()
plugins.pm.register(Teller())
run_sync(load_workspace(config, plugins), plugins, now=at)
"""


def test_a_sync_killed_while_telling_a_stall_never_tells_one_twice(
    workspace: Path, tmp_path: Path
) -> None:
    with_stall_rules(workspace, subscriber=30, mql=30, disqualified=30)
    told = tmp_path / "told.txt"

    def sync_process(at: datetime, kill: bool) -> int:
        command = [sys.executable, "-c", KILLING_SYNC, str(workspace), at.isoformat(), str(told)]
        return subprocess.run([*command, "kill" if kill else "no"], check=False).returncode

    assert sync_process(NOW, kill=False) == 0
    assert not told.exists()
    # The first stall told kills the process inside the hook, before the others are told.
    assert sync_process(NOW + timedelta(days=40), kill=True) == -signal.SIGKILL
    assert len(told.read_text().splitlines()) == 1
    assert sync_process(NOW + timedelta(days=40, hours=1), kill=False) == 0
    lines = told.read_text().splitlines()
    assert sorted(lines) == sorted(
        [f"{STUDENT} subscriber", f"{VP} mql", "carla.diaz@acme.example.com disqualified"]
    )
