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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import compress, islice, pairwise, repeat
from operator import add, itemgetter, le, mul
from typing import Any

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


NEVER = datetime.max.replace(tzinfo=UTC)
"""Stands for "not yet" where a moment is compared: later than any forecast date."""


@dataclass(frozen=True, slots=True)
class _Reaches:
    """The leads that reached one success-path stage (in time order), in columns."""

    reached: list[datetime]
    month: list[int]
    """The month of ``reached``, as ``year * 12 + month``."""
    months_sorted: bool
    """``month`` never decreases (it may when ``reached`` mixes zone offsets): then a
    window's monthly cohorts are runs, counted by bisection."""
    following: list[datetime]
    """When each reached the next stage, or :data:`NEVER`."""
    whole_days: list[int]
    """Calendar days from reaching the stage to reaching the next (0 if it has not)."""
    days: list[float]


ORDINALS = 10**7
"""Above any day's proleptic ordinal: ``stage * ORDINALS + day`` keys a (stage, day) pair."""


@dataclass(frozen=True, slots=True)
class _Stays:
    """Every stay in a success-path stage, in columns, in the order of the journeys."""

    entered: list[datetime]
    left: list[datetime]
    """When the lead left the stage, or :data:`NEVER`."""
    key: list[int]
    """The stage's index on the path and the day the lead entered it (a proleptic
    ordinal), as ``index * ORDINALS + day``."""


@dataclass(frozen=True, slots=True)
class ForecastHistory:
    """What the forecast and its backtest read from the journeys, gathered once and in
    columns, so that a forecast for any date (the backtest makes several) is quick."""

    path: tuple[str, ...]
    reaches: list[_Reaches]
    """Per success-path stage but the last."""
    stays: _Stays
    arrivals: list[Counter[int]]
    """Per success-path stage: leads that reached it per month (``year * 12 + month``)."""


def _month(moment: datetime) -> int:
    return moment.year * 12 + moment.month


def _reaches(journeys: Sequence[list[datetime | None]], index: int) -> _Reaches:
    """The leads of ``journeys`` (their reach dates) that reached stage ``index``."""
    rows = [
        (reached, reached.year * 12 + reached.month, NEVER, 0, 0.0)
        if (following := reach[index + 1]) is None
        else (
            reached,
            reached.year * 12 + reached.month,
            following,
            following.toordinal() - reached.toordinal(),
            (following - reached) / DAY,
        )
        for reach in journeys
        if (reached := reach[index]) is not None
    ]
    rows.sort(key=itemgetter(0))
    times, month, later, whole_days, days = _columns(rows, 5)
    months_sorted = all(map(le, month, islice(month, 1, None)))
    return _Reaches(times, month, months_sorted, later, whole_days, days)


def forecast_history(contract: FunnelContract, journeys: Sequence[Journey]) -> ForecastHistory:
    """The :class:`ForecastHistory` of ``journeys``."""
    path = tuple(stage.name for stage in contract.stages)
    position = {name: index for index, name in enumerate(path)}
    reach = [journey.reach for journey in journeys]
    reaches = [_reaches(reach, index) for index in range(len(path) - 1)]
    arrivals = [
        Counter({month: end - start for month, start, end in _runs(way.month, 0, len(way.month))})
        if way.months_sorted
        else Counter(way.month)
        for way in reaches
    ]
    arrivals.append(Counter(_month(dates[-1]) for dates in reach if dates[-1] is not None))
    stays = [
        (entered, left or NEVER, index * ORDINALS + entered.toordinal())
        for journey in journeys
        for stage, entered, left in journey.stays
        if (index := position.get(stage)) is not None
    ]
    return ForecastHistory(path, reaches, _Stays(*_columns(stays, 3)), arrivals)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """``rows`` as ``width`` columns (empty columns if there are no rows)."""
    return (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
    )


def _months_back(moment: datetime, count: int) -> datetime:
    start, _ = calendar_period(TargetPeriod.month, moment)
    for _ in range(count):
        start, _ = calendar_period(TargetPeriod.month, start - DAY)
    return start


