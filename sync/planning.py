"""Deciding what to write to each system: only the fields whose value differs.

Descriptive fields are compared as canonical values, so a formatting difference (an
email's case, a timestamp's offset) is not a change. Computed fields are compared as the
system stores them, so a system value shared by two stages (HubSpot's ``other`` for both
recycled and disqualified, say) is not misread as a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from funnelsync.connector import LeadWrite
from funnelsync.contract import FunnelContract
from funnelsync.mapping import FieldMap, canonical_value, format_value
from funnelsync.merge import writes_field
from funnelsync.models import DESCRIPTIVE_FIELDS, Lead
from funnelsync.sync.reading import SystemView


@dataclass(slots=True)
class ConnectionPlan:
    """The writes planned for one connection, and the leads it already agrees on."""

    creates: list[LeadWrite] = field(default_factory=list)
    updates: list[LeadWrite] = field(default_factory=list)
    unchanged: int = 0


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _same(current: Any, desired: Any) -> bool:
    return (_blank(current) and _blank(desired)) or bool(current == desired)


def _same_raw(raw: Any, formatted: Any) -> bool:
    if _blank(raw) and _blank(formatted):
        return True
    return str(raw) == str(formatted)


def _may_write(contract: FunnelContract, canonical: str, current: Any) -> bool:
    return canonical not in DESCRIPTIVE_FIELDS or writes_field(contract, canonical, current)


def _changed_fields(
    contract: FunnelContract,
    field_maps: Mapping[str, FieldMap],
    lead: Lead,
    system_lead: Lead,
    raw: Mapping[str, Any],
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for canonical, field_map in field_maps.items():
        if not field_map.writes or canonical == "email":
            continue
        current = canonical_value(system_lead, canonical)
        if not _may_write(contract, canonical, current):
            continue
        desired = canonical_value(lead, canonical)
        formatted = format_value(field_map, desired)
        if field_map.reads and canonical in DESCRIPTIVE_FIELDS:
            if _same(current, desired):
                continue
        elif _same_raw(raw.get(field_map.field), formatted):
            continue
        changes[field_map.field] = formatted
    return changes


def _creatable(contract: FunnelContract, lead: Lead, from_stage: str | None) -> bool:
    if from_stage is None:
        return True
    threshold = contract.path_index(from_stage)
    reached = contract.path_index(lead.stage) if lead.stage else None
    return threshold is not None and reached is not None and reached >= threshold


def plan_connection(
    contract: FunnelContract, view: SystemView, leads: Mapping[str, Lead]
) -> ConnectionPlan:
    """What to create and update in ``view``'s system so it matches the canonical ``leads``."""
    connection = view.connection
    field_maps = connection.mapping.active_lead_fields()
    plan = ConnectionPlan()
    for email, lead in leads.items():
        source = view.leads.get(email)
        if source is None:
            if email in view.unreadable_emails:
                continue
            config = connection.config
            if config.create_leads and _creatable(contract, lead, config.create_from_stage):
                fields = {
                    field_map.field: format_value(field_map, canonical_value(lead, canonical))
                    for canonical, field_map in field_maps.items()
                    if field_map.writes
                    and canonical_value(lead, canonical) is not None
                    and _may_write(contract, canonical, None)
                }
                plan.creates.append(LeadWrite(email, None, fields))
            continue
        changes = _changed_fields(contract, field_maps, lead, source.lead, view.raw_fields[email])
        if changes:
            plan.updates.append(LeadWrite(email, source.record_id, changes))
        else:
            plan.unchanged += 1
    return plan
