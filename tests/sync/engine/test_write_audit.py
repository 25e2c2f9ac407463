"""What a sync records of its writes: each change in the history as a create or an update."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sync_support import sync_json

from funnelsync.sync.cli.main import main

VP = "vp@hospital.example.com"
CARLA = "carla.diaz@acme.example.com"


def _history(workspace: Path, email: str) -> list[dict[str, Any]]:
    shown = CliRunner().invoke(main, ["history", "--config", str(workspace), "--json", email])
    assert shown.exit_code == 0, shown.output
    changes: list[dict[str, Any]] = json.loads(shown.output)["changes"]
    return changes


def test_the_history_tells_creates_from_updates(workspace: Path) -> None:
    report = sync_json(workspace)
    assert report["connections"]["sales"]["created"] == 1
    assert report["connections"]["marketing"]["created"] == 0
    vp = {(c["connection"], c["action"]) for c in _history(workspace, VP)}
    assert vp == {("marketing", "update"), ("sales", "create")}
    carla = {(c["connection"], c["action"]) for c in _history(workspace, CARLA)}
    assert carla == {("marketing", "update"), ("sales", "update")}
    [created] = [c for c in _history(workspace, VP) if c["action"] == "create"]
    assert created["record_id"] == VP
    assert created["changes"]["Email"] == [None, VP]
