"""Shared targets against a hand-built history: every figure computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.targets import calendar_period, target_figures

TEMPLATE = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
PATH = ["subscriber", "lead", "mql", "sal", "sql", "customer"]
AS_OF = datetime(2026, 3, 16, 12, tzinfo=UTC)


def _contract(targets: list[dict[str, object]]) -> FunnelContract:
    document = yaml.safe_load((TEMPLATE / "contract.yaml").read_text(encoding="utf-8"))
    document["targets"] = targets
    return FunnelContract.model_validate(document)


def _journey(number: int, reached: dict[str, datetime], entered: dict[str, datetime]) -> Journey:
    reach = [reached.get(stage) for stage in PATH]
    return Journey(number, f"p{number}@example.com", {}, [], reach, entered)


def at(month: int, day: int, hour: int = 0) -> datetime:
    year = 2025 if month > 6 else 2026
    return datetime(year, month, day, hour, tzinfo=UTC)


JOURNEYS = [
    _journey(1, {"mql": at(3, 1)}, {}),  # first instant of March: counts
    _journey(2, {"mql": at(3, 10)}, {}),
    _journey(3, {"mql": at(3, 16, 11)}, {}),  # an hour before as_of
    _journey(4, {"mql": at(3, 20)}, {}),  # after as_of: not yet
    _journey(5, {"mql": at(2, 1), "customer": at(3, 2)}, {}),
    _journey(6, {"mql": at(2, 28, 23), "customer": at(1, 5)}, {}),
    _journey(7, {"customer": at(12, 15)}, {"disqualified": at(3, 3)}),
    _journey(8, {}, {"disqualified": at(2, 27)}),
]


def test_calendar_periods() -> None:
    from funnelsync.contract import TargetPeriod

    assert calendar_period(TargetPeriod.month, AS_OF) == (at(3, 1), at(4, 1))
    assert calendar_period(TargetPeriod.quarter, AS_OF) == (at(1, 1), at(4, 1))
    december = datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert calendar_period(TargetPeriod.quarter, december) == (
        at(10, 1),
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_monthly_and_quarterly_targets_by_hand() -> None:
    contract = _contract(
        [
            {"stage": "mql", "period": "month", "count": 10},
            {"stage": "customer", "period": "quarter", "count": 4},
            {"stage": "disqualified", "count": 2},
        ]
    )
    mql, customer, disqualified = target_figures(contract, JOURNEYS, AS_OF)
    # March: 31 days, 15.5 elapsed, 15.5 left; 3 reached (journey 4 is after as_of).
    assert (mql.reached, mql.attainment) == (3, 0.3)
    assert (mql.previous_reached, mql.previous_attainment) == (2, 0.2)
    assert (mql.days_elapsed, mql.days_left) == (15.5, 15.5)
    assert mql.projected == 6  # 3 × 31 / 15.5
    assert mql.needed_per_day == 0.45  # (10 - 3) / 15.5 = 0.4516…
    assert mql.on_track is False
    # Q1 2026: 90 days, 74.5 elapsed; customers on Jan 5 and Mar 2; Q4 2025: Dec 15.
    assert (customer.reached, customer.previous_reached) == (2, 1)
    assert (customer.days_elapsed, customer.days_left) == (74.5, 15.5)
    assert customer.projected == 2  # 2 × 90 / 74.5 = 2.42
    assert customer.needed_per_day == 0.13  # (4 - 2) / 15.5
    # A detour counts the first entry: March 3 in March, February 27 before.
    assert (disqualified.reached, disqualified.previous_reached) == (1, 1)
    assert disqualified.attainment == 0.5


def test_a_met_target_needs_nothing_more_and_is_on_track() -> None:
    contract = _contract([{"stage": "mql", "period": "month", "count": 3}])
    (mql,) = target_figures(contract, JOURNEYS, AS_OF)
    assert mql.needed_per_day is None and mql.on_track is True and mql.attainment == 1.0


def test_a_target_must_name_a_stage_of_the_contract() -> None:
    with pytest.raises(ValidationError, match="'mqls' is not a stage"):
        _contract([{"stage": "mqls", "count": 3}])
    with pytest.raises(ValidationError):
        _contract([{"stage": "mql", "count": 0}])


def test_the_report_carries_the_targets_in_json_and_html(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from sync_support import small_workspace, sync_json

    from funnelsync.sync.cli.main import main

    config = small_workspace(tmp_path)
    sync_json(config)
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    targets = json.loads(result.output)["targets"]
    assert [(t["stage"], t["period"], t["target"]) for t in targets] == [
        ("mql", "month", 120),
        ("sql", "month", 30),
        ("customer", "quarter", 25),
    ]
    mql = targets[0]
    assert mql["reached"] >= 1 and mql["attainment"] == round(mql["reached"] / 120, 4)
    page = tmp_path / "report.html"
    html = runner.invoke(main, ["report", "--config", str(config), "--out", str(page)])
    assert html.exit_code == 0, html.output
    text = page.read_text(encoding="utf-8")
    assert "Shared targets" in text
    assert f'data-metric="target.mql.reached" data-value="{mql["reached"]}"' in text


def test_a_projection_exactly_on_target_is_on_track() -> None:
    contract = _contract([{"stage": "mql", "period": "month", "count": 6}])
    (mql,) = target_figures(contract, JOURNEYS, AS_OF)
    assert (mql.projected, mql.on_track, mql.needed_per_day) == (6, True, 0.19)
