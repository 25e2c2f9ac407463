"""Engagement decays by the day: a run on a new day rescores everyone, even with no change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sync_support import NOW, read_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

VP = "vp@hospital.example.com"


def _engagement(workspace: Path) -> dict[str, int]:
    rows = read_csv(workspace.parent / "data/marketing/leads.csv")
    return {row["email"]: int(row["engagement_score"] or 0) for row in rows}


def test_a_run_on_a_later_day_writes_the_decayed_scores(workspace: Path) -> None:
    plugins = create_plugins()
    first = run_sync(load_workspace(workspace, plugins), plugins, now=NOW)
    scored = _engagement(workspace)
    # demo request a day ago (40) and a click two days ago (3), halving every 30 days
    assert scored[VP] == 42

    same_day = run_sync(load_workspace(workspace, plugins), plugins, now=NOW)
    assert same_day.report.touched == 0

    later = run_sync(load_workspace(workspace, plugins), plugins, now=NOW + timedelta(days=30))
    assert later.report.touched == first.report.touched
    # 31 and 32 days old now: 40 * 0.5 ** (31 / 30) + 3 * 0.5 ** (32 / 30) = 20.9
    assert _engagement(workspace)[VP] == 21
    assert later.report.connections["marketing"].updated >= 1
