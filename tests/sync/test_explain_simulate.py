"""`funnelsync explain` and `funnelsync simulate` on the demo workspace."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.contract import FunnelContract
from funnelsync.sync.cli.main import main
from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.simulation import SimulationError, apply_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build_demo(tmp_path_factory.mktemp("demo") / "ws", as_of=datetime.now(UTC))
    result = CliRunner().invoke(main, ["sync", "--config", str(built.config_path), "--json"])
    assert result.exit_code == 0, result.output
    return built.config_path


def _an_mql(config: Path) -> str:
    with sqlite3.connect(config.parent / "state" / "funnelsync.db") as db:
        row = db.execute("select email from persons where stage = 'mql' limit 1").fetchone()
    return str(row[0])


def _fingerprint(config: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(config.parent.rglob("*")):
        if path.is_file() and path.name != "funnelsync.lock":
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_explain_prints_the_breakdown_and_the_stage_history(demo: Path) -> None:
    email = _an_mql(demo)
    result = CliRunner().invoke(main, ["explain", "--config", str(demo), email.upper()])
    assert result.exit_code == 0, result.output
    assert f"{email} — MQL (owned by marketing)" in result.output
    assert "Why MQL: fit " in result.output and "engagement " in result.output
    assert "(engagement)" in result.output and "(fit)" in result.output
    # The demo's history comes from the systems' stage dates; moves are funnelsync's own.
    assert "Stage history:" in result.output and "entered mql on " in result.output


def test_explain_json_adds_up(demo: Path) -> None:
    email = _an_mql(demo)
    shown = json.loads(
        CliRunner().invoke(main, ["explain", "--config", str(demo), "--json", email]).output
    )
    assert shown["stage"] == "mql" and shown["team"] == "marketing"
    assert shown["score"] == shown["fit"] + shown["engagement"]
    assert [entry["to_stage"] for entry in shown["history"]][-1:] in ([], ["mql"])
    assert "mql" in shown["stage_dates"]


def test_simulate_a_higher_bar_reports_fewer_mqls_and_changes_nothing(demo: Path) -> None:
    before = _fingerprint(demo)
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--config",
            str(demo),
            "--set",
            "stages.mql.entry.engagement_min=90",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    simulated = json.loads(result.output)
    assert simulated["simulated_mqls"] < simulated["current_mqls"]
    assert simulated["moved_forward"] == 0
    # Dropped MQLs are counted by score, so they include leads sales already took past
    # MQL: more than the stages that move back, and some of them reached SQL.
    assert simulated["dropped_mqls"] > simulated["moved_back"] > 0
    assert simulated["dropped_sql_rate"] > 0
    assert simulated["simulated"]["mqls"] < simulated["current"]["mqls"]
    assert _fingerprint(demo) == before


def test_simulate_a_lower_bar_moves_leads_forward(demo: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["simulate", "--config", str(demo), "--set", "stages.mql.entry.engagement_min=5", "--json"],
    )
    simulated = json.loads(result.output)
    assert simulated["simulated_mqls"] > simulated["current_mqls"]
    assert simulated["added_mqls"] >= simulated["moved_forward"] > 0


def test_a_setting_that_does_not_apply_says_where() -> None:
    contract = FunnelContract.model_validate(
        {
            "version": "1",
            "stages": [{"name": "lead", "team": "marketing"}, {"name": "mql", "team": "marketing"}],
        }
    )
    changed = apply_settings(contract, ["stages.mql.entry.fit_min=30", "scoring.fit.cap=50"])
    assert changed.stage("mql").entry is not None and changed.stage("mql").entry.fit_min == 30
    assert changed.scoring.fit.cap == 50
    with pytest.raises(SimulationError, match="no item 'sal'"):
        apply_settings(contract, ["stages.sal.entry.fit_min=30"])
    with pytest.raises(SimulationError, match="fit_minimum"):
        apply_settings(contract, ["stages.mql.entry.fit_minimum=30"])
    with pytest.raises(SimulationError, match="expected KEY=VALUE"):
        apply_settings(contract, ["stages.mql.entry.fit_min"])
