"""Campaign influence: which campaigns the period's leads, MQLs, SQLs and wins engaged with.

Touch times are epoch seconds (see :class:`~funnelsync.sync.report.data.FunnelData`).

A lead counts for every campaign it engaged with (multi-touch), so the campaign rows do
not add up to the funnel's totals.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from funnelsync.campaigns import Campaign, campaign_index
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
    return campaign_influences(contract, journeys, touches, (period,), contract_campaigns)[0]


def campaign_influences(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    periods: Sequence[Period],
    contract_campaigns: bool = False,
) -> list[CampaignInfluence]:
    """:func:`campaign_influence` of each of ``periods``, in one pass over the touches."""
    bounds = [(period.start, period.end) for period in periods]
    seconds_bounds = [(start.timestamp(), end.timestamp()) for start, end in bounds]
    last_end = max(end for _, end in seconds_bounds)
    first_start = min(start for start, _ in seconds_bounds)
    stages = [contract.path_index(contract.mql_stage) or 0, len(contract.stages) - 1]
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    if sql is not None:
        stages.append(sql)
    ids = _ContractIds(campaign_index(contract.campaigns) if contract_campaigns else {})
    counts = [_Counts() for _ in periods]
    tallies = list(zip(seconds_bounds, counts, strict=True))
    for journey in journeys:
        mine = touches.get(journey.person_id)
        if not mine:
            continue
        reach = journey.reach
        reached = [
            [
                (stage, moment.timestamp())
                for stage in stages
                if (moment := reach[stage]) is not None and start <= moment < end
            ]
            for start, end in bounds
        ]
        if not any(reached):  # most leads: only their touches in a period count
            _count_touches(mine, tallies, first_start, ids if contract_campaigns else None)
            continue
        mine_by_id: list[dict[str, tuple[float, bool]]] = [{} for _ in periods]
        for campaign, moments in mine.items():
            first, latest = moments[0], moments[-1]
            if first >= last_end:
                continue
            key = ids[campaign] if contract_campaigns else None
            for number, ((start_seconds, end_seconds), into) in enumerate(tallies):
                if first >= end_seconds:
                    continue
                # Touched in the period: its last touch is not before the start, and the
                # first touch from the start on is before the end.
                hit = False
                if latest >= start_seconds:
                    hit = moments[bisect_left(moments, start_seconds)] < end_seconds
                    if hit:
                        into.touched[campaign] += 1
                for stage, seconds in reached[number]:
                    if first <= seconds:
                        into.influenced[(campaign, stage)] += 1
                if key is not None:
                    earlier = mine_by_id[number].get(key)
                    earliest, any_hit = first, hit
                    if earlier is not None:
                        earliest, any_hit = min(first, earlier[0]), hit or earlier[1]
                    mine_by_id[number][key] = (earliest, any_hit)
        for number, into in enumerate(counts):
            for key, (first, hit) in mine_by_id[number].items():
                if hit:
                    into.touched_ids[key] += 1
                for stage, seconds in reached[number]:
                    if first <= seconds:
                        into.influenced_ids[(key, stage)] += 1
    found_influences = []
    for into in counts:
        named = _rows(into.touched, into.influenced, stages, sql)
        named.sort(key=lambda row: (-row.mqls, -(row.sqls or 0), -row.touched, row.campaign))
        by_contract = {
            row.campaign: row for row in _rows(into.touched_ids, into.influenced_ids, stages, sql)
        }
        found_influences.append(CampaignInfluence(named, by_contract))
    return found_influences


class _ContractIds(dict[str, str | None]):
    """Each campaign name seen → its contract campaign's id, or ``None`` (few names, looked
    up by many leads: each is worked out once, then read as a plain dict lookup)."""

    def __init__(self, index: Mapping[str, Campaign]) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, name: str) -> str | None:
        found = self.index.get(name.strip().casefold())
        self[name] = key = None if found is None else found.id
        return key


def _count_touches(
    mine: Mapping[str, Sequence[float]],
    tallies: Sequence[tuple[tuple[float, float], _Counts]],
    first_start: float,
    contract_ids: _ContractIds | None,
) -> None:
    """Tally the touches of a lead that reached no counted stage in any period: each
    campaign it touched in a period, per name and once per contract campaign id."""
    hit_ids: set[tuple[int, str]] = set()
    for campaign, moments in mine.items():
        latest = moments[-1]
        if latest < first_start:  # last touched before every period
            continue
        first = moments[0]
        for number, ((start, end), into) in enumerate(tallies):
            if first < end and latest >= start and moments[bisect_left(moments, start)] < end:
                into.touched[campaign] += 1
                if contract_ids is not None and (key := contract_ids[campaign]) is not None:
                    hit_ids.add((number, key))
    for number, key in hit_ids:
        tallies[number][1].touched_ids[key] += 1


@dataclass(slots=True)
class _Counts:
    """One period's tallies: per name and per contract campaign id."""

    touched: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    influenced: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    touched_ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    influenced_ids: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))


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
