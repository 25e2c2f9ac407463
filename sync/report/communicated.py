"""Campaigns communicated: the contract's campaigns that ran in the period, what each said,
and its influence (leads touched, and MQLs, SQLs and wins that engaged with it first).

Activities name a campaign by its ``id`` or ``name`` (any case); both count as the one
campaign, each lead once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from funnelsync.campaigns import campaign_index
from funnelsync.contract import FunnelContract
from funnelsync.sync.report.campaigns import campaign_figures
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period


@dataclass(frozen=True, slots=True)
class CommunicatedCampaign:
    """One contract campaign active in the period, with its influence there."""

    id: str
    name: str
    description: str | None
    start: date | None
    end: date | None
    talking_points: list[str]
    touched: int
    """Leads with an activity of the campaign during the period."""
    mqls: int
    """Leads that reached MQL in the period, having engaged with the campaign before."""
    sqls: int | None
    won: int


def _by_contract_campaign(
    contract: FunnelContract, touches: Mapping[int, Mapping[str, Sequence[float]]]
) -> dict[int, dict[str, Sequence[float]]]:
    """Each person's touches keyed by contract campaign id (other campaigns left out).

    The moments stay sorted: a campaign named once is the person's own (sorted) list, not
    a copy; one named several ways gets a new, sorted list of them all.
    """
    index = campaign_index(contract.campaigns)
    ids: dict[str, str | None] = {}
    """Each name seen → its contract campaign id (few names, read by many leads)."""
    found: dict[int, dict[str, Sequence[float]]] = {}
    for person_id, by_name in touches.items():
        mine: dict[str, Sequence[float]] = {}
        for name, moments in by_name.items():
            if name in ids:
                key = ids[name]
            else:
                campaign = index.get(name.strip().casefold())
                key = ids[name] = None if campaign is None else campaign.id
            if key is None:
                continue
            earlier = mine.get(key)
            mine[key] = moments if earlier is None else sorted([*earlier, *moments])
        if mine:
            found[person_id] = mine
    return found


def communicated_campaigns(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    period: Period,
) -> list[CommunicatedCampaign]:
    """The contract's campaigns active in ``period``, in contract order."""
    active = [c for c in contract.campaigns if c.active_between(period.first_day, period.last_day)]
    if not active:
        return []
    figures = {
        row.campaign: row
        for row in campaign_figures(
            contract, journeys, _by_contract_campaign(contract, touches), period
        )
    }
    rows = []
    for campaign in active:
        row = figures.get(campaign.id)
        rows.append(
            CommunicatedCampaign(
                id=campaign.id,
                name=campaign.label,
                description=campaign.description,
                start=campaign.start,
                end=campaign.end,
                talking_points=list(campaign.talking_points),
                touched=row.touched if row else 0,
                mqls=row.mqls if row else 0,
                sqls=(row.sqls if row else 0) if contract.sql_stage else None,
                won=row.won if row else 0,
            )
        )
    return rows
