"""`funnelsync check`: can each connection do what its mapping asks, and what to fix.

Besides each connection's own fields, :func:`check_connections` follows every written
picklist field back to where its values come from (the other connections' fields, or the
contract for the stage) and names the values the picklist lacks: a write of one of them is
refused by a restricted picklist, and fills an open one with another system's labels. A
restricted picklist fed from free text gets a note: its values cannot be listed.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from funnelsync.connector import Connector, ConnectorError, FieldInfo
from funnelsync.contract import FunnelContract, OwnershipKind
from funnelsync.mapping import STAGE_DATES_PREFIX, ConstantValue, FieldMap
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.models import COMPUTED_FIELDS
from funnelsync.secrets import redact
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
    groups: dict[str, Mapping[str, FieldMap | ConstantValue]] = {
        "lead_fields": mapping.active_lead_fields(),
        "activity_fields": mapping.active_activity_fields(),
    }
    missing = []
    for group, names in existing.items():
        present = set(names)
        for canonical, field_map in groups.get(group, {}).items():
            if not isinstance(field_map, FieldMap) or field_map.field in present:
                continue  # a constant value has no field
            name = field_map.field
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
        return locally_missing_fields(connection, connector)
    except Exception:  # noqa: BLE001 - an unreadable file is reported by `check` and `sync`
        return []
    finally:
        with contextlib.suppress(Exception):
            connector.close()


def locally_missing_fields(connection: Connection, connector: Connector) -> list[MissingField]:
    """Mapped fields that ``connector``'s locally known fields (a CSV header) lack, leaving
    out those funnelsync creates itself: what `validate` reports."""
    existing = connector.local_fields() or {}
    found = missing_mapped_fields(connection.name, connection.mapping, existing)
    return [missing for missing in found if not missing.creatable]


def configured_missing_fields(connection: Connection, connector: Connector) -> list[MissingField]:
    """The :func:`locally_missing_fields` that the connection's config maps by name (a typo
    there, not a column the connector's default mapping assumes): what `sync` refuses."""
    configured = connection.config.mapping
    if configured is None:
        return []
    named = {
        "lead_fields": {k for k, v in configured.lead_fields.items() if v is not None},
        "activity_fields": {k for k, v in configured.activity_fields.items() if v is not None},
    }
    return [
        missing
        for missing in locally_missing_fields(connection, connector)
        if missing.canonical in named[missing.group]
    ]


def offline_setting_problems(connection: Connection, workspace_dir: Path) -> list[str]:
    """What the connector finds wrong with its settings without calling the system
    (:meth:`~funnelsync.connector.Connector.local_problems`), each prefixed with the
    connection's config key; nothing for a connection that cannot be opened offline."""
    try:
        connector = connection.open(workspace_dir)
    except Exception:  # noqa: BLE001 - credentials are `check`'s business, not `validate`'s
        return []
    try:
        problems = connector.local_problems()
    except Exception:  # noqa: BLE001 - an unreadable file is reported by `check` and `sync`
        problems = []
    finally:
        with contextlib.suppress(Exception):
            connector.close()
    return [f"connections.{connection.name}.{problem}" for problem in problems]


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
    return _check_opening(connection, workspace_dir, contract, fix=fix, state_dir=state_dir)[0]


def check_workspace_connections(
    connections: Sequence[Connection],
    workspace_dir: Path,
    contract: FunnelContract,
    *,
    fix: bool,
    state_dir: Path | None = None,
) -> list[ConnectionCheck]:
    """:func:`check_workspace_connection` for each connection, plus the values each
    written picklist field would be sent that it lacks (see the module docstring)."""
    checked = [
        _check_opening(connection, workspace_dir, contract, fix=fix, state_dir=state_dir)
        for connection in connections
    ]
    return _with_flows(list(connections), checked, contract)


