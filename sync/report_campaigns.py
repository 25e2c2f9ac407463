"""Campaign influence: which campaigns the period's leads, MQLs, SQLs and wins engaged with.

A lead counts for every campaign it engaged with (multi-touch), so the campaign rows do
not add up to the funnel's totals.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from funnelsync.contract import FunnelContract
from funnelsync.sync.report_journeys import Journey
from funnelsync.sync.report_period import Period


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


def _touched_during(moments: Sequence[datetime], period: Period) -> bool:
    index = bisect_left(moments, period.start)
    return index < len(moments) and moments[index] < period.end


def campaign_figures(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[datetime]]],
    period: Period,
) -> list[CampaignFigures]:
    """Campaigns with a touch or an influenced stage in the period, most MQLs first."""
    end = period.end
    stages = [contract.path_index(contract.mql_stage) or 0, len(contract.stages) - 1]
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    if sql is not None:
        stages.append(sql)
    seen: set[str] = set()
    touched: dict[str, int] = defaultdict(int)
    influenced: dict[tuple[str, int], int] = defaultdict(int)
    for journey in journeys:
        mine = touches.get(journey.person_id)
        if not mine:
            continue
        reached = {index: journey.reached(index, end) for index in stages}
        for campaign, moments in mine.items():
            if moments[0] >= end:
                continue
            seen.add(campaign)
            if _touched_during(moments, period):
                touched[campaign] += 1
            for index, when in reached.items():
                if when is not None and period.holds(when) and moments[0] <= when:
                    influenced[(campaign, index)] += 1
    rows = [
        CampaignFigures(
            campaign=campaign,
            touched=touched[campaign],
            mqls=influenced[(campaign, stages[0])],
            sqls=None if sql is None else influenced[(campaign, sql)],
            won=influenced[(campaign, stages[1])],
        )
        for campaign in seen
    ]
    rows = [row for row in rows if row.touched or row.mqls or row.sqls or row.won]
    rows.sort(key=lambda row: (-row.mqls, -(row.sqls or 0), -row.touched, row.campaign))
    return rows
