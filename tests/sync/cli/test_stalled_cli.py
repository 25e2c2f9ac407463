"""`funnelsync stalled` as text per owner, and a bad `stalled_after_days` named by
`funnelsync validate` with its file, line and key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sync_support import NOW, small_workspace

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace


def test_validate_names_the_file_line_and_key_of_bad_days(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    contract = config.parent / "contract.yaml"
    lines = contract.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "stalled_after_days: 60" in text)
    contract.write_text(
        "\n".join(lines).replace("stalled_after_days: 60", "stalled_after_days: -5") + "\n"
    )
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    assert result.exit_code == 2
    assert (
        f"contract.yaml:{line}: stages[1].stalled_after_days: Input should be greater than or "
        "equal to 1 (got -5)" in " ".join(result.output.split())
    )


def test_stalled_lists_per_owner_with_days_and_last_engagement(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    plugins = create_plugins()
    run_sync(load_workspace(config, plugins), plugins, now=NOW)
    later = NOW + timedelta(days=70)
    run_sync(load_workspace(config, plugins), plugins, now=later)
    at = later.strftime("%Y-%m-%dT%H:%M:%S")
    document = json.loads(
        CliRunner().invoke(main, ["stalled", "--config", str(config), "--json", "--at", at]).output
    )
    # The VP (MQL, rule 14 days) clicked two days before the first sync; the student stays a
    # subscriber (no rule); Carla is disqualified (no rule).
    [vp] = document["leads"]
    assert (vp["email"], vp["stage"], vp["days_in_stage"]) == ("vp@hospital.example.com", "mql", 70)
    assert vp["last_engagement"] == (NOW - timedelta(days=1)).isoformat()
    text = CliRunner().invoke(main, ["stalled", "--config", str(config), "--at", at]).output
    assert "1 stalled lead(s)" in text
    assert "(unassigned) — 1 stalled" in text and "vp@hospital.example.com" in text
