"""`funnelsync check`: can each connection do what its mapping asks, and what to fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from funnelsync.connector import Connector, ConnectorError, FieldInfo
from funnelsync.contract import FunnelContract
from funnelsync.mapping import STAGE_DATES_PREFIX, FieldMap
from funnelsync.sync.workspace.loading import Connection

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
    name = connection.name
    try:
        result = connector.check()
        described = connector.describe_fields()
    except ConnectorError as exc:
        return ConnectionCheck(name, False, [str(exc)])
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
    return report
