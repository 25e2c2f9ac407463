"""Campaigns communicated: the contract's campaigns that ran in the period, what each said,
and its influence (leads touched, and MQLs, SQLs and wins that engaged with it first).

Activities name a campaign by its ``id`` or ``name`` (any case); both count as the one
campaign, each lead once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.campaigns import CampaignFigures
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


def communicated_campaigns(
    contract: FunnelContract, period: Period, figures: Mapping[str, CampaignFigures]
) -> list[CommunicatedCampaign]:
    """The contract's campaigns active in ``period``, in contract order, with ``figures``
    (the period's :attr:`CampaignInfluence.by_contract`)."""
    active = [c for c in contract.campaigns if c.active_between(period.first_day, period.last_day)]
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
