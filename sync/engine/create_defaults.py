"""Values a system gives the records funnelsync creates there, known before the create.

A system fills some fields of a new record itself (Salesforce gives a new Lead its default
Lead Status). Without knowing that, the run after the create would read the value back
as a change and carry it to the other systems, one run late. Instead, each planned create
is merged into the person's canonical lead as the record it is about to become, so the
other systems get those values in the same run, and the next run writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from funnelsync.contract import FunnelContract
from funnelsync.mapping import MappingError, canonical_value, read_lead
from funnelsync.merge import merge_field
from funnelsync.models import LEAD_FIELDS, Lead, is_descriptive
from funnelsync.sync.engine.canonical import CurrentRecord, person_sources
from funnelsync.sync.engine.planning import ConnectionPlan
from funnelsync.sync.state.store import RecordKey
from funnelsync.sync.workspace.loading import Connection


def with_create_defaults(
    contract: FunnelContract,
    connection: Connection,
    defaults: Mapping[str, Any],
    plan: ConnectionPlan,
    leads: Mapping[int, Lead],
    records_of: Mapping[int, Sequence[RecordKey]],
    current: Mapping[RecordKey, CurrentRecord],
    mappings: Mapping[str, Any],
) -> dict[int, Lead]:
    """The leads of persons created in ``connection`` whose canonical values change once
    the system's ``defaults`` (system field → value it gives a new record) are counted.

    Only fields the connection reads and the create leaves out are taken; each is merged
    with the person's other records by the contract's ownership rule, as a read would.
    The stage is not placed again: a stage rule reading such a value acts on the next run.
    """
    read_fields = {
        canonical: field_map
        for canonical, field_map in connection.mapping.active_lead_fields().items()
        if field_map.reads and field_map.field in defaults and is_descriptive(canonical)
    }
    changed: dict[int, Lead] = {}
    if not read_fields:
        return changed
    for planned in plan.writes:
        if not planned.creates or planned.person_id not in leads:
            continue
        given = {
            field_map.field: defaults[field_map.field]
            for field_map in read_fields.values()
            if field_map.field not in planned.write.fields
        }
        if not given:
            continue
        try:
            becomes = read_lead(connection.mapping, {**given, **planned.write.fields})
        except MappingError:
            continue
        new_key: RecordKey = (connection.name, f"new:{planned.write.key}")
        keys = [*records_of.get(planned.person_id, ()), new_key]
        records = {key: current[key] for key in keys if key in current}
        records[new_key] = CurrentRecord(f"{connection.name} (new)", {}, becomes)
        sources = person_sources(keys, records, mappings)
        lead = changed.get(planned.person_id, leads[planned.person_id])
        merged = {canonical: merge_field(contract, canonical, sources) for canonical in read_fields}
        update = {
            name: value for name, value in merged.items() if value != canonical_value(lead, name)
        }
        if update:
            changed[planned.person_id] = _with_values(lead, update)
    return changed


def _with_values(lead: Lead, values: Mapping[str, Any]) -> Lead:
    """``lead`` with built-in fields and custom attributes set to ``values``."""
    attributes = {n: v for n, v in values.items() if n not in LEAD_FIELDS and v is not None}
    update = {name: v for name, v in values.items() if name in LEAD_FIELDS}
    if attributes:
        update["attributes"] = {**lead.attributes, **attributes}
    return lead.model_copy(update=update)
