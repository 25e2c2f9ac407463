"""A forecast of the funnel from where leads stand now, and its backtest on the history.

**What the history says.** For each success-path stage, from the leads that reached it in
the ``lookback`` calendar months before the forecast date: the share that went on to the
next stage (its conversion *p*), and how many days each of those took (counted in UTC
calendar days, reach date to reach date: the *time in stage* distribution, of which the
median is shown). Each monthly cohort gives one rate; the lowest and highest monthly rates
make the range.

**Spreading over the days ahead.** Days are UTC calendar days; day 0 is the forecast
date's own day (a lead may still move on it). A lead that entered stage *i* ``w`` days ago
and has not moved yet is judged *conditional on not having moved*: of the past leads that
moved on, those that took fewer than ``w`` days no longer fit it. With ``n`` past movers,
``c`` of them taking ``w`` days or more, the lead moves on with probability
``p·c / (n·(1-p) + p·c)``, on day ``k - w`` from now for each remaining mover's ``k`` days,
each such day with weight ``p / (n·(1-p) + p·c)`` (Bayes with the empirical distribution:
a lead that has waited longer than most movers is less likely to move, and sooner if it
does; one that waited longer than every mover is not expected to move). A lead arriving
in stage *i* on a forecast day (from the stage before) moves on with ``p`` after each
past mover's days, weight ``p / n`` each (the same rule at ``w = 0``). Stages are taken
in path order, so arrivals chain through later stages; an arrival after the last period
is dropped, and a stage whose conversion or days are unknown passes nothing on.

Expected arrivals per stage are summed per calendar month (UTC): the rest of the current
month and the months after it, ``periods`` months in all. The range repeats the whole
calculation with every stage's lowest, then highest, monthly conversion. Leads not in the
funnel yet, and leads in detours, are not forecast.

The backtest runs the same forecast as of the first day of each of the last ``periods``
months, on the history known then, and sets each forecast month that has ended against
what happened in it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

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
    """A past forecast's figure for one stage and one ended month, against what happened."""

    as_of: datetime
    month: datetime
    stage: str
    forecast: float
    low: float
    high: float
    actual: int


@dataclass(frozen=True, slots=True)
class _Way:
    """What one stage's history says for the forecast: the three conversions (expected,
    low, high) and the movers' whole days in stage, ``days[k]`` = movers that took ``k``."""

    conversions: tuple[float, float, float]
    days: list[int]
    movers: int


def _months_back(moment: datetime, count: int) -> datetime:
    start, _ = calendar_period(TargetPeriod.month, moment)
    for _ in range(count):
        start, _ = calendar_period(TargetPeriod.month, start - DAY)
    return start


def _history(
    contract: FunnelContract, journeys: Sequence[Journey], as_of: datetime, lookback: int
) -> tuple[list[StageRate], list[_Way | None]]:
    """Per success-path stage but the last: its rate, and its way on (``None`` if unknown)."""
    since = _months_back(as_of, lookback)
    last = len(contract.stages) - 1
    # Per stage: (year, month) of reaching it → [leads, went on]; days taken by those who did.
    cohorts: list[dict[tuple[int, int], list[int]]] = [
        defaultdict(lambda: [0, 0]) for _ in range(last)
    ]
    days: list[list[float]] = [[] for _ in range(last)]
    whole: list[Counter[int]] = [Counter() for _ in range(last)]
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
                whole[index][(following.date() - reached.date()).days] += 1
    rates: list[StageRate] = []
    ways: list[_Way | None] = []
    for index, stage in enumerate(contract.stages[:-1]):
        counts = cohorts[index].values()
        leads = sum(count for count, _ in counts)
        went = sum(went for _, went in counts)
        monthly = [went / count for count, went in counts]
        rate = StageRate(
            stage=stage.name,
            conversion=round(went / leads, 4) if leads else None,
            low=round(min(monthly), 4) if monthly else None,
            high=round(max(monthly), 4) if monthly else None,
            median_days=round(statistics.median(days[index]), 2) if days[index] else None,
            cohort=leads,
        )
        rates.append(rate)
        taken = whole[index]
        if not went:
            ways.append(None)
            continue
        spread = [0] * (max(taken) + 1)
        for count_days, movers in taken.items():
            spread[count_days] = movers
        ways.append(_Way((went / leads, min(monthly), max(monthly)), spread, went))
    return rates, ways


def stage_rates(
    contract: FunnelContract, journeys: Sequence[Journey], as_of: datetime, lookback: int
) -> list[StageRate]:
    """Per success-path stage but the last: conversion to the next, its range, median days."""
    return _history(contract, journeys, as_of, lookback)[0]


def _nothing(horizon: int) -> tuple[list[float], list[float], list[float]]:
    return [0.0] * horizon, [0.0] * horizon, [0.0] * horizon


