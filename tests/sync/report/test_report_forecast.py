"""The forecast and its backtest on a hand-built history; every figure computed by hand.

Seven leads on the template's path (subscriber, lead, mql, sal, sql, customer), every
entry at midnight UTC; the forecast is made on 2026-03-16 12:00 (day 0 = March 16):

    lead    entered lead   → mql (days)      → sal (days)       stands at
    A       2026-01-05     2026-01-15 (10)   2026-02-14 (30)    sal
    B       2025-12-01     2025-12-21 (20)   2026-02-19 (60)    sal
    C       2025-12-01     2026-01-10 (40)                      mql (65 days)
    D       2025-12-20                                          lead (86 days)
    E       2026-03-01                                          lead (15 days)
    F       2026-01-12     2026-02-01 (20)                      mql (43 days)
    G       2026-03-02     2026-03-12 (10)                      mql (4 days)

Rates (six months back, from 2025-09-01):
- lead: cohorts Dec {B, C went on; D not} 2/3, Jan {A, F} 2/2, Mar {G; E not} 1/2 →
  5/7 = 0.7143, low 0.5, high 1.0. Movers' days {10, 10, 20, 20, 40}, median 20, n = 5.
- mql: Dec {B} 1/1, Jan {A; C not} 1/2, Feb {F} 0/1, Mar {G} 0/1 → 2/5 = 0.4, low 0.0,
  high 1.0. Movers' days {30, 60}, median 45, n = 2.
- sal: Feb {A, B} 0/2 → 0.0, no days: nothing passes beyond sal.

A lead that waited w days, with c of the n movers taking w days or more, moves on day
k - w ahead (each mover's k >= w) with weight p / (n(1-p) + p·c).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_report_targets import _contract  # the template contract

from funnelsync.sync.report.forecast import backtest, forecast, forecast_history
from funnelsync.sync.report.journeys import Journey, Stay

PATH = ["subscriber", "lead", "mql", "sal", "sql", "customer"]
AS_OF = datetime(2026, 3, 16, 12, tzinfo=UTC)


def day(month: int, number: int) -> datetime:
    return datetime(2025 if month == 12 else 2026, month, number, tzinfo=UTC)


def journey(number: int, *entries: datetime) -> Journey:
    """Entries into lead, mql, sal in turn (as many as given)."""
    names = PATH[1 : 1 + len(entries)]
    leaving = [*entries[1:], None]
    stays = [Stay(name, at, left) for name, at, left in zip(names, entries, leaving, strict=True)]
    reach = [None, *entries, *[None] * (len(PATH) - 1 - len(entries))]
    return Journey(
        number, f"j{number}@example.com", {}, stays, reach, dict(zip(names, entries, strict=True))
    )


JOURNEYS = [
    journey(1, day(1, 5), day(1, 15), day(2, 14)),  # A
    journey(2, day(12, 1), day(12, 21), day(2, 19)),  # B
    journey(3, day(12, 1), day(1, 10)),  # C
    journey(4, day(12, 20)),  # D
    journey(5, day(3, 1)),  # E
    journey(6, day(1, 12), day(2, 1)),  # F
    journey(7, day(3, 2), day(3, 12)),  # G
]


def near(value: float) -> object:
    """Figures are rounded to 2 decimals."""
    return pytest.approx(value, abs=0.0051)


def test_stage_rates_by_hand() -> None:
    rates = {
        rate.stage: rate
        for rate in forecast(forecast_history(_contract([]), JOURNEYS), AS_OF, lookback=6).rates
    }
    lead = rates["lead"]
    assert (lead.conversion, lead.low, lead.high) == (0.7143, 0.5, 1.0)
    assert (lead.median_days, lead.cohort) == (20.0, 7)
    mql = rates["mql"]
    assert (mql.conversion, mql.low, mql.high) == (0.4, 0.0, 1.0)
    assert (mql.median_days, mql.cohort) == (45.0, 5)
    sal = rates["sal"]
    assert (sal.conversion, sal.median_days, sal.cohort) == (0.0, None, 2)
    assert rates["subscriber"].conversion is None and rates["sql"].conversion is None


def test_a_move_at_the_forecast_moment_is_not_known_yet() -> None:
    # Made on January 15 00:00, the moment A reaches mql: A has not gone on from lead yet
    # and is not in mql's cohort.
    history = forecast_history(_contract([]), JOURNEYS)
    rates = {rate.stage: rate for rate in forecast(history, day(1, 15), lookback=6).rates}
    # lead: Dec {B, C went on; D not} 2/3, Jan {A, F not yet} 0/2 → 2/5; days 20, 40.
    lead = rates["lead"]
    assert (lead.conversion, lead.low, lead.high) == (0.4, 0.0, 0.6667)
    assert (lead.median_days, lead.cohort) == (30.0, 5)
    assert rates["mql"].cohort == 2  # B and C


def test_forecast_spreads_arrivals_over_the_months_by_time_in_stage() -> None:
    made = forecast(forecast_history(_contract([]), JOURNEYS), AS_OF)
    cells = {(c.stage, c.month.month): (c.expected, c.low, c.high) for c in made.cells}
    assert sorted({c.month.month for c in made.cells}) == [3, 4, 5]
    assert {c.stage for c in made.cells} == set(PATH[1:])
    # MQLs, from the leads at lead (movers' days 10, 10, 20, 20, 40; n = 5):
    # D waited 86 days, more than every mover: nothing.
    # E waited 15: c = 3 (20, 20, 40). Weight p / (5(1-p) + 3p):
    #   expected p = 5/7: (5/7) / (10/7 + 15/7) = 1/5; low p = 0.5: 0.5 / 4 = 1/8;
    #   high p = 1: 1/3. Day 20 → 5 ahead (March 21), twice; day 40 → 25 ahead (April 10).
    assert cells[("mql", 3)] == (near(2 / 5), near(2 / 8), near(2 / 3))
    assert cells[("mql", 4)] == (near(1 / 5), near(1 / 8), near(1 / 3))
    assert cells[("mql", 5)] == (0.0, 0.0, 0.0)
    # SALs (mql movers' days 30, 60; n = 2; p = 0.4, low 0, high 1):
    # C waited 65: nothing. F waited 43: c = 1 (60), weight 0.4 / (1.2 + 0.4) = 0.25
    #   (high: 1/1 = 1), 17 ahead = April 2.
    # G waited 4: c = 2, weight 0.4 / (1.2 + 0.8) = 0.2 (high 1/2), 26 ahead = April 11
    #   and 56 ahead = May 11.
    # E's expected MQLs move on at p/n = 0.2 per mover (high 0.5): 0.4 on day 5 → day 35
    #   (April 20) 0.08 and day 65 (May 20) 0.08; 0.2 on day 25 → day 55 (May 10) 0.04,
    #   day 85 is after May: dropped. High: 2/3 → 1/3 + 1/3; 1/3 → 1/6.
    assert cells[("sal", 3)] == (0.0, 0.0, 0.0)
    assert cells[("sal", 4)] == (near(0.25 + 0.2 + 0.08), 0.0, near(1 + 0.5 + 1 / 3))
    assert cells[("sal", 5)] == (near(0.2 + 0.08 + 0.04), 0.0, near(0.5 + 1 / 3 + 1 / 6))
    # No subscriber history (nobody reaches lead) and none past sal (0 of 2 went on).
    for stage in ("lead", "sql", "customer"):
        assert all(cells[(stage, month)] == (0.0, 0.0, 0.0) for month in (3, 4, 5))


def test_backtest_by_hand() -> None:
    rows = {
        (r.as_of.month, r.month.month, r.stage): (r.forecast, r.low, r.high, r.actual)
        for r in backtest(forecast_history(_contract([]), JOURNEYS), AS_OF)
    }
    # Made on Dec 1, Jan 1 and Feb 1; each month of theirs that ended before March.
    assert sorted({(made, month) for made, month, _ in rows}) == [
        (1, 1), (1, 2), (2, 2), (12, 1), (12, 2), (12, 12)
    ]  # fmt: skip
    assert len(rows) == 6 * (len(PATH) - 1)
    # Actual: lead Dec 3 (B, C, D), Jan 2 (A, F); mql Dec 1 (B), Jan 2 (C, A), Feb 1 (F);
    # sal Feb 2 (A, B). On Dec 1 nothing had happened yet: every forecast 0.
    assert rows[(12, 12, "lead")] == (0.0, 0.0, 0.0, 3)
    assert rows[(12, 1, "mql")] == (0.0, 0.0, 0.0, 2)
    assert rows[(12, 2, "sal")] == (0.0, 0.0, 0.0, 2)
    # Jan 1: lead went on 1 of 3 (B after 20 days; low = high = 1/3, n = 1); mql none yet.
    # C waited 31: nothing; D waited 12: c = 1, weight (1/3) / (2/3 + 1/3) = 1/3 on day
    # 20 = January 9.
    assert rows[(1, 1, "mql")] == (near(1 / 3), near(1 / 3), near(1 / 3), 2)
    assert rows[(1, 2, "mql")] == (0.0, 0.0, 0.0, 1)
    assert rows[(1, 1, "lead")] == (0.0, 0.0, 0.0, 2)
    # Feb 1: lead went on 3 of 5 (Dec 2/3, Jan 1/2: F moved on Feb 1 itself, not before),
    # movers' days 10, 20, 40; D waited 43: nothing; F waited 20: c = 2, weight
    # 0.6 / (1.2 + 1.2) = 0.25 (low 0.5 / 2.5 = 0.2, high (2/3) / (7/3) = 2/7) on day 0
    # (February 1) and day 20 (February 21).
    assert rows[(2, 2, "mql")] == (0.5, 0.4, near(4 / 7), 1)
    assert rows[(2, 2, "sal")] == (0.0, 0.0, 0.0, 2)


def test_a_lead_entering_at_the_forecast_moment_is_not_standing_or_known_yet() -> None:
    # Entering lead exactly at AS_OF: not in lead's cohort and not waiting in lead; one
    # that entered a second before is waiting there (day 0) and adds expected MQLs.
    history = forecast_history(_contract([]), JOURNEYS)
    made = forecast(history, AS_OF)
    at = forecast(forecast_history(_contract([]), [*JOURNEYS, journey(10, AS_OF)]), AS_OF)
    assert at == made
    second = datetime(2026, 3, 16, 11, 59, 59, tzinfo=UTC)
    before = forecast(forecast_history(_contract([]), [*JOURNEYS, journey(10, second)]), AS_OF)
    mqls = [cell.expected for cell in before.cells if cell.stage == "mql"]
    assert sum(mqls) > sum(cell.expected for cell in made.cells if cell.stage == "mql")


def test_monthly_cohorts_follow_each_moment_s_own_month_when_offsets_are_mixed() -> None:
    # H reached lead on Feb 1 01:00 UTC and went on; I on Jan 31 23:00 at -05:00 (Feb 1
    # 04:00 UTC, after H) and did not: in time order the months go Feb, then Jan again.
    eastern = timezone(timedelta(hours=-5))
    late_january = datetime(2026, 1, 31, 23, tzinfo=eastern)
    h = journey(8, datetime(2026, 2, 1, 1, tzinfo=UTC), day(2, 11))
    extra = [h, journey(9, late_january)]
    rates = {
        rate.stage: rate
        for rate in forecast(
            forecast_history(_contract([]), [*JOURNEYS, *extra]), AS_OF, lookback=6
        ).rates
    }
    # lead: Dec 2/3, Jan {A, F went on; I not} 2/3, Feb {H} 1/1, Mar 1/2 → 6/9.
    lead = rates["lead"]
    assert (lead.conversion, lead.low, lead.high, lead.cohort) == (0.6667, 0.5, 1.0, 9)
    rows = {
        (r.as_of.month, r.month.month, r.stage): r.actual
        for r in backtest(forecast_history(_contract([]), [*JOURNEYS, *extra]), AS_OF)
    }
    assert rows[(1, 1, "lead")] == 3  # A, F and I reached lead in January (I's own month)
    assert rows[(2, 2, "mql")] == 2  # F and H


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
    # Made on each of the last three month starts, for each of its months that ended.
    assert len(document["backtest"]) == 6 * (len(PATH) - 1)
    assert all(row["as_of"][:7] <= row["month"] for row in document["backtest"])
    page = tmp_path / "report.html"
    html = CliRunner().invoke(main, ["report", "--config", str(config), "--out", str(page)])
    assert html.exit_code == 0, html.output
    text = page.read_text(encoding="utf-8")
    assert 'id="forecast"' in text
    for cell in document["cells"]:  # the page shows the JSON's figures
        metric = f'data-metric="forecast.{cell["stage"]}.{cell["month"]}"'
        assert f'{metric} data-value="{cell["expected"]}"' in text
