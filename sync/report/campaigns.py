"""Campaign influence: which campaigns the period's leads, MQLs, SQLs and wins engaged with.

Touch times are epoch seconds (see :class:`~funnelsync.sync.report.data.FunnelData`).

A lead counts for every campaign it engaged with (multi-touch), so the campaign rows do
not add up to the funnel's totals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import and_

from funnelsync.campaigns import Campaign, campaign_index
from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period
from funnelsync.sync.report.touches import CampaignTouches


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
    flat = CampaignTouches.of(touches)
    bounds = [(period.start, period.end) for period in periods]
    stages = [contract.path_index(contract.mql_stage) or 0, len(contract.stages) - 1]
    sql = contract.path_index(contract.sql_stage) if contract.sql_stage else None
    if sql is not None:
        stages.append(sql)
    lowest = min(stages)
    ids = _ContractIds(campaign_index(contract.campaigns) if contract_campaigns else {})
    keys = list(map(ids.__getitem__, flat.name)) if contract_campaigns else []
    shared = _shared_keys(ids) if contract_campaigns else set()
    counts = [_Counts() for _ in periods]
    # Touched: a lead's run of a campaign with a touch in the period (each lead once per
    # name, as runs are; once per contract campaign id, whichever of its names it was).
    before: dict[float, list[int]] = {}
    for (start, end), into in zip(bounds, counts, strict=True):
        hit = flat.in_window(start.timestamp(), end.timestamp(), before)
        into.touched.update(Counter(compress(flat.name, hit)))
        if contract_campaigns:
            into.touched_ids.update(_touched_ids(flat, keys, shared, hit))
    # Influenced: the campaigns a lead engaged with before reaching a stage in the period.
    for journey in journeys:
        reach = journey.reach
        # Reach dates never decrease along the path and stop at the first stage not
        # reached: with the lowest counted stage not reached, none is.
        if reach[lowest] is None:
            continue
        runs = flat.runs.get(journey.person_id)
        if not runs:
            continue
        for (start, end), into in zip(bounds, counts, strict=True):
            reached = [
                (stage, moment.timestamp())
                for stage in stages
                if (moment := reach[stage]) is not None and start <= moment < end
            ]
            if reached:
                _influence(flat, runs, reached, into, keys if contract_campaigns else None)
    found_influences = []
    for into in counts:
        named = _rows(into.touched, into.influenced, stages, sql)
        named.sort(key=lambda row: (-row.mqls, -(row.sqls or 0), -row.touched, row.campaign))
        by_contract = {
            row.campaign: row for row in _rows(into.touched_ids, into.influenced_ids, stages, sql)
        }
        found_influences.append(CampaignInfluence(named, by_contract))
    return found_influences


def _influence(
    flat: CampaignTouches,
    runs: range,
    reached: Sequence[tuple[int, float]],
    into: _Counts,
    keys: Sequence[str | None] | None,
) -> None:
    """Count one lead's campaigns first touched at or before the moments (epoch seconds)
    it ``reached`` stages in a period: per name, and per contract campaign id (``keys``,
    per run) once, by the earliest first touch of any of its names."""
    first, name = flat.first, flat.name
    earliest: dict[str, float] = {}
    for run in runs:
        engaged = first[run]
        for stage, seconds in reached:
            if engaged <= seconds:
                into.influenced[(name[run], stage)] += 1
        if keys is not None and (key := keys[run]) is not None:
            known = earliest.get(key)
            if known is None or engaged < known:
                earliest[key] = engaged
    for key, engaged in earliest.items():
        for stage, seconds in reached:
            if engaged <= seconds:
                into.influenced_ids[(key, stage)] += 1


def _shared_keys(ids: _ContractIds) -> set[str]:
    """Contract campaign ids that more than one name seen goes by."""
    named = Counter(key for key in ids.values() if key is not None)
    return {key for key, names in named.items() if names > 1}


def _touched_ids(
    flat: CampaignTouches, keys: Sequence[str | None], shared: set[str], hit: Sequence[bool]
) -> Counter[str]:
    """Per contract campaign id, the leads with a ``hit`` run of one of its names: a run per
    lead, but for an id of ``shared`` names (a lead may have a run of each), whose leads are
    counted once."""
    found: Counter[str] = Counter(compress(keys, hit))  # type: ignore[arg-type]
    found.pop(None, None)  # type: ignore[call-overload]
    if shared:
        for key in shared:
            del found[key]
        wanted = list(map(shared.__contains__, keys))
        leads = set(compress(zip(flat.person, keys, strict=True), map(and_, wanted, hit)))
        found.update(key for _, key in leads if key is not None)
    return found


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