def _waiting(
    way: _Way, leads: Counter[int], horizon: int
) -> tuple[list[float], list[float], list[float]]:
    """Arrivals in the next stage per day ahead (per conversion), from ``leads`` (count per
    days already waited) that have not moved yet: conditional on not having moved."""
    arrivals = _nothing(horizon)
    spread, movers = way.days, way.movers
    # still[w]: movers that took w days or more.
    still = [0] * (len(spread) + 1)
    for count_days in range(len(spread) - 1, -1, -1):
        still[count_days] = still[count_days + 1] + spread[count_days]
    for waited, count in leads.items():
        remaining = still[waited] if waited < len(spread) else 0
        if not remaining:
            continue
        for scenario, p in enumerate(way.conversions):
            if not p:
                continue
            weight = count * p / (movers * (1 - p) + p * remaining)
            line = arrivals[scenario]
            for ahead in range(min(horizon, len(spread) - waited)):
                line[ahead] += weight * spread[waited + ahead]
    return arrivals


def _passing(way: _Way, arrived: Sequence[list[float]], into: Sequence[list[float]]) -> None:
    """Add to ``into`` the next-stage arrivals of leads that arrive per day in ``arrived``."""
    spread, movers = way.days, way.movers
    for scenario, p in enumerate(way.conversions):
        line, target = arrived[scenario], into[scenario]
        horizon = len(target)
        share = p / movers
        for day, amount in enumerate(line):
            if not amount:
                continue
            for count_days in range(min(len(spread), horizon - day)):
                if spread[count_days]:
                    target[day + count_days] += amount * share * spread[count_days]


def _month_starts(as_of: datetime, periods: int) -> list[datetime]:
    months = [calendar_period(TargetPeriod.month, as_of)[0]]
    while len(months) < periods + 1:
        months.append(calendar_period(TargetPeriod.month, months[-1])[1])
    return months


def forecast(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> Forecast:
    """Expected arrivals per later stage in the rest of ``as_of``'s month and the months
    after it, ``periods`` months in all (the method: the module docstring)."""
    rates, ways = _history(contract, journeys, as_of, lookback)
    path = [stage.name for stage in contract.stages]
    bounds = _month_starts(as_of, periods)
    today = as_of.date()
    horizon = (bounds[-1].date() - today).days
    position = {name: index for index, name in enumerate(path)}
    # Per stage: leads standing in it now, by whole days waited.
    standing: list[Counter[int]] = [Counter() for _ in path]
    for journey in journeys:
        stay = journey.stay_at(as_of)
        if stay is not None and (index := position.get(stay.stage)) is not None:
            standing[index][(today - stay.entered.date()).days] += 1
    cells: list[ForecastCell] = []
    arrived = _nothing(horizon)
    for index in range(len(path) - 1):
        way = ways[index]
        if way is None:
            following = _nothing(horizon)
        else:
            following = _waiting(way, standing[index], horizon)
            _passing(way, arrived, following)
        cells.extend(_cells(path[index + 1], following, bounds, today))
        arrived = following
    return Forecast(as_of, rates, cells)


def _cells(
    stage: str, arrivals: Sequence[list[float]], bounds: Sequence[datetime], today: date
) -> list[ForecastCell]:
    """Per month between ``bounds``, the day arrivals summed (expected, low, high)."""
    cells = []
    for start, end in pairwise(bounds):
        first = max((start.date() - today).days, 0)
        last = (end.date() - today).days
        expected, low, high = (round(sum(line[first:last]), 2) for line in arrivals)
        cells.append(ForecastCell(stage, start, expected, low, high))
    return cells


def backtest(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> list[BacktestRow]:
    """The forecast made on the first day of each of the last ``periods`` months, for each
    of its months that ended before ``as_of``'s month, against the leads that actually
    reached each stage in that month."""
    path = [stage.name for stage in contract.stages]
    reached: dict[tuple[str, int, int], int] = defaultdict(int)
    for journey in journeys:
        for index, when in enumerate(journey.reach):
            if when is not None:
                reached[(path[index], when.year, when.month)] += 1
    current = calendar_period(TargetPeriod.month, as_of)[0]
    rows = []
    for back in range(periods, 0, -1):
        then = _months_back(as_of, back)
        # forecast() reads only what happened before its date: no history needs hiding.
        made = forecast(contract, journeys, then, periods=periods, lookback=lookback)
        for cell in made.cells:
            if cell.month >= current:
                continue
            actual = reached[(cell.stage, cell.month.year, cell.month.month)]
            rows.append(
                BacktestRow(
                    then, cell.month, cell.stage, cell.expected, cell.low, cell.high, actual
                )
            )
    return rows
