"""Volume, conversion and velocity of the funnel over one period, from lead journeys.

Every figure is taken as of the period's end: what happened later is ignored, so the
previous period is shown as it stood when it ended. The definitions are spelled out in
:mod:`funnelsync.sync.report.definitions` and ``docs/report.md``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period

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
    path = [stage.name for stage in contract.stages]
    opening: dict[str, int] = defaultdict(int)
    balance: dict[str, int] = defaultdict(int)
    inflow: dict[str, int] = defaultdict(int)
    outflow: dict[str, int] = defaultdict(int)
    durations: dict[str, list[timedelta]] = defaultdict(list)
    reached = [0] * len(path)
    skipped = [0] * len(path)
    converted = [0] * len(path)
    for journey in journeys:
        stays = journey.stays
        if stays and (stays[0].entered >= end or stays[-1].entered < start):
            # Entered after the period, or last moved before it: it only stands in a stage
            # (stays are in time order, reach dates are stays' times).
            if stays[0].entered < end:
                opening[stays[-1].stage] += 1
                balance[stays[-1].stage] += 1
            continue
        before_start = at_end = None
        for stay in stays:
            if stay.entered >= end:
                break
            at_end = stay
            if stay.entered < start:
                before_start = stay
            else:
                inflow[stay.stage] += 1
            left = stay.left
            if left is not None and start <= left < end:
                outflow[stay.stage] += 1
                durations[stay.stage].append(left - stay.entered)
        if before_start is not None:
            opening[before_start.stage] += 1
        if at_end is not None:
            balance[at_end.stage] += 1
        reach, entered = journey.reach, journey.entered
        for index, when in enumerate(reach):
            if when is None or not start <= when < end:
                continue
            reached[index] += 1
            first = entered.get(path[index])
            if first is None or first >= end:
                skipped[index] += 1
            if index + 1 < len(path):
                following = reach[index + 1]
                if following is not None and following < end:
                    converted[index] += 1
    figures = []
    for stage in contract.all_stages:
        name = stage.name
        median, average = day_stats(durations[name])
        position = path.index(name) if name in path else None
        has_next = position is not None and position + 1 < len(path)
        figures.append(
            StageFigures(
                stage=name,
                label=stage.display_name,
                team=stage.team.value,
                on_path=position is not None,
                opening=opening[name],
                inflow=inflow[name],
                outflow=outflow[name],
                balance=balance[name],
                reached=None if position is None else reached[position],
                skipped=None if position is None else skipped[position],
                converted=converted[position] if has_next and position is not None else None,
                conversion=rate(converted[position], reached[position])
                if has_next and position is not None
                else None,
                stays_ended=len(durations[name]),
                median_days=median,
                average_days=average,
            )
        )
    return figures


class LeadFacts(NamedTuple):
    """What one lead contributes to the headline of one period (summed per segment)."""

    new: bool
    mql: bool
    mql_to_sql: bool
    mql_to_customer: bool
    sql: bool
    won: bool
    lost: bool
    days_to_sql: float | None
    """For an SQL of the period that entered MQL: days from entering MQL to reaching SQL."""


IDLE = LeadFacts(False, False, False, False, False, False, False, None)
"""The facts of a lead that did nothing in the period."""


def lead_facts(
    contract: FunnelContract, journeys: Sequence[Journey], period: Period
) -> list[LeadFacts]:
    """Each journey's headline facts for ``period``, in the same order as ``journeys``."""
    start, end = period.start, period.end
    mql = contract.path_index(contract.mql_stage) or 0
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    last = len(contract.stages) - 1
    mql_name = contract.stages[mql].name
    detours = {stage.name for stage in contract.detours}

    def before_end(when: datetime | None) -> datetime | None:
        return when if when is not None and when < end else None

    facts = []
    for journey in journeys:
        stays = journey.stays
        if stays and (stays[0].entered >= end or stays[-1].entered < start):
            facts.append(IDLE)  # no stay entered in the period: nothing to count in it
            continue
        reach = journey.reach
        reached_mql = before_end(reach[mql])
        reached_sql = before_end(reach[sql]) if sql is not None else None
        won = before_end(reach[last])
        in_mql = reached_mql is not None and reached_mql >= start
        in_sql = reached_sql is not None and reached_sql >= start
        lost = False
        if reached_sql is not None and won is None:
            stay = journey.stay_at(end)
            lost = (
                stay is not None
                and stay.stage in detours
                and start <= stay.entered
                and reached_sql <= stay.entered
            )
        days = None
        if in_sql and reached_sql is not None:
            entered = journey.entered.get(mql_name)
            if entered is not None and entered <= reached_sql:
                days = (reached_sql - entered) / DAY
        facts.append(
            LeadFacts(
                new=bool(journey.stays) and start <= journey.stays[0].entered < end,
                mql=in_mql,
                mql_to_sql=in_mql and reached_sql is not None,
                mql_to_customer=in_mql and won is not None,
                sql=in_sql,
                won=won is not None and won >= start,
                lost=lost,
                days_to_sql=days,
            )
        )
    return facts


def headline_of(facts: Iterable[LeadFacts], has_sql_stage: bool) -> Headline:
    """The headline of the leads whose facts are given (all leads, or one segment)."""
    columns = list(zip(*facts, strict=True)) or [()] * len(LeadFacts._fields)
    new, mqls, to_sql, to_customer, sqls, won, lost = (sum(column) for column in columns[:7])
    days = [value for value in columns[7] if value is not None]
    median = round(statistics.median(days), 2) if days else None
    return Headline(
        new_leads=new,
        mqls=mqls,
        sqls=sqls if has_sql_stage else None,
        won=won,
        lost=lost if has_sql_stage else None,
        mql_to_sql=rate(to_sql, mqls) if has_sql_stage else None,
        mql_to_customer=rate(to_customer, mqls),
        win_rate=rate(won, won + lost) if has_sql_stage else None,
        median_days_mql_to_sql=median,
    )