def _history(
    history: ForecastHistory, as_of: datetime, lookback: int
) -> tuple[list[StageRate], list[_Way | None]]:
    """Per success-path stage but the last: its rate, and its way on (``None`` if unknown)."""
    since = _months_back(as_of, lookback)
    rates: list[StageRate] = []
    ways: list[_Way | None] = []
    for stage, way in zip(history.path, history.reaches, strict=False):
        # The leads that reached the stage in the window, and which of them went on.
        low, high = bisect_left(way.reached, since), bisect_left(way.reached, as_of)
        window = slice(low, high)
        moved = [following < as_of for following in way.following[window]]
        cohorts, went_on = _cohorts(way, low, high, moved)
        days = list(compress(way.days[window], moved))
        leads, went = high - low, len(days)
        monthly = [went_on[month] / count for month, count in cohorts.items()]
        rates.append(
            StageRate(
                stage=stage,
                conversion=round(went / leads, 4) if leads else None,
                low=round(min(monthly), 4) if monthly else None,
                high=round(max(monthly), 4) if monthly else None,
                median_days=round(statistics.median(days), 2) if days else None,
                cohort=leads,
            )
        )
        if not went:
            ways.append(None)
            continue
        taken = Counter(compress(way.whole_days[window], moved))
        spread = [0] * (max(taken) + 1)
        for count_days, movers in taken.items():
            spread[count_days] = movers
        ways.append(_Way((went / leads, min(monthly), max(monthly)), spread, went))
    return rates, ways


def _cohorts(
    way: _Reaches, low: int, high: int, moved: list[bool]
) -> tuple[dict[int, int], dict[int, int]]:
    """Per month of the window ``low:high`` of ``way``: the leads that reached the stage,
    and those of them that ``moved`` on."""
    if not way.months_sorted:
        window = way.month[low:high]
        return Counter(window), Counter(compress(window, moved))
    runs = _runs(way.month, low, high)
    return (
        {month: end - start for month, start, end in runs},
        {month: sum(moved[start - low : end - low]) for month, start, end in runs},
    )


def _runs(months: list[int], low: int, high: int) -> list[tuple[int, int, int]]:
    """The runs of equal months in ``months[low:high]`` (sorted): ``(month, start, end)``."""
    runs = []
    while low < high:
        month = months[low]
        end = bisect_right(months, month, low, high)
        runs.append((month, low, end))
        low = end
    return runs


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
        ahead = spread[waited : waited + horizon]
        for scenario, p in enumerate(way.conversions):
            if not p:
                continue
            weight = count * p / (movers * (1 - p) + p * remaining)
            line = arrivals[scenario]
            line[: len(ahead)] = map(add, line, map(mul, repeat(weight), ahead))
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
            scaled = amount * share
            end = min(horizon, day + len(spread))
            target[day:end] = map(add, target[day:end], map(mul, repeat(scaled), spread))


def _month_starts(as_of: datetime, periods: int) -> list[datetime]:
    months = [calendar_period(TargetPeriod.month, as_of)[0]]
    while len(months) < periods + 1:
        months.append(calendar_period(TargetPeriod.month, months[-1])[1])
    return months


def forecast(
    history: ForecastHistory,
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> Forecast:
    """Expected arrivals per later stage in the rest of ``as_of``'s month and the months
    after it, ``periods`` months in all (the method: the module docstring)."""
    rates, ways = _history(history, as_of, lookback)
    path = history.path
    bounds = _month_starts(as_of, periods)
    today = as_of.date()
    horizon = (bounds[-1].date() - today).days
    # Per stage: leads standing in it just before as_of, by whole days waited (the stay a
    # lead is in then is the one it entered before as_of and had not left before).
    stays = history.stays
    inside = [
        entered < as_of <= left for entered, left in zip(stays.entered, stays.left, strict=True)
    ]
    day = today.toordinal()
    standing: list[Counter[int]] = [Counter() for _ in path]
    for key, count in Counter(compress(stays.key, inside)).items():
        index, entered_day = divmod(key, ORDINALS)
        standing[index][day - entered_day] += count
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
    history: ForecastHistory,
    as_of: datetime,
    periods: int = 3,
    lookback: int = LOOKBACK_MONTHS,
) -> list[BacktestRow]:
    """The forecast made on the first day of each of the last ``periods`` months, for each
    of its months that ended before ``as_of``'s month, against the leads that actually
    reached each stage in that month."""
    current = calendar_period(TargetPeriod.month, as_of)[0]
    rows = []
    for back in range(periods, 0, -1):
        then = _months_back(as_of, back)
        # forecast() reads only what happened before its date: no history needs hiding.
        made = forecast(history, then, periods=periods, lookback=lookback)
        for cell in made.cells:
            if cell.month >= current:
                continue
            stage = history.path.index(cell.stage)
            actual = history.arrivals[stage][_month(cell.month)]
            rows.append(
                BacktestRow(
                    then, cell.month, cell.stage, cell.expected, cell.low, cell.high, actual
                )
            )
    return rows
