"""A forecast of the funnel from where leads stand now, and its backtest on the history.

For each success-path stage, from the leads that reached it in the ``lookback`` months
before the forecast date: the share that went on to the next stage (its conversion) and
the median days they took. Each lead's monthly cohort gives one rate; the lowest and
highest monthly rates make the range. A lead that now stands in stage *i* reaches a
later stage *j* with the product of the conversions on the way, after the sum of their
median days from its entry into *i* (no earlier than now); that expectation is counted in
the calendar month (UTC) it falls in: the rest of the current month and the months after
it, ``periods`` months in all. Leads not in the funnel yet are not forecast.

The backtest runs the same forecast as of the first day of each of the last ``periods``
months, on the history known then, and sets its first month against what happened.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from funnelsync.contract import FunnelContract, TargetPeriod
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.targets import calendar_period

DAY = timedelta(days=1)
LOOKBACK_MONTHS = 6


@dataclass(frozen=True, slots=True)
class StageRate:
    """One success-path stage's way to the next: conversion (and its range) and median days."""

    stage: str
    conversion: float | None
    low: float | None
    high: float | None
    median_days: float | None
    cohort: int
    """Leads that reached the stage in the lookback window."""


@dataclass(frozen=True, slots=True)
class ForecastCell:
    """Leads expected to reach ``stage`` in the month starting ``month``, with a range."""

    stage: str
    month: datetime
    expected: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast as of one moment: the rates it used and the expected arrivals."""

    as_of: datetime
    rates: list[StageRate]
    cells: list[ForecastCell]


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """A past forecast's first month for one stage, against what happened."""

    as_of: datetime
    stage: str
    forecast: float
    low: float
    high: float
    actual: int


def _months_back(moment: datetime, count: int) -> datetime:
    start, _ = calendar_period(TargetPeriod.month, moment)
    for _ in range(count):
        start, _ = calendar_period(TargetPeriod.month, start - DAY)
    return start


def stage_rates(
    contract: FunnelContract, journeys: Sequence[Journey], as_of: datetime, lookback: int
) -> list[StageRate]:
    """Per success-path stage but the last: conversion to the next, its range, median days."""
    since = _months_back(as_of, lookback)
    last = len(contract.stages) - 1
    # Per stage: (year, month) of reaching it → [leads, went on]; days taken by those who did.
    cohorts: list[dict[tuple[int, int], list[int]]] = [
        defaultdict(lambda: [0, 0]) for _ in range(last)
    ]
    days: list[list[float]] = [[] for _ in range(last)]
    for journey in journeys:
        reach = journey.reach
        for index in range(last):
            reached = reach[index]
            if reached is None or not since <= reached < as_of:
                continue
            cohort = cohorts[index][(reached.year, reached.month)]
            cohort[0] += 1
            following = reach[index + 1]
            if following is not None and following < as_of:
                cohort[1] += 1
                days[index].append((following - reached) / DAY)
    rates = []
    for index, stage in enumerate(contract.stages[:-1]):
        counts = cohorts[index].values()
        leads = sum(count for count, _ in counts)
        monthly = [went / count for count, went in counts]
        rates.append(
            StageRate(
                stage=stage.name,
                conversion=round(sum(went for _, went in counts) / leads, 4) if leads else None,
                low=round(min(monthly), 4) if monthly else None,
                high=round(max(monthly), 4) if monthly else None,
                median_days=round(statistics.median(days[index]), 2) if days[index] else None,
                cohort=leads,
            )
        )
    return rates


def forecast(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> Forecast:
    """Expected arrivals per later stage in the rest of ``as_of``'s month and the months
    after it, ``periods`` months in all."""
    rates = stage_rates(contract, journeys, as_of, lookback)
    path = [stage.name for stage in contract.stages]
    months = [calendar_period(TargetPeriod.month, as_of)[0]]
    while len(months) < periods:
        months.append(calendar_period(TargetPeriod.month, months[-1])[1])
    wanted = {(month.year, month.month) for month in months}
    # From each stage: per later stage, the chance to reach it (expected, low, high) and
    # the days it takes from entering the first, until a stage with no known way on.
    ways: list[list[tuple[int, tuple[float, float, float], timedelta]]] = []
    for start in range(len(path)):
        chance, offset, way = (1.0, 1.0, 1.0), timedelta(0), []
        for index in range(start, len(path) - 1):
            rate = rates[index]
            if rate.conversion is None or rate.median_days is None:
                break
            chance = (chance[0] * rate.conversion, chance[1] * (rate.low or 0.0),
                      chance[2] * (rate.high or 0.0))  # fmt: skip
            offset += rate.median_days * DAY
            way.append((index + 1, chance, offset))
        ways.append(way)
    position = {name: index for index, name in enumerate(path)}
    totals: dict[tuple[int, int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for journey in journeys:
        stay = journey.stay_at(as_of)
        if stay is None or stay.stage not in position:
            continue
        for target, chance, offset in ways[position[stay.stage]]:
            when = max(stay.entered + offset, as_of)
            if (when.year, when.month) in wanted:
                cell = totals[(target, when.year, when.month)]
                cell[0] += chance[0]
                cell[1] += chance[1]
                cell[2] += chance[2]
    cells = [
        ForecastCell(path[index], month, round(v[0], 2), round(v[1], 2), round(v[2], 2))
        for index in range(1, len(path))
        for month in months
        for v in [totals.get((index, month.year, month.month), [0.0, 0.0, 0.0])]
    ]
    return Forecast(as_of, rates, cells)


def backtest(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> list[BacktestRow]:
    """The forecast made on the first day of each of the last ``periods`` months, first
    month only, against the leads that actually reached each stage in that month."""
    path = [stage.name for stage in contract.stages]
    reached: dict[tuple[str, int, int], int] = defaultdict(int)
    for journey in journeys:
        for index, when in enumerate(journey.reach):
            if when is not None:
                reached[(path[index], when.year, when.month)] += 1
    rows = []
    for back in range(periods, 0, -1):
        then = _months_back(as_of, back)
        # forecast() reads only what happened before its date: no history needs hiding.
        made = forecast(contract, journeys, then, periods=1, lookback=lookback)
        for cell in made.cells:
            actual = reached[(cell.stage, then.year, then.month)]
            rows.append(BacktestRow(then, cell.stage, cell.expected, cell.low, cell.high, actual))
    return rows
