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

from funnelsync.campaigns import campaign_index
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


@dataclass(frozen=True, slots=True)
class CampaignInfluence:
    """One period's campaign figures, from one pass over the leads' touches."""

    named: list[CampaignFigures]
    """Per campaign name (see :func:`campaign_figures`)."""
    by_contract: dict[str, CampaignFigures]
    """Per contract campaign id, every name it goes by counted once per lead (only when
    asked for; campaigns without a touch or an influenced stage are left out)."""


def campaign_figures(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    period: Period,
) -> list[CampaignFigures]:
    """Campaigns with a touch or an influenced stage in the period, most MQLs first."""
    return campaign_influence(contract, journeys, touches, period).named


def campaign_influence(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    period: Period,
    contract_campaigns: bool = False,
) -> CampaignInfluence:
    """:func:`campaign_figures`, and with ``contract_campaigns`` the same per contract
    campaign (activities name one by its ``id`` or ``name``, in any case), in one pass.

    A lead touched a contract campaign in the period if it touched any of its names then,
    and engaged with it before reaching a stage if its first touch of any name was before.
    """
    start, end = period.start, period.end
    start_seconds, end_seconds = start.timestamp(), end.timestamp()
    stages = [contract.path_index(contract.mql_stage) or 0, len(contract.stages) - 1]
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    if sql is not None:
        stages.append(sql)
    index = campaign_index(contract.campaigns) if contract_campaigns else {}
    ids: dict[str, str | None] = {}
    """Each name seen → its contract campaign id (few names, read by many leads)."""
    touched: dict[str, int] = defaultdict(int)
    influenced: dict[tuple[str, int], int] = defaultdict(int)
    touched_ids: dict[str, int] = defaultdict(int)
    influenced_ids: dict[tuple[str, int], int] = defaultdict(int)
    for journey in journeys:
        mine = touches.get(journey.person_id)
        if not mine:
            continue
        reached = [
            (stage, moment.timestamp())
            for stage in stages
            if (moment := journey.reach[stage]) is not None and start <= moment < end
        ]
        mine_by_id: dict[str, tuple[float, bool]] = {}
        for campaign, moments in mine.items():
            first = moments[0]
            if first >= end_seconds:
                continue
            # Touched in the period: its last touch is not before the start, and the
            # first touch from the start on is before the end.
            hit = False
            if moments[-1] >= start_seconds:
                hit = moments[bisect_left(moments, start_seconds)] < end_seconds
                if hit:
                    touched[campaign] += 1
            for stage, seconds in reached:
                if first <= seconds:
                    influenced[(campaign, stage)] += 1
            if contract_campaigns:
                if campaign in ids:
                    key = ids[campaign]
                else:
                    found = index.get(campaign.strip().casefold())
                    key = ids[campaign] = None if found is None else found.id
                if key is not None:
                    earlier = mine_by_id.get(key)
                    if earlier is not None:
                        first, hit = min(first, earlier[0]), hit or earlier[1]
                    mine_by_id[key] = (first, hit)
        for key, (first, hit) in mine_by_id.items():
            if hit:
                touched_ids[key] += 1
            for stage, seconds in reached:
                if first <= seconds:
                    influenced_ids[(key, stage)] += 1
    named = _rows(touched, influenced, stages, sql)
    named.sort(key=lambda row: (-row.mqls, -(row.sqls or 0), -row.touched, row.campaign))
    by_contract = {row.campaign: row for row in _rows(touched_ids, influenced_ids, stages, sql)}
    return CampaignInfluence(named, by_contract)


def _rows(
    touched: Mapping[str, int],
    influenced: Mapping[tuple[str, int], int],
    stages: Sequence[int],
    sql: int | None,
) -> list[CampaignFigures]:
    # A campaign with neither a touch nor an influenced stage in the period has no row.
    named = {*touched, *(campaign for campaign, _ in influenced)}
    return [
        CampaignFigures(
            campaign=campaign,
            touched=touched.get(campaign, 0),
            mqls=influenced.get((campaign, stages[0]), 0),
            sqls=None if sql is None else influenced.get((campaign, sql), 0),
            won=influenced.get((campaign, stages[1]), 0),
        )
        for campaign in named
    ]
