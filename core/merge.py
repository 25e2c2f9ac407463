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
from funnelsync.trusted_lead import built_lead


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
    return _Choice(contract, sources).pick(field, [lead_value(s.lead, field) for s in sources])


class _Choice:
    """Picks each field's value among one person's sources by the ownership rules (what
    :func:`merge_field` does, with the sources' order by change time worked out once)."""

    __slots__ = ("_latest", "_owner", "contract", "sources")

    def __init__(self, contract: FunnelContract, sources: Sequence[SourceLead]) -> None:
        self.contract = contract
        self.sources = sources
        self._owner: dict[str | None, int] = {}
        for index, source in enumerate(sources):
            self._owner.setdefault(source.connection, index)
        self._latest: list[int] | None = None

    def latest(self) -> list[int]:
        """Source positions, the latest changed first (see :func:`_latest_first`)."""
        if self._latest is None and len(self.sources) == 1:
            self._latest = [0]
        elif self._latest is None:
            order = {id(source): index for index, source in enumerate(self.sources)}
            self._latest = [order[id(source)] for source in _latest_first(self.sources)]
        return self._latest

    def pick(self, field: str, values: list[Any]) -> Any:
        """The value of ``field`` among ``values`` (each source's, in connection order)."""
        rule = self.contract.ownership_for(field)
        kind = rule.rule
        if kind is OwnershipKind.prefer or kind is OwnershipKind.always:
            owner = self._owner.get(rule.system)
            if owner is not None:
                value = values[owner]
                if _given(value) or kind is OwnershipKind.always:
                    return value
        elif kind is OwnershipKind.two_way:
            values = [values[index] for index in self.latest()]
        for value in values:
            if _given(value):
                return value
        return None


def writes_field(contract: FunnelContract, field: str, current: Any) -> bool:
    """Whether funnelsync may write ``field`` to a system whose value is ``current``."""
    rule = contract.ownership_for(field).rule
    if rule is OwnershipKind.dont_sync:
        return False
    if rule is OwnershipKind.set_if_empty:
        return not _given(current)
    return True


def merge_leads(contract: FunnelContract, sources: Sequence[SourceLead]) -> Lead:
    """One canonical lead from ``sources`` (all the same person, in connection order).

    Computed fields are left empty except the stage dates, which keep each stage's
    earliest date found in any system.
    """
    # Every value comes from an already validated Lead: validating again would only
    # repeat the same checks (and the email normalisation) per person.
    return built_lead(merged_values(contract, sources))


def merged_values(contract: FunnelContract, sources: Sequence[SourceLead]) -> dict[str, Any]:
    """The fields :func:`merge_leads` gives the lead, by name."""
    if not sources:
        raise ValueError("merge_leads needs at least one source")
    leads = [source.lead for source in sources]
    if len(sources) == 1:
        data, attributes = _one_source(contract, sources[0])
    else:
        choice = _Choice(contract, sources)
        data = {"email": _first_given(sources, "email")}
        for field in _MERGED_FIELDS:
            data[field] = choice.pick(field, [getattr(lead, field) for lead in leads])
        attributes = {}
        if any(lead.attributes for lead in leads):
            names = dict.fromkeys(name for lead in leads for name in lead.attributes)
            for name in names:
                value = choice.pick(name, [lead.attributes.get(name) for lead in leads])
                if value is not None:
                    attributes[name] = value
    data["attributes"] = attributes
    created = [lead.created_at for lead in leads if lead.created_at]
    data["created_at"] = min(created) if created else None
    updated = [lead.updated_at for lead in leads if lead.updated_at]
    data["updated_at"] = max(updated) if updated else None
    stage_dates: dict[str, datetime] = {}
    for lead in leads:
        for stage, when in lead.stage_dates.items():
            stage_dates[stage] = min(when, stage_dates.get(stage, when))
    data["stage_dates"] = stage_dates
    return data


_MERGED_FIELDS = tuple(field for field in DESCRIPTIVE_FIELDS if field != "created_at")


def _one_source(
    contract: FunnelContract, source: SourceLead
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What :class:`_Choice` picks when the person has one record: its given values; a
    blank one only under ``always`` that system (any other rule falls back to the first
    given value, and there is none)."""
    lead = source.lead

    def chosen(field: str, value: Any) -> Any:
        if _given(value):
            return value
        rule = contract.ownership_for(field)
        always = rule.rule is OwnershipKind.always and rule.system == source.connection
        return value if always else None

    data: dict[str, Any] = {"email": lead.email if _given(lead.email) else None}
    for field in _MERGED_FIELDS:
        data[field] = chosen(field, getattr(lead, field))
    attributes = {}
    for name, value in lead.attributes.items():
        value = chosen(name, value)
        if value is not None:
            attributes[name] = value
    return data, attributes


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
