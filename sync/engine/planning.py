"""Deciding what to write to each system: only the fields whose value differs.

Descriptive fields are compared as canonical values, so a formatting difference (an
email's case, a timestamp's offset) is not a change. Computed fields are compared as the
system stores them, so a system value shared by two stages (HubSpot's ``other`` for both
recycled and disqualified, say) is not misread as a change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from funnelsync.connector import LeadWrite
from funnelsync.contract import FunnelContract, OwnershipKind
from funnelsync.mapping import FieldMap, canonical_value, format_value, value_getter
from funnelsync.merge import writes_field
from funnelsync.models import Lead, is_descriptive
from funnelsync.sync.engine.canonical import CurrentRecord
from funnelsync.sync.engine.kept import kept_before
from funnelsync.sync.engine.planned_writes import PlannedWrite, PlannedWrites
from funnelsync.sync.state.store import Identity, RecordKey
from funnelsync.sync.workspace.loading import Connection
from funnelsync.text_fit import (
    describe_character,
    encoding_holds_ascii,
    fit_own_text,
    unencodable,
)


@dataclass(frozen=True, slots=True)
class RejectedWrite:
    """A write not planned because the system cannot hold a value of the person's."""

    person_id: int
    write: LeadWrite
    message: str


@dataclass(slots=True)
class ConnectionPlan:
    """The writes planned for one connection, and how many records already agree."""

    writes: PlannedWrites = field(default_factory=PlannedWrites)
    unchanged: int = 0
    rejected: list[RejectedWrite] = field(default_factory=list)
    """Writes refused before planning: a value the system's text encoding cannot hold, or
    a create the system could not link back to the person (it holds none of their keys)."""
    predicted: list[RejectedWrite] = field(default_factory=list)
    """Planned writes the system's field descriptions say it will refuse (set by `plan`
    only, see :mod:`funnelsync.sync.engine.predicting`); a sync still sends them."""

    def add(self, other: ConnectionPlan) -> None:
        """Append ``other``'s writes and counts (the plan of the next persons)."""
        self.writes.extend(other.writes)
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.predicted += other.predicted

    @property
    def created(self) -> int:
        """Records to create."""
        return sum(1 for _, _, record_id in self.writes.heads() if record_id is None)

    @property
    def updated(self) -> int:
        """Records to update."""
        return len(self.writes) - self.created


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _same(current: Any, desired: Any) -> bool:
    if isinstance(current, datetime) and isinstance(desired, datetime):
        # Systems keep timestamps to the second or millisecond: compare to the second.
        return current.replace(microsecond=0) == desired.replace(microsecond=0)
    return (_blank(current) and _blank(desired)) or bool(current == desired)


def same_text(stored: Any, other: Any) -> bool:
    """Whether two system values are the same as the system stores them: blank equals
    missing, and values compare as text (a system hands back ``"25"`` for ``25`` and
    ``"true"`` for ``True``)."""
    if _blank(stored) and _blank(other):
        return True
    return _as_text(stored) == _as_text(other)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _may_write(contract: FunnelContract, canonical: str, current: Any) -> bool:
    return not is_descriptive(canonical) or writes_field(contract, canonical, current)


class UnencodableValueError(ValueError):
    """A person's value holds a character the system's text encoding cannot."""


def _formatted(canonical: str, field_map: FieldMap, value: Any, zone: tzinfo, encoding: str) -> Any:
    """``value`` as the system stores it, in its text encoding: funnelsync's own text
    falls back to ASCII; a person's value that does not fit raises
    :class:`UnencodableValueError` naming the field and the character."""
    formatted = format_value(field_map, value, zone)
    if not isinstance(formatted, str):
        return formatted
    if formatted.isascii() and encoding_holds_ascii(encoding):
        return formatted  # what both checks below give it
    if not is_descriptive(canonical) and canonical != "email":
        return fit_own_text(formatted, encoding, field_map.max_length)
    character = unencodable(formatted, encoding)
    if character is not None:
        raise UnencodableValueError(
            f"{field_map.field} ({canonical}): {describe_character(character)} "
            f"cannot be written in {encoding}"
        )
    return formatted


@dataclass(frozen=True, slots=True)
class _Writable:
    """A mapped field funnelsync may update, with what planning needs of it, decided once."""

    canonical: str
    field_map: FieldMap
    descriptive: bool
    value_of: Callable[[Lead], Any]
    reads: bool
    name: str
    """The system field."""


