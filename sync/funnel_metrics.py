"""Volume, conversion and velocity of the funnel over one period, from lead journeys.

Every figure is taken as of the period's end: what happened later is ignored, so the
previous period is shown as it stood when it ended. The definitions are spelled out in
:mod:`funnelsync.sync.report_definitions` and ``docs/report.md``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.sync.report_journeys import Journey
from funnelsync.sync.report_period import Period

DAY = timedelta(days=1)


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, or ``None`` when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def day_stats(durations: Sequence[timedelta]) -> tuple[float | None, float | None]:
    """Median and average of ``durations`` in days (2 places), ``None`` when empty."""
    if not durations:
        return None, None
    days = [duration / DAY for duration in durations]
    return round(statistics.median(days), 2), round(statistics.fmean(days), 2)


@dataclass(frozen=True, slots=True)
class StageFigures:
    """One stage over one period. Reach and conversion figures are for success-path stages."""

    stage: str
    label: str
    team: str
    on_path: bool
    opening: int
    inflow: int
    outflow: int
    balance: int
    reached: int | None
    skipped: int | None
    converted: int | None
    conversion: float | None
    stays_ended: int
    median_days: float | None
    average_days: float | None


@dataclass(frozen=True, slots=True)
class Headline:
    """The figures both teams quote: volumes, the key conversions and the win rate."""

    new_leads: int
    mqls: int
    sqls: int | None
    won: int
    lost: int | None
    mql_to_sql: float | None
    mql_to_customer: float | None
    win_rate: float | None
    median_days_mql_to_sql: float | None


def stage_figures(
    contract: FunnelContract, journeys: Sequence[Journey], period: Period
) -> list[StageFigures]:
    """Balance, inflow, outflow, reach, conversion and time in stage for every stage."""
    start, end = period.start, period.end
    opening: dict[str, int] = defaultdict(int)
    balance: dict[str, int] = defaultdict(int)
    inflow: dict[str, int] = defaultdict(int)
    outflow: dict[str, int] = defaultdict(int)
    durations: dict[str, list[timedelta]] = defaultdict(list)
    for journey in journeys:
        before_start = at_end = None
        for stay in journey.stays:
            if stay.entered >= end:
                break
            at_end = stay
            if stay.entered < start:
                before_start = stay
            else:
                inflow[stay.stage] += 1
            left = stay.left_before(end)
            if left is not None and left >= start:
                outflow[stay.stage] += 1
                durations[stay.stage].append(left - stay.entered)
        if before_start is not None:
            opening[before_start.stage] += 1
        if at_end is not None:
            balance[at_end.stage] += 1
    path = [stage.name for stage in contract.stages]
    figures = []
    for stage in contract.all_stages:
        name = stage.name
        median, average = day_stats(durations[name])
        reached = skipped = converted = None
        conversion = None
        if name in path:
            index = path.index(name)
            cohort = [j for j in journeys if period.holds(j.reached(index, end))]
            reached = len(cohort)
            skipped = sum(1 for j in cohort if not j.entered_before(name, end))
            if index + 1 < len(path):
                converted = sum(1 for j in cohort if j.reached(index + 1, end) is not None)
                conversion = rate(converted, reached)
        figures.append(
            StageFigures(
                stage=name,
                label=stage.display_name,
                team=stage.team.value,
                on_path=name in path,
                opening=opening[name],
                inflow=inflow[name],
                outflow=outflow[name],
                balance=balance[name],
                reached=reached,
                skipped=skipped,
                converted=converted,
                conversion=conversion,
                stays_ended=len(durations[name]),
                median_days=median,
                average_days=average,
            )
        )
    return figures


def _lost(journey: Journey, sql: int, last: int, detours: set[str], period: Period) -> bool:
    """In a detour at the period's end, entered during it, after reaching SQL, never won."""
    stay = journey.stay_at(period.end)
    if stay is None or stay.stage not in detours or not period.holds(stay.entered):
        return False
    reached_sql = journey.reached(sql, period.end)
    won = journey.reached(last, period.end)
    return reached_sql is not None and reached_sql <= stay.entered and won is None


def headline(contract: FunnelContract, journeys: Sequence[Journey], period: Period) -> Headline:
    """New leads, MQLs, SQLs, won and lost, MQL→SQL and MQL→customer, win rate."""
    end = period.end
    mql = contract.path_index(contract.mql_stage) or 0
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    last = len(contract.stages) - 1
    detours = {stage.name for stage in contract.detours}
    new_leads = sum(1 for j in journeys if j.stays and period.holds(j.stays[0].entered))
    mql_cohort = [j for j in journeys if period.holds(j.reached(mql, end))]
    won = sum(1 for j in journeys if period.holds(j.reached(last, end)))
    to_customer = sum(1 for j in mql_cohort if j.reached(last, end) is not None)
    if sql is None:
        return Headline(
            new_leads, len(mql_cohort), None, won, None, None, rate(to_customer, len(mql_cohort)),
            None, None,
        )  # fmt: skip
    sqls = [j for j in journeys if period.holds(j.reached(sql, end))]
    to_sql = sum(1 for j in mql_cohort if j.reached(sql, end) is not None)
    lost = sum(1 for j in journeys if _lost(j, sql, last, detours, period))
    mql_name = contract.stages[mql].name
    velocity = []
    for journey in sqls:
        entered = journey.entered.get(mql_name)
        reached = journey.reach[sql]
        if entered is not None and reached is not None and entered <= reached:
            velocity.append(reached - entered)
    return Headline(
        new_leads=new_leads,
        mqls=len(mql_cohort),
        sqls=len(sqls),
        won=won,
        lost=lost,
        mql_to_sql=rate(to_sql, len(mql_cohort)),
        mql_to_customer=rate(to_customer, len(mql_cohort)),
        win_rate=rate(won, won + lost),
        median_days_mql_to_sql=day_stats(velocity)[0],
    )
