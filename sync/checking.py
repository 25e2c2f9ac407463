"""`funnelsync check`: can each connection do what its mapping asks, and what to fix."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from funnelsync.connector import Connector, ConnectorError, FieldInfo
from funnelsync.contract import FunnelContract
from funnelsync.mapping import STAGE_DATES_PREFIX, FieldMap
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.models import COMPUTED_FIELDS
from funnelsync.secrets import redact
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


def is_own_field(canonical: str) -> bool:
    """Whether funnelsync itself computes the field (scores, stage, dates, explanation,
    reason, team): the only fields `check --fix` creates."""
    return canonical in COMPUTED_FIELDS or canonical.startswith(STAGE_DATES_PREFIX)


@dataclass(frozen=True, slots=True)
class MissingField:
    """A mapped field the system does not have."""

    connection: str
    group: str
    """``lead_fields`` or ``activity_fields``."""
    canonical: str
    field: str
    creatable: bool
    """funnelsync writes it and owns it: create it (``check --fix``)."""
    suggestion: str | None

    @property
    def key(self) -> str:
        """Where the mapping says it, in the config."""
        return f"connections.{self.connection}.mapping.{self.group}.{self.canonical}"

    def message(self) -> str:
        """What is wrong and what to do, in one line."""
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else "."
        return (
            f"{self.field} ({self.canonical}) does not exist in {self.connection}{hint} "
            f"Map {self.key} to an existing field, or set it to null."
        )


def _closest(name: str, existing: Sequence[str]) -> str | None:
    folded = {candidate.casefold(): candidate for candidate in existing}
    if name.casefold() in folded:
        return folded[name.casefold()]
    matches = difflib.get_close_matches(name, existing, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    containing = [c for c in existing if name.casefold() in c.casefold()]
    return containing[0] if len(containing) == 1 else None


def missing_mapped_fields(
    connection: str, mapping: FieldMapping, existing: Mapping[str, Sequence[str]]
) -> list[MissingField]:
    """Mapped fields absent from ``existing`` (``lead_fields``/``activity_fields`` → the
    system's field names; a group left out is not checked)."""
    groups = {
        "lead_fields": mapping.active_lead_fields(),
        "activity_fields": mapping.active_activity_fields(),
    }
    missing = []
    for group, names in existing.items():
        present = set(names)
        for canonical, field_map in groups.get(group, {}).items():
            name = getattr(field_map, "field", None)
            if not name or name in present:
                continue
            creatable = group == "lead_fields" and field_map.writes and is_own_field(canonical)
            missing.append(
                MissingField(
                    connection, group, canonical, name, creatable, _closest(name, list(names))
                )
            )
    return missing


def offline_missing_fields(connection: Connection, workspace_dir: Path) -> list[MissingField]:
    """Mapped fields that the system's locally known fields (a CSV header) lack, leaving
    out those funnelsync creates itself; nothing for systems only known online."""
    try:
        connector = connection.open(workspace_dir)
    except Exception:  # noqa: BLE001 - credentials are `check`'s business, not `validate`'s
        return []
    try:
        existing = connector.local_fields() or {}
    except Exception:  # noqa: BLE001 - an unreadable file is reported by `check` and `sync`
        existing = {}
    finally:
        with contextlib.suppress(Exception):
            connector.close()
    found = missing_mapped_fields(connection.name, connection.mapping, existing)
    return [missing for missing in found if not missing.creatable]


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


def check_workspace_connection(
    connection: Connection,
    workspace_dir: Path,
    contract: FunnelContract,
    *,
    fix: bool,
    state_dir: Path | None = None,
) -> ConnectionCheck:
    """:func:`check_connection` on a freshly opened connector; anything that goes wrong
    (an unset variable, refused credentials, an unreachable host, a bad setting) is one
    line of the connection's result, never an exception."""
    try:
        connector = connection.open(workspace_dir, state_dir)
    except Exception as exc:  # noqa: BLE001 - every failure is a line of the report
        return ConnectionCheck(connection.name, False, [_failure(exc)])
    try:
        return check_connection(connection, connector, contract, fix=fix)
    except Exception as exc:  # noqa: BLE001 - every failure is a line of the report
        return ConnectionCheck(connection.name, False, [_failure(exc)])
    finally:
        with contextlib.suppress(Exception):  # closing a broken connector may fail too
            connector.close()


def _failure(exc: Exception) -> str:
    message = redact(str(exc)) or type(exc).__name__
    return message if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {message}"


def check_connection(
    connection: Connection, connector: Connector, contract: FunnelContract, *, fix: bool
) -> ConnectionCheck:
    """Reachability, mapped fields, mapped values; with ``fix``, create missing fields."""
    name = connection.name
    result = connector.check()
    described = connector.describe_fields()
    report = ConnectionCheck(name, result.ok, list(result.messages))
    fields = {info.name: info for info in described}
    existing: dict[str, list[str]] = dict(connector.local_fields() or {})
    if fields:
        existing["lead_fields"] = list(fields)
    for missing in missing_mapped_fields(name, connection.mapping, existing):
        if missing.creatable:
            report.missing_fields.append(FieldInfo(missing.field, field_type(missing.canonical)))
        else:
            report.problems.append(missing.message())
    for canonical, field_map in connection.mapping.active_lead_fields().items():
        system = fields.get(field_map.field)
        if system is None:
            continue
        if field_map.writes and not system.writable:
            report.problems.append(f"{field_map.field} ({canonical}) is read-only in {name}")
        report.problems += _value_problems(name, canonical, field_map, system, contract)
    report.problems += [
        problem
        for problem in connector.validate_mapping(connection.mapping)
        if problem not in report.problems
    ]
    if fix and report.missing_fields:
        try:
            report.created = connector.create_fields(report.missing_fields)
        except NotImplementedError as exc:
            report.messages.append(f"cannot create fields here: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported on the connection's line, not raised
            report.messages.append(f"creating fields failed: {redact(str(exc))}")
        report.missing_fields = [f for f in report.missing_fields if f.name not in report.created]
    return report
