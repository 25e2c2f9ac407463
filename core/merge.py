"""Merging one person's records from several systems into one canonical lead.

Each descriptive field is chosen by the contract's ownership rule for it:

- ``prefer X unless blank``: X's value; if X has none, the first other system's value.
- ``always X``: X's value, even blank, when X has the person; otherwise as ``prefer``.
- ``two-way``: the value of the system whose record changed last (its own modification
  time); records without a time come last; ties go to connection order in the config.
  Blank values never win over given ones.
- ``set if empty`` and ``don't sync``: the first value in connection order (what is
  written back then differs, see :func:`writes_field`).

``created_at`` is the earliest and ``updated_at`` the latest of the records' own times.
Custom attributes (the contract's ``attributes``) are merged like descriptive fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from funnelsync.contract import FunnelContract, OwnershipKind
from funnelsync.models import DESCRIPTIVE_FIELDS, Lead, lead_value


@dataclass(frozen=True, slots=True)
class SourceLead:
    """One system's view of a person, already mapped to canonical fields."""

    connection: str
    record_id: str
    location: str
    lead: Lead


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _first_given(sources: Sequence[SourceLead], field: str) -> Any:
    for source in sources:
        value = lead_value(source.lead, field)
        if _given(value):
            return value
    return None


def _latest_first(sources: Sequence[SourceLead]) -> list[SourceLead]:
    order = {id(source): index for index, source in enumerate(sources)}

    def key(source: SourceLead) -> tuple[int, float, int]:
        stamp = source.lead.updated_at
        return (0 if stamp else 1, -stamp.timestamp() if stamp else 0.0, order[id(source)])

    return sorted(sources, key=key)


def merge_field(contract: FunnelContract, field: str, sources: Sequence[SourceLead]) -> Any:
    """The canonical value of ``field`` among ``sources`` (given in connection order)."""
    rule = contract.ownership_for(field)
    if rule.rule in (OwnershipKind.prefer, OwnershipKind.always):
        owner = [source for source in sources if source.connection == rule.system]
        if owner:
            value = lead_value(owner[0].lead, field)
            if _given(value) or rule.rule is OwnershipKind.always:
                return value
        return _first_given(sources, field)
    if rule.rule is OwnershipKind.two_way:
        return _first_given(_latest_first(sources), field)
    return _first_given(sources, field)


def writes_field(contract: FunnelContract, field: str, current: Any) -> bool:
    """Whether funnelsync may write ``field`` to a system whose value is ``current``."""
    rule = contract.ownership_for(field).rule
    if rule is OwnershipKind.dont_sync:
        return False
    if rule is OwnershipKind.set_if_empty:
        return not _given(current)
    return True


def _earliest(values: list[datetime]) -> datetime | None:
    return min(values) if values else None


def merge_leads(contract: FunnelContract, sources: Sequence[SourceLead]) -> Lead:
    """One canonical lead from ``sources`` (all the same person, in connection order).

    Computed fields are left empty except the stage dates, which keep each stage's
    earliest date found in any system.
    """
    if not sources:
        raise ValueError("merge_leads needs at least one source")
    data: dict[str, Any] = {"email": _first_given(sources, "email")}
    for field in DESCRIPTIVE_FIELDS:
        if field != "created_at":
            data[field] = merge_field(contract, field, sources)
    names = dict.fromkeys(name for source in sources for name in source.lead.attributes)
    attributes = {name: merge_field(contract, name, sources) for name in names}
    data["attributes"] = {name: value for name, value in attributes.items() if value is not None}
    data["created_at"] = _earliest([s.lead.created_at for s in sources if s.lead.created_at])
    updated = [s.lead.updated_at for s in sources if s.lead.updated_at]
    data["updated_at"] = max(updated) if updated else None
    stage_dates: dict[str, datetime] = {}
    for source in sources:
        for stage, when in source.lead.stage_dates.items():
            stage_dates[stage] = min(when, stage_dates.get(stage, when))
    data["stage_dates"] = stage_dates
    # Every value comes from an already validated Lead: validating again would only
    # repeat the same checks (and the email normalisation) per person.
    return Lead.model_construct(**data)


def previous_stage(contract: FunnelContract, sources: Sequence[SourceLead]) -> str | None:
    """The stage the systems recorded: the furthest on the success path, else a detour."""
    best: tuple[int, str] | None = None
    detour: str | None = None
    for source in sources:
        stage = source.lead.stage
        if stage is None:
            continue
        index = contract.path_index(stage)
        if index is None:
            if detour is None and stage in {d.name for d in contract.detours}:
                detour = stage
        elif best is None or index > best[0]:
            best = (index, stage)
    return best[1] if best else detour