def check_connections(
    opened: Sequence[tuple[Connection, Connector]], contract: FunnelContract, *, fix: bool
) -> list[ConnectionCheck]:
    """:func:`check_connection` for each opened connector, plus the picklist flows."""
    checked = [_check(connection, connector, contract, fix=fix) for connection, connector in opened]
    return _with_flows([connection for connection, _ in opened], checked, contract)


def _with_flows(
    connections: list[Connection],
    checked: list[tuple[ConnectionCheck, dict[str, FieldInfo] | None]],
    contract: FunnelContract,
) -> list[ConnectionCheck]:
    described = [
        (connection, fields)
        for connection, (_, fields) in zip(connections, checked, strict=True)
        if fields is not None
    ]
    for connection, (report, fields) in zip(connections, checked, strict=True):
        if fields is not None:
            problems, notes = _flow_problems(connection, fields, described, contract)
            report.problems += problems
            report.messages += notes
    return [report for report, _ in checked]


def _check_opening(
    connection: Connection,
    workspace_dir: Path,
    contract: FunnelContract,
    *,
    fix: bool,
    state_dir: Path | None,
) -> tuple[ConnectionCheck, dict[str, FieldInfo] | None]:
    try:
        connector = connection.open(workspace_dir, state_dir)
    except Exception as exc:  # noqa: BLE001 - every failure is a line of the report
        return ConnectionCheck(connection.name, False, [_failure(exc)]), None
    try:
        return _check(connection, connector, contract, fix=fix)
    except Exception as exc:  # noqa: BLE001 - every failure is a line of the report
        return ConnectionCheck(connection.name, False, [_failure(exc)]), None
    finally:
        with contextlib.suppress(Exception):  # closing a broken connector may fail too
            connector.close()


def _failure(exc: Exception) -> str:
    message = redact(str(exc)) or type(exc).__name__
    return message if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {message}"


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


def _names(text: str, field: str) -> bool:
    """Whether ``text`` names the system field ``field`` (as a whole name)."""
    return re.search(rf"(?<![\w.]){re.escape(field)}(?!\w)", text) is not None


def check_connection(
    connection: Connection, connector: Connector, contract: FunnelContract, *, fix: bool
) -> ConnectionCheck:
    """Reachability, mapped fields, mapped values; with ``fix``, create missing fields."""
    return _check(connection, connector, contract, fix=fix)[0]


def _check(
    connection: Connection, connector: Connector, contract: FunnelContract, *, fix: bool
) -> tuple[ConnectionCheck, dict[str, FieldInfo] | None]:
    name = connection.name
    result = connector.check()
    described = connector.describe_fields()
    report = ConnectionCheck(name, result.ok, list(result.messages))
    fields = {info.name: info for info in described}
    existing: dict[str, list[str]] = dict(connector.local_fields() or {})
    if fields:
        existing["lead_fields"] = list(fields)
    told = [message for message in result.messages if not result.ok]
    missing_fields = missing_mapped_fields(name, connection.mapping, existing)
    for missing in missing_fields:
        if any(_names(message, missing.field) for message in told):
            continue  # the connector's own check already says how to create it
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
    if fix and report.missing_fields:
        _create_missing(connector, report)
    # Asked after creating: what --fix just created is no problem any more.
    report.problems += [
        problem
        for problem in connector.validate_mapping(connection.mapping)
        if problem not in report.problems
        and not any(_names(problem, missing.field) for missing in missing_fields)
    ]
    return report, fields


def _create_missing(connector: Connector, report: ConnectionCheck) -> None:
    """``check --fix``: create the fields funnelsync owns that the system lacks."""
    try:
        report.created = connector.create_fields(report.missing_fields)
    except NotImplementedError as exc:
        report.messages.append(f"cannot create fields here: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported on the connection's line, not raised
        report.messages.append(f"creating fields failed: {redact(str(exc))}")
    report.missing_fields = [f for f in report.missing_fields if f.name not in report.created]
