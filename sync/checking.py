"""`funnelsync check`: can each connection do what its mapping asks, and what to fix.

Besides each connection's own fields, :func:`check_connections` follows every written
picklist field back to where its values come from (the other connections' fields, or the
contract for the stage) and names the values the picklist lacks: a write of one of them is
refused by a restricted picklist, and fills an open one with another system's labels. A
restricted picklist fed from free text gets a note: its values cannot be listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from funnelsync.connector import Connector, ConnectorError, FieldInfo
from funnelsync.contract import FunnelContract, OwnershipKind
from funnelsync.mapping import STAGE_DATES_PREFIX, FieldMap
from funnelsync.sync.workspace.loading import Connection

Described = list[tuple[Connection, dict[str, FieldInfo]]]
"""Connections with the fields their systems described."""
_NUMBER_FIELDS = frozenset({"fit_score", "engagement_score", "score", "company_size"})
_DATETIME_FIELDS = frozenset({"created_at", "updated_at"})


def field_type(canonical: str) -> str:
    """The kind of system field a canonical field needs: ``number``, ``datetime`` or ``string``."""
    if canonical in _NUMBER_FIELDS:
        return "number"
    if canonical in _DATETIME_FIELDS or canonical.startswith(STAGE_DATES_PREFIX):
        return "datetime"
    return "string"


@dataclass(slots=True)
class ConnectionCheck:
    """What `check` found for one connection."""

    name: str
    reachable: bool
    messages: list[str] = field(default_factory=list)
    missing_fields: list[FieldInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing left to fix."""
        return self.reachable and not self.missing_fields and not self.problems


def _value_problems(
    name: str, canonical: str, field_map: FieldMap, system: FieldInfo, contract: FunnelContract
) -> list[str]:
    if not system.picklist or not field_map.values:
        return []
    allowed = set(system.picklist)
    problems = []
    for canonical_value, value in sorted(field_map.values.items()):
        if value not in allowed:
            where = (
                f"the contract's stage {canonical_value!r} (stages[].values.{name})"
                if canonical == "stage" and canonical_value in {s.name for s in contract.all_stages}
                else f"connections.{name}.mapping.lead_fields.{canonical}.values.{canonical_value}"
            )
            problems.append(
                f"{system.name}: {value!r} is not one of its values ({', '.join(system.picklist)});"
                f" change {where} or add the value in the system"
            )
    return problems


def check_connection(
    connection: Connection, connector: Connector, contract: FunnelContract, *, fix: bool
) -> ConnectionCheck:
    """Reachability, mapped fields, mapped values; with ``fix``, create missing fields."""
    return _check(connection, connector, contract, fix=fix)[0]


def check_connections(
    opened: Sequence[tuple[Connection, Connector]], contract: FunnelContract, *, fix: bool
) -> list[ConnectionCheck]:
    """:func:`check_connection` for each connection, plus the values each written picklist
    field would be sent that it lacks (see the module docstring)."""
    checked = [_check(connection, connector, contract, fix=fix) for connection, connector in opened]
    described = [
        (connection, fields)
        for (connection, _), (_, fields) in zip(opened, checked, strict=True)
        if fields is not None
    ]
    for (connection, _), (report, fields) in zip(opened, checked, strict=True):
        if fields is not None:
            problems, notes = _flow_problems(connection, fields, described, contract)
            report.problems += problems
            report.messages += notes
    return [report for report, _ in checked]


def _sources(
    canonical: str, described: Described, contract: FunnelContract
) -> tuple[set[str], list[str]]:
    """The canonical values of ``canonical`` the systems can send, and the free-text fields
    (``connection.field``) it is also read from, whose values cannot be listed."""
    if canonical == "stage":
        return {stage.name for stage in contract.all_stages}, []
    rule = contract.ownership_for(canonical)
    if rule.rule is OwnershipKind.dont_sync:
        return set(), []
    values: set[str] = set()
    free: list[str] = []
    for connection, fields in described:
        if rule.rule is OwnershipKind.always and rule.system != connection.name:
            continue
        field_map = connection.mapping.active_lead_fields().get(canonical)
        info = fields.get(field_map.field) if field_map is not None and field_map.reads else None
        if field_map is None or info is None:
            continue
        if not info.picklist:
            free.append(f"{connection.name}.{info.name}")
            continue
        reverse = {system.casefold(): value for value, system in field_map.values.items()}
        values |= {reverse.get(option.casefold(), option) for option in info.picklist}
    return values, free


def _flow_problems(
    connection: Connection,
    fields: dict[str, FieldInfo],
    described: Described,
    contract: FunnelContract,
) -> tuple[list[str], list[str]]:
    """Values the connection's written picklist fields lack (problems), and restricted ones
    fed from free text, whose values cannot be listed (notes)."""
    problems: list[str] = []
    notes: list[str] = []
    for canonical, field_map in connection.mapping.active_lead_fields().items():
        info = fields.get(field_map.field)
        if not field_map.writes or info is None or not info.picklist:
            continue
        values, free = _sources(canonical, described, contract)
        allowed = set(info.picklist)
        # Value-mapped values are checked against the picklist by _value_problems.
        lacking = sorted(v for v in values if v not in field_map.values and v not in allowed)
        where = f"connections.{connection.name}.mapping.lead_fields.{canonical}"
        fix = (
            f"map them to its values ({where}.values), write it one way "
            f"({where}.direction: read), or add them in {connection.name}"
        )
        kind = "restricted picklist" if info.restricted else "picklist"
        if lacking:
            effect = "refused" if info.restricted else "stored beside its own values"
            problems.append(
                f"{info.name} ({canonical}) is a {kind} without "
                f"{', '.join(map(repr, lacking))}, which other systems send; writes of them "
                f"would be {effect}: {fix}"
            )
        if free and info.restricted:
            notes.append(
                f"note: {info.name} ({canonical}) is a restricted picklist "
                f"({', '.join(info.picklist)}) and {canonical} is also read from free text "
                f"({', '.join(free)}); other values would be refused: {fix}"
            )
    return problems, notes


def _check(
    connection: Connection, connector: Connector, contract: FunnelContract, *, fix: bool
) -> tuple[ConnectionCheck, dict[str, FieldInfo] | None]:
    name = connection.name
    try:
        result = connector.check()
        described = connector.describe_fields()
    except ConnectorError as exc:
        return ConnectionCheck(name, False, [str(exc)]), None
    report = ConnectionCheck(name, result.ok, list(result.messages))
    fields = {info.name: info for info in described}
    for canonical, field_map in connection.mapping.active_lead_fields().items():
        system = fields.get(field_map.field)
        if system is None:
            if field_map.writes:
                report.missing_fields.append(FieldInfo(field_map.field, field_type(canonical)))
            else:
                report.problems.append(
                    f"{field_map.field} ({canonical}) does not exist, and the mapping reads it"
                )
            continue
        if field_map.writes and not system.writable:
            report.problems.append(f"{field_map.field} ({canonical}) is read-only in {name}")
        report.problems += _value_problems(name, canonical, field_map, system, contract)
    report.problems += connector.validate_mapping(connection.mapping)
    if fix and report.missing_fields:
        try:
            report.created = connector.create_fields(report.missing_fields)
        except NotImplementedError as exc:
            report.messages.append(f"cannot create fields here: {exc}")
        except ConnectorError as exc:
            report.messages.append(f"creating fields failed: {exc}")
        report.missing_fields = [f for f in report.missing_fields if f.name not in report.created]
    return report, fields
