"""Assembling the funnel report: both periods' figures, the trend, the SLA clocks.

:func:`build_report` is pure: it takes the loaded :class:`FunnelData`; the formats
(:mod:`report_json`, :mod:`report_csv`, :mod:`report_html`) only present what it returns.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.campaigns import (
    CampaignFigures,
    campaign_influence,
    campaign_influences,
)
from funnelsync.sync.report.communicated import CommunicatedCampaign, communicated_campaigns
from funnelsync.sync.report.data import FunnelData
from funnelsync.sync.report.figures import (
    IDLE,
    Headline,
    StageFigures,
    headline_of,
    lead_facts,
    stage_figures,
)
from funnelsync.sync.report.forecast import (
    BacktestRow,
    Forecast,
    backtest,
    forecast,
    forecast_history,
)
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Bucket, Period, trend_buckets, trend_unit
from funnelsync.sync.report.segments import SegmentFigures, segment_figures
from funnelsync.sync.report.sla import (
    SlaClock,
    SlaFigures,
    Waiting,
    sla_clocks,
    sla_figures,
    waiting_leads,
)
from funnelsync.sync.report.stalled import StalledLead
from funnelsync.sync.report.targets import TargetFigures, target_figures

DEFAULT_SEGMENTS = ("source", "owner")
"""Breakdowns shown when ``--by`` is not given."""


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """Every figure of one period, as of its end."""

    period: Period
    as_of: datetime
    headline: Headline
    stages: list[StageFigures]
    segments: dict[str, list[SegmentFigures]]
    campaigns: list[CampaignFigures]
    sla: SlaFigures


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Volumes of one week or month."""

    bucket: Bucket
    new_leads: int
    mqls: int
    sqls: int | None
    won: int


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """The whole report: this period, the previous one, and the trend across both."""

    contract: FunnelContract
    generated_at: datetime
    current: PeriodFigures
    previous: PeriodFigures
    trend_unit: str
    trend: list[TrendPoint]
    leads: int
    """Leads with at least one stage entry (the report's population)."""
    waiting: list[Waiting]
    """SLA clocks still running at the current period's ``as_of``."""
    targets: list[TargetFigures]
    """The contract's shared targets in their calendar period holding ``as_of``."""
    forecast: Forecast
    """Expected arrivals per stage in the next three months, from where leads stand."""
    backtest: list[BacktestRow]
    """The same forecast made at the start of each of the last three months, against what
    happened in that month."""
    communicated: list[CommunicatedCampaign]
    """The contract's campaigns active in the current period, with their influence."""
    stalled: list[StalledLead] = field(default_factory=list)
    """Leads the last sync flagged as stalled (the middle of the funnel gone quiet)."""


def period_figures(
    contract: FunnelContract,
    data: FunnelData,
    clocks: Sequence[SlaClock],
    period: Period,
    by: Sequence[str],
    now: datetime,
    campaigns: list[CampaignFigures] | None = None,
) -> PeriodFigures:
    """Every figure of ``period``; open SLA clocks are judged at ``min(end, now)``.

    ``campaigns`` are the period's campaign figures, when already worked out."""
    journeys = data.journeys
    as_of = min(period.end, now)
    facts = lead_facts(contract, journeys, period)
    touches = data.campaign_touches
    if campaigns is None:
        campaigns = campaign_influence(contract, journeys, touches, period).named
    # Segments need only the leads with a fact in the period (see segment_figures).
    active = [
        (journey, fact) for journey, fact in zip(journeys, facts, strict=True) if fact != IDLE
    ]
    busy, busy_facts = [item[0] for item in active], [item[1] for item in active]
    return PeriodFigures(
        period=period,
        as_of=as_of,
        headline=headline_of(facts, contract.sql_stage is not None),
        stages=stage_figures(contract, journeys, period),
        segments={
            field: segment_figures(contract, busy, busy_facts, field, touches, period)
            for field in by
        },
        campaigns=campaigns,
        sla=sla_figures(clocks, period, as_of),
    )


def _count(moments: Sequence[datetime | None], edges: list[datetime], into: list[int]) -> None:
    first, end = edges[0], edges[-1]
    for moment in moments:
        if moment is None or moment < first or moment >= end:
            continue
        into[bisect_right(edges, moment) - 1] += 1


def trend(
    contract: FunnelContract, journeys: Sequence[Journey], periods: Sequence[Period]
) -> tuple[str, list[TrendPoint]]:
    """New leads, MQLs, SQLs and wins per week (or month) over consecutive ``periods``.

    Buckets never straddle two periods: a week split by a period boundary is two buckets.
    """
    unit = trend_unit(sum(period.days for period in periods))
    buckets = [bucket for period in periods for bucket in trend_buckets(period, unit)]
    end = periods[-1].end
    edges = [bucket.start for bucket in buckets] + [end]
    mql = contract.path_index(contract.mql_stage) or 0
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    last = len(contract.stages) - 1
    counts = {name: [0] * len(buckets) for name in ("new", "mql", "sql", "won")}
    _count([j.stays[0].entered if j.stays else None for j in journeys], edges, counts["new"])
    # Reach dates at or after ``end`` are left out by _count (as Journey.reached would).
    _count([j.reach[mql] for j in journeys], edges, counts["mql"])
    if sql is not None:
        _count([j.reach[sql] for j in journeys], edges, counts["sql"])
    _count([j.reach[last] for j in journeys], edges, counts["won"])
    points = [
        TrendPoint(
            bucket,
            counts["new"][i],
            counts["mql"][i],
            None if sql is None else counts["sql"][i],
            counts["won"][i],
        )
        for i, bucket in enumerate(buckets)
    ]
    return unit, points


def build_report(
    contract: FunnelContract,
    data: FunnelData,
    period: Period,
    by: Sequence[str],
    now: datetime,
    stalled: Sequence[StalledLead] = (),
) -> FunnelReport:
    """The report for ``period`` with its previous period, broken down by ``by``, and the
    ``stalled`` leads."""
    clocks = sla_clocks(contract, data.journeys, data.sales_touches)
    previous = period.previous()
    unit, points = trend(contract, data.journeys, (previous, period))
    influence, earlier = campaign_influences(
        contract, data.journeys, data.campaign_touches, (period, previous), bool(contract.campaigns)
    )
    current = period_figures(contract, data, clocks, period, by, now, influence.named)
    history = forecast_history(contract, data.journeys)
    return FunnelReport(
        contract=contract,
        generated_at=now,
        current=current,
        previous=period_figures(contract, data, clocks, previous, by, now, earlier.named),
        trend_unit=unit,
        trend=points,
        leads=len(data.journeys),
        waiting=waiting_leads(clocks, current.as_of),
        targets=target_figures(contract, data.journeys, current.as_of),
        forecast=forecast(history, current.as_of),
        backtest=backtest(history, current.as_of),
        communicated=communicated_campaigns(contract, period, influence.by_contract),
        stalled=list(stalled),
    )
