"""Building each touched person's canonical lead: merge, score, stage, explain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from funnelsync.campaigns import campaign_index, points_text, recent_campaigns, talking_points
from funnelsync.contract import FunnelContract
from funnelsync.explanation import explain
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.mapping import MappingError, read_lead
from funnelsync.merge import SourceLead, merge_field, merged_values, previous_stage
from funnelsync.models import Lead
from funnelsync.rule_kinds import NO_RULE_KINDS, RuleKinds
from funnelsync.scoring import Engagement, score_lead
from funnelsync.stages import place_lead
from funnelsync.sync.engine.packed import Packed, unpack
from funnelsync.sync.state.store import RecordKey
from funnelsync.trusted_lead import built_lead


@dataclass(frozen=True, slots=True)
class StageChange:
    """A person who moved stage in this run."""

    person_id: int
    email: str | None
    old_stage: str | None
    new_stage: str
    reason: str


@dataclass(frozen=True, slots=True)
class StageMoveRows:
    """The ``stage_history`` rows of a run's stage changes, made as they are iterated (each
    time: a first sync moves every person, and these rows are not all held at once)."""

    changes: Sequence[StageChange]
    at: str
    run_id: str

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for change in self.changes:
            yield {
                "person_id": change.person_id,
                "from_stage": change.old_stage,
                "to_stage": change.new_stage,
                "at": self.at,
                "reason": change.reason,
                "run_id": self.run_id,
            }


NO_MARKS: Mapping[str, tuple[Any, Any]] = MappingProxyType({})
"""The kept values of a record the system kept nothing of (shared: most records)."""


@dataclass(frozen=True, slots=True)
class CurrentRecord:
    """A record as funnelsync knows it now: read this run, or from the ledger."""

    location: str
    packed: Packed
    """Its fields, packed (see :attr:`fields`)."""
    lead: Lead | None = None
    """The record as a canonical lead, when already known (a record about to be created)."""
    packed_read: Packed | None = None
    """The fields read in this run, packed, when it was (see :attr:`read`)."""
    kept: Mapping[str, tuple[Any, Any]] = field(default_factory=lambda: NO_MARKS)
    """System field → (value funnelsync wrote, value the system kept instead)."""

    @property
    def fields(self) -> Mapping[str, Any]:
        """Its fields: as read now, over what the ledger knew."""
        return unpack(self.packed)

    @property
    def read(self) -> Mapping[str, Any] | None:
        """The fields read in this run, when it was: the record is mapped from these
        (``fields`` also holds what the ledger knew)."""
        return None if self.packed_read is None else unpack(self.packed_read)


def _sort_key(order: Mapping[str, int], source: SourceLead) -> tuple[int, float, str]:
    stamp = source.lead.updated_at
    return (
        order[source.connection],
        -stamp.timestamp() if stamp else float("inf"),
        source.record_id,
    )


def person_sources(
    keys: Sequence[RecordKey],
    current: Mapping[RecordKey, CurrentRecord],
    mappings: Mapping[str, FieldMapping],
) -> list[SourceLead]:
    """Each of a person's records as a canonical lead, in connection order."""
    sources = []
    for key in keys:
        record = current.get(key)
        if record is None or key[0] not in mappings:
            continue
        lead = record.lead
        if lead is None:
            try:
                packed = record.packed if record.packed_read is None else record.packed_read
                lead = read_lead(mappings[key[0]], unpack(packed))
            except MappingError:
                continue
        sources.append(SourceLead(key[0], key[1], record.location, lead))
    if len(sources) < 2:
        return sources
    order = {name: index for index, name in enumerate(mappings)}
    return sorted(sources, key=lambda source: _sort_key(order, source))


def _stage_before(
    contract: FunnelContract, previous: Lead | None, sources: Sequence[SourceLead]
) -> str | None:
    """The stage a person was in: funnelsync's own record, unless a system moved them.

    A system can move a lead further along the success path, or into a detour that has
    no entry rule (such detours are only entered by hand); otherwise funnelsync's record
    of the stage wins over what the systems show.
    """
    stored = previous.stage if previous is not None else None
    manual_detours = {detour.name for detour in contract.detours if detour.entry is None}
    for source in sources:
        if source.lead.stage in manual_detours and source.lead.stage != stored:
            return source.lead.stage
    in_systems = previous_stage(contract, sources)
    if stored is None or in_systems is None or in_systems == stored:
        return stored or in_systems
    stored_index, system_index = contract.path_index(stored), contract.path_index(in_systems)
    if stored_index is not None and system_index is not None and system_index > stored_index:
        return in_systems
    return stored


def build_lead(
    contract: FunnelContract,
    person_id: int,
    sources: Sequence[SourceLead],
    previous: Lead | None,
    activities: Sequence[Engagement],
    now: datetime,
    kinds: RuleKinds = NO_RULE_KINDS,
) -> tuple[Lead, StageChange | None]:
    """The person's canonical lead, and their stage change if the stage moved."""
    data = merged_values(contract, sources)
    data["email"] = merge_field(contract, "email", sources) or data["email"]
    stage_dates = data["stage_dates"]
    before = _stage_before(contract, previous, sources)
    if previous is not None:
        for stage, when in previous.stage_dates.items():
            stage_dates[stage] = min(when, stage_dates.get(stage, when))
    # The values come from validated leads (the merge's are the systems' own).
    lead = built_lead(data)
    score = score_lead(contract.scoring, lead, activities, now, kinds)
    placement = place_lead(contract, lead, score, before, now, kinds)
    placed = contract.stage(placement.stage)
    campaigns = recent_campaigns(campaign_index(contract.campaigns), activities)
    lead = built_lead(
        {
            **data,
            "fit_score": score.fit,
            "engagement_score": score.engagement,
            "score": score.total,
            "stage": placement.stage,
            "stage_dates": placement.stage_dates,
            "stage_reason": placement.reason,
            "team": placed.team.value,
            "explanation": explain(
                placed.display_name, placement.stage_dates.get(placement.stage), score
            ),
            "talking_points": points_text(talking_points(placed.talking_points, campaigns)),
        }
    )
    change = None
    if placement.stage != before:
        change = StageChange(person_id, lead.email, before, placement.stage, placement.reason)
    return lead, change
