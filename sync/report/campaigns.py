"""Campaign influence: which campaigns the period's leads, MQLs, SQLs and wins engaged with.

Touch times are epoch seconds (see :class:`~funnelsync.sync.report.data.FunnelData`).

A lead counts for every campaign it engaged with (multi-touch), so the campaign rows do
not add up to the funnel's totals.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    """One campaign over one period."""

    campaign: str
    touched: int
    """Leads with at least one activity of the campaign during the period."""
    mqls: int
    """Leads that reached MQL during the period, having engaged with the campaign before."""
    sqls: int | None
    """The same for SQL (``None`` when the contract names no SQL stage)."""
    won: int
    """The same for the final success-path stage."""


def campaign_figures(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    period: Period,
) -> list[CampaignFigures]:
    """Campaigns with a touch or an influenced stage in the period, most MQLs first."""
    start, end = period.start, period.end
    start_seconds, end_seconds = start.timestamp(), end.timestamp()
    stages = [contract.path_index(contract.mql_stage) or 0, len(contract.stages) - 1]
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    if sql is not None:
        stages.append(sql)
    touched: dict[str, int] = defaultdict(int)
    influenced: dict[tuple[str, int], int] = defaultdict(int)
    for journey in journeys:
        mine = touches.get(journey.person_id)
        if not mine:
            continue
        reached = [
            (index, moment.timestamp())
            for index in stages
            if (moment := journey.reach[index]) is not None and start <= moment < end
        ]
        for campaign, moments in mine.items():
            first = moments[0]
            if first >= end_seconds:
                continue
            # Touched in the period: its last touch is not before the start, and the
            # first touch from the start on is before the end.
            if moments[-1] >= start_seconds:
                index = bisect_left(moments, start_seconds)
                if moments[index] < end_seconds:
                    touched[campaign] += 1
            for index, seconds in reached:
                if first <= seconds:
                    influenced[(campaign, index)] += 1
    # A campaign with neither a touch nor an influenced stage in the period has no row.
    named = {*touched, *(campaign for campaign, _ in influenced)}
    rows = [
        CampaignFigures(
            campaign=campaign,
            touched=touched[campaign],
            mqls=influenced[(campaign, stages[0])],
            sqls=None if sql is None else influenced[(campaign, sql)],
            won=influenced[(campaign, stages[1])],
        )
        for campaign in named
    ]
    rows.sort(key=lambda row: (-row.mqls, -(row.sqls or 0), -row.touched, row.campaign))
    return rows
