"""The forecast and its backtest on a hand-built history; every figure computed by hand.

Seven leads on a six-stage path (subscriber, lead, mql, sal, sql, customer):

- January cohort of `lead`: J1 → mql after 10 days, J2 after 20, J3 and J4 still at lead;
- February cohort: J5 → mql after 4 days, J6 after 6;
- March: J7 reached lead on the 10th. Nobody went past mql.

As of 2026-03-16 12:00: lead → mql converted 4 of 7 (0.5714), monthly rates 0.5, 1.0
and 0.0 (low 0.0, high 1.0), median 8 days (of 4, 6, 10, 20). J3, J4 and J7 stand at
lead; 8 days after their entry is before now or in March, so each adds 0.5714 expected
MQLs to March: 1.71 (low 0, high 3). mql → sal converted 0 of 4, with no median: no
forecast past mql.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from test_report_targets import _contract  # the template contract

from funnelsync.sync.report.forecast import backtest, forecast, stage_rates
from funnelsync.sync.report.journeys import Journey, Stay

PATH = ["subscriber", "lead", "mql", "sal", "sql", "customer"]
AS_OF = datetime(2026, 3, 16, 12, tzinfo=UTC)


def day(month: int, number: int) -> datetime:
    return datetime(2026, month, number, tzinfo=UTC)


def journey(number: int, lead: datetime, mql: datetime | None = None) -> Journey:
    stays = [Stay("lead", lead, mql)] + ([Stay("mql", mql, None)] if mql else [])
    reach = [None, lead, mql, None, None, None]
    entered = {"lead": lead, **({"mql": mql} if mql else {})}
    return Journey(number, f"j{number}@example.com", {}, stays, reach, entered)


JOURNEYS = [
    journey(1, day(1, 5), day(1, 15)),
    journey(2, day(1, 10), day(1, 30)),
    journey(3, day(1, 12)),
    journey(4, day(1, 20)),
    journey(5, day(2, 2), day(2, 6)),
    journey(6, day(2, 10), day(2, 16)),
    journey(7, day(3, 10)),
]


def test_stage_rates_by_hand() -> None:
    rates = {rate.stage: rate for rate in stage_rates(_contract([]), JOURNEYS, AS_OF, 6)}
    lead = rates["lead"]
    assert (lead.conversion, lead.low, lead.high) == (0.5714, 0.0, 1.0)
    assert (lead.median_days, lead.cohort) == (8.0, 7)
    mql = rates["mql"]
    assert (mql.conversion, mql.median_days, mql.cohort) == (0.0, None, 4)
    assert rates["subscriber"].conversion is None


def test_forecast_by_hand() -> None:
    made = forecast(_contract([]), JOURNEYS, AS_OF)
    cells = {(c.stage, c.month.month): (c.expected, c.low, c.high) for c in made.cells}
    assert cells[("mql", 3)] == (1.71, 0.0, 3.0)
    assert cells[("mql", 4)] == cells[("mql", 5)] == (0.0, 0.0, 0.0)
    assert cells[("sal", 3)] == (0.0, 0.0, 0.0)
    assert sorted({c.month.month for c in made.cells}) == [3, 4, 5]


def test_backtest_by_hand() -> None:
    rows = {(r.as_of.month, r.stage): r for r in backtest(_contract([]), JOURNEYS, AS_OF)}
    assert sorted({month for month, _ in rows}) == [1, 2, 12]
    # As of February 1st: lead → mql was 2 of 4 (median 15 days); J3 and J4 at lead.
    february = rows[(2, "mql")]
    assert (february.forecast, february.low, february.high, february.actual) == (1.0, 1.0, 1.0, 2)
    assert (rows[(2, "lead")].forecast, rows[(2, "lead")].actual) == (0.0, 2)
    # As of January 1st nothing was known yet; two leads became MQLs in January.
    assert (rows[(1, "mql")].forecast, rows[(1, "mql")].actual) == (0.0, 2)
    assert (rows[(12, "mql")].forecast, rows[(12, "mql")].actual) == (0.0, 0)


def test_the_report_carries_the_forecast_and_backtest(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from sync_support import small_workspace, sync_json

    from funnelsync.sync.cli.main import main

    config = small_workspace(tmp_path)
    sync_json(config)
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["forecast"]
    assert [rate["stage"] for rate in document["rates"]] == PATH[:-1]
    assert {cell["stage"] for cell in document["cells"]} == set(PATH[1:])
    assert len({cell["month"] for cell in document["cells"]}) == 3
    assert len(document["backtest"]) == 3 * (len(PATH) - 1)
    page = tmp_path / "report.html"
    html = CliRunner().invoke(main, ["report", "--config", str(config), "--out", str(page)])
    assert html.exit_code == 0 and 'id="forecast"' in page.read_text(encoding="utf-8")
