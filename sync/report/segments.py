"""Segment breakdowns: the headline figures per value of one lead field, or per campaign.

Segments use each lead's current field value (a blank value is the ``(none)`` segment).
By ``campaign``, a lead falls in every campaign it engaged with before the period's end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from funnelsync.contract import FunnelContract
from funnelsync.models import COMPUTED_FIELDS, Lead
from funnelsync.sync.report.figures import Headline, LeadFacts, headline_of
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period
from funnelsync.sync.report.touches import CampaignTouches

CAMPAIGN = "campaign"
"""The pseudo-field that segments by the campaigns leads engaged with."""
NONE_SEGMENT = "(none)"

SEGMENT_FIELDS: tuple[str, ...] = (
    *(
        name
        for name in Lead.model_fields
        if name not in COMPUTED_FIELDS and name not in ("email", "attributes")
    ),
    CAMPAIGN,
)
"""What ``--by`` accepts: every descriptive lead field and ``campaign`` (and the contract's
attributes)."""


@dataclass(frozen=True, slots=True)
class SegmentFigures:
    """The headline figures of the leads in one segment."""

    segment: str
    figures: Headline


def segments_of(
    journey: Journey,
    field: str,
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    end: datetime,
) -> list[str]:
    """The segments of ``field`` a lead falls in: its value (``(none)`` when blank), or by
    ``campaign`` every campaign it engaged with before ``end`` (``(none)`` if none)."""
    if field != CAMPAIGN:
        return [journey.fields.get(field, NONE_SEGMENT)]
    cutoff = end.timestamp()
    flat = CampaignTouches.of(touches)
    runs = flat.runs.get(journey.person_id, ())
    engaged = [flat.name[run] for run in runs if flat.first[run] < cutoff]
    return engaged or [NONE_SEGMENT]


def _groups(
    journeys: Sequence[Journey],
    facts: Sequence[LeadFacts],
    field: str,
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    end: datetime,
) -> dict[str, list[LeadFacts]]:
    groups: dict[str, list[LeadFacts]] = defaultdict(list)
    if field != CAMPAIGN:
        none = NONE_SEGMENT
        for journey, fact in zip(journeys, facts, strict=True):
            groups[journey.fields.get(field, none)].append(fact)
        return groups
    # segments_of by campaign, inlined: a large report places hundreds of thousands.
    cutoff = end.timestamp()
    flat = CampaignTouches.of(touches)
    first, name, runs_of = flat.first, flat.name, flat.runs.get
    for journey, fact in zip(journeys, facts, strict=True):
        placed = False
        runs = runs_of(journey.person_id)
        if runs:
            for run in runs:
                if first[run] < cutoff:
                    groups[name[run]].append(fact)
                    placed = True
        if not placed:
            groups[NONE_SEGMENT].append(fact)
    return groups


def segment_figures(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    facts: Sequence[LeadFacts],
    field: str,
    touches: Mapping[int, Mapping[str, Sequence[float]]],
    period: Period,
) -> list[SegmentFigures]:
    """The headline per segment of ``field``, most MQLs first; segments idle in the period
    (no new lead, MQL, SQL, win or loss) are left out. ``facts`` are the journeys' facts
    for ``period`` (:func:`~funnelsync.sync.report.figures.lead_facts`); leads whose facts
    are all :data:`~funnelsync.sync.report.figures.IDLE` add nothing and may be left out."""
    rows = []
    has_sql = contract.sql_stage is not None
    for name, members in _groups(journeys, facts, field, touches, period.end).items():
        figures = headline_of(members, has_sql)
        if figures.new_leads or figures.mqls or figures.sqls or figures.won or figures.lost:
            rows.append(SegmentFigures(name, figures))
    rows.sort(key=lambda row: (-row.figures.mqls, -row.figures.new_leads, row.segment))
    return rows