def _writable(field_maps: Mapping[str, FieldMap]) -> list[_Writable]:
    """The fields an update may change (all written fields but the email, the record's key)."""
    return [
        _Writable(
            canonical,
            field_map,
            is_descriptive(canonical),
            value_getter(canonical),
            field_map.reads,
            field_map.field,
        )
        for canonical, field_map in field_maps.items()
        if field_map.writes and canonical != "email"
    ]


class SystemValues:
    """What planning needs of each record's own canonical form, kept compact: its stage and
    the values of the fields an update may change, one tuple per record (not the lead)."""

    def __init__(self, connections: Sequence[Connection]) -> None:
        self._writable = {c.name: _writable(c.mapping.active_lead_fields()) for c in connections}
        self._values: dict[RecordKey, tuple[Any, ...]] = {}

    def add(self, key: RecordKey, lead: Lead) -> None:
        """Keep what planning needs of record ``key``, mapped to ``lead``."""
        writable = self._writable.get(key[0])
        if writable is not None:
            self._values[key] = (lead.stage, *(item.value_of(lead) for item in writable))

    def writable(self, connection: str) -> list[_Writable]:
        """The fields an update in ``connection`` may change, in the order values are kept."""
        return self._writable[connection]

    def get(self, key: RecordKey) -> tuple[Any, ...] | None:
        """Record ``key``'s stage, then its value of each writable field (``None`` if not kept)."""
        return self._values.get(key)


def _ownership(contract: FunnelContract, writable: list[_Writable]) -> list[OwnershipKind | None]:
    """Each writable field's ownership rule (``None`` for a computed field), in order."""
    return [
        contract.ownership_for(item.canonical).rule if item.descriptive else None
        for item in writable
    ]


def _changed_fields(
    contract: FunnelContract,
    writable: list[_Writable],
    rules: list[OwnershipKind | None],
    lead: Lead,
    system_values: Sequence[Any],
    raw: Mapping[str, Any],
    kept: Mapping[str, tuple[Any, Any]],
    zone: tzinfo,
    encoding: str,
) -> dict[str, tuple[str, Any]]:
    """System field → (canonical field, new value) for every field that differs.

    ``rules`` are :func:`_ownership`'s: a descriptive field is written as
    :func:`~funnelsync.merge.writes_field` allows."""
    changes: dict[str, tuple[str, Any]] = {}
    for item, rule, current in zip(writable, rules, system_values, strict=True):
        if rule is OwnershipKind.dont_sync or (
            rule is OwnershipKind.set_if_empty
            and not writes_field(contract, item.canonical, current)
        ):
            continue
        desired = item.value_of(lead)
        if item.reads:  # what _same gives, without a call for the common pairs
            if current is None:
                if _blank(desired):
                    continue
            elif type(current) is str and type(desired) is str:
                if current == desired:
                    continue
            elif _same(current, desired):
                continue
        formatted = (
            None
            if desired is None
            else _formatted(item.canonical, item.field_map, desired, zone, encoding)
        )
        old = raw.get(item.name)
        if formatted is None and _blank(old):
            continue
        if type(old) is str and type(formatted) is str:  # what same_text does with text
            if old == formatted:
                continue
        elif same_text(old, formatted):
            continue
        if kept and kept_before(kept, raw, item.name, formatted):
            continue
        changes[item.name] = (item.canonical, formatted)
    return changes


def _reason(contract: FunnelContract, canonical_fields: list[str]) -> str:
    """Why these fields are written: the contract computed them, or an ownership rule."""
    computed = [name for name in canonical_fields if not is_descriptive(name)]
    parts = [f"contract {contract.version}: {', '.join(computed)}"] if computed else []
    for name in canonical_fields:
        if is_descriptive(name):
            rule = contract.ownership_for(name)
            owner = f" {rule.system}" if rule.system else ""
            parts.append(f"{name}: {rule.rule.value}{owner}")
    return "; ".join(parts)


def _creatable(contract: FunnelContract, lead: Lead, from_stage: str | None) -> bool:
    if from_stage is None:
        return True
    threshold = contract.path_index(from_stage)
    reached = contract.path_index(lead.stage) if lead.stage else None
    return threshold is not None and reached is not None and reached >= threshold


def _unlinkable(connection: Connection, tokens: Iterable[str]) -> str | None:
    """Why a record created in ``connection`` for a person with identity ``tokens`` could
    not be linked back when read: the mapping reads none of their keys, or writes none but
    the email (a create keyed by email carries it, whatever the mapping writes)."""
    fields = connection.mapping.active_lead_fields()
    keys = sorted({token.partition(":")[0] if ":" in token else "email" for token in tokens})
    if any(
        key in fields and fields[key].reads and (key == "email" or fields[key].writes)
        for key in keys
    ):
        return None
    name = connection.name
    return (
        f"{name} maps none of this person's identity keys ({', '.join(sorted(tokens))}): "
        f"a record created there could not be linked back. Map {' or '.join(keys)} in "
        f"connections.{name}.mapping.lead_fields"
    )


def plan_connection(
    contract: FunnelContract,
    connection: Connection,
    leads: Mapping[int, Lead],
    identity: Identity,
    current: Mapping[RecordKey, CurrentRecord],
    system_values: SystemValues,
    unreadable: set[str],
    encoding: str = "utf-8",
) -> ConnectionPlan:
    """What to create and update in one system so it matches the canonical ``leads``.

    Each write is keyed by the person's email, or by their identity token (``key:value``)
    when they have none; ``unreadable`` holds identity tokens of records this system
    could not map, whose people are never created here; ``encoding`` is the system's
    text encoding: see :func:`_formatted`.
    """
    records_of = identity.records_of
    name = connection.name
    field_maps = connection.mapping.active_lead_fields()
    zone = ZoneInfo(connection.mapping.timezone)
    writable = system_values.writable(name)
    rules = _ownership(contract, writable)
    reasons: dict[tuple[str, ...], str] = {}  # writes changing the same fields share one text
    detours = {detour.name for detour in contract.detours}
    plan = ConnectionPlan()
    for person_id, lead in leads.items():
        keys = [key for key in records_of.get(person_id, ()) if key[0] == name]
        person_key = lead.email or identity.label_of[person_id]
        if not keys:
            config = connection.config
            if (
                unreadable.isdisjoint(identity.keys_of.get(person_id, ()))
                and config.create_leads
                and _creatable(contract, lead, config.create_from_stage)
            ):
                unlinkable = _unlinkable(connection, identity.keys_of.get(person_id, ()))
                if unlinkable is not None:
                    write = LeadWrite(person_key, None, {})
                    plan.rejected.append(RejectedWrite(person_id, write, unlinkable))
                    continue
                try:
                    fields = {
                        field_map.field: _formatted(
                            canonical, field_map, canonical_value(lead, canonical), zone, encoding
                        )
                        for canonical, field_map in field_maps.items()
                        if field_map.writes
                        and canonical_value(lead, canonical) is not None
                        and _may_write(contract, canonical, None)
                    }
                except UnencodableValueError as exc:
                    write = LeadWrite(person_key, None, {})
                    plan.rejected.append(RejectedWrite(person_id, write, str(exc)))
                    continue
                reason = f"new in {name}" + (
                    f": reached {config.create_from_stage}" if config.create_from_stage else ""
                )
                plan.writes.append(
                    PlannedWrite(person_id, LeadWrite(person_key, None, fields), {}, reason)
                )
            continue
        for key in keys:
            raw = current[key].fields if key in current else {}
            kept = current[key].kept if key in current else {}
            values = system_values.get(key)
            if values is None:
                continue
            system_stage, *currently = values
            try:
                changes = _changed_fields(
                    contract, writable, rules, lead, currently, raw, kept, zone, encoding
                )
            except UnencodableValueError as exc:
                write = LeadWrite(person_key, key[1], {})
                plan.rejected.append(RejectedWrite(person_id, write, str(exc)))
                continue
            if changes:
                write = LeadWrite(
                    person_key,
                    key[1],
                    {f: new for f, (_, new) in changes.items()},
                    detour=lead.stage in detours or system_stage in detours,
                )
                old = {field: raw[field] for field in changes if raw.get(field) is not None}
                canonicals = tuple(canonical for canonical, _ in changes.values())
                why = reasons.get(canonicals)
                if why is None:
                    why = reasons[canonicals] = _reason(contract, list(canonicals))
                plan.writes.append(PlannedWrite(person_id, write, old, why))
            else:
                plan.unchanged += 1
    return plan
