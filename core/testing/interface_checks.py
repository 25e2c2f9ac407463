"""Checks of the connector as a whole: capabilities, mapping validation, secrets, calls."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from funnelsync.connector import Connector, ConnectorError
from funnelsync.mapping import FieldMap
from funnelsync.testing.checks import ConformanceFailure, Session, check
from funnelsync.testing.dataset import email_field, later_times, records_of
from funnelsync.testing.writes import new_write, write

_METHODS = {
    "read_leads": "read_leads",
    "write_leads": "write_leads",
    "read_activities": "read_activities",
    "write_activities": "write_activities",
    "deletes": "read_deletions",
    "read_activity_rows": "read_activity_rows",
}
UNKNOWN_FIELD = "funnelsync_kit_no_such_field"
"""A field name no system has; the kit maps ``title`` to it."""


@check("capabilities_match_methods", "each declared capability is implemented, and only those")
def capabilities_match_methods(session: Session) -> None:
    """A declared capability has its method overridden; an undeclared one has not."""
    connector = session.connector()
    declared = connector.capabilities
    kind = type(connector)
    for capability, method in _METHODS.items():
        implemented = getattr(kind, method) is not getattr(Connector, method)
        if getattr(declared, capability) and not implemented:
            raise ConformanceFailure(
                f"{kind.__name__} declares {capability} but does not implement {method}(): "
                "implement it, or remove the capability."
            )
        if implemented and not getattr(declared, capability):
            raise ConformanceFailure(
                f"{kind.__name__} implements {method}() but does not declare {capability}, so "
                f"funnelsync never calls it: add {capability}=True to capabilities."
            )
    if declared.write_activities and kind.find_activities is Connector.find_activities:
        raise ConformanceFailure(
            f"{kind.__name__} declares write_activities but does not implement "
            "find_activities(), which funnelsync needs to write each activity once after a "
            "run stopped mid-write: implement it."
        )


@check(
    "validate_mapping_refuses_unknown_fields",
    "validate_mapping names a field the system lacks",
    "write_leads",
)
def validate_mapping_refuses_unknown_fields(session: Session) -> None:
    """A mapping writing a missing field is refused by name (or, for a system taking any
    field, the field is written and read back)."""
    connector = session.connector()
    if session.target.accepts_new_fields:
        (result,) = write(connector, [new_write(session, connector, **{UNKNOWN_FIELD: "kit"})])
        found = records_of(connector.read_leads(None), session.factory, email_field(connector))
        values = [record.fields.get(UNKNOWN_FIELD) for email, record in found]
        if result.status != "ok" or values != ["kit"]:
            raise ConformanceFailure(
                f"the target accepts new fields, but writing {UNKNOWN_FIELD}='kit' gave "
                f"{result.status} and read back {values}: either write new fields, or set "
                "accepts_new_fields=False and refuse them in validate_mapping."
            )
        return
    mapping = connector.default_mapping.model_copy(deep=True)
    mapping.lead_fields["title"] = FieldMap(field=UNKNOWN_FIELD)
    problems = connector.validate_mapping(mapping)
    if not any(UNKNOWN_FIELD in problem for problem in problems):
        raise ConformanceFailure(
            f"validate_mapping accepted a mapping that writes title to {UNKNOWN_FIELD}, "
            f"which the system lacks (problems: {problems}): return one sentence per field "
            "the system does not have, naming it, so the run stops before writing."
        )


@contextmanager
def _captured_logs() -> Iterator[list[str]]:
    """Every log line (DEBUG and up, any logger) while the block runs."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@check("secrets_stay_hidden", "secrets never show in repr, logs or errors")
def secrets_stay_hidden(session: Session) -> None:
    """Use the connector (and one the system refuses) with every log line kept; no
    secret may appear in any of them, in reprs, check messages or exception texts."""
    secrets = [secret for secret in session.target.secrets if secret]
    if not secrets:
        return  # nothing to keep hidden
    texts: dict[str, str] = {}
    with _captured_logs() as lines:
        connector = session.connector()
        texts["repr(connector)"] = repr(connector)
        texts["str(connector)"] = str(connector)
        texts["repr(settings)"] = repr(connector.settings)
        texts["settings as JSON"] = connector.settings.model_dump_json()
        if connector.capabilities.read_leads:
            session.target.seed(session.factory.leads(later_times(1)))
            list(connector.read_leads(None))
        if connector.capabilities.write_leads:
            write(connector, [new_write(session, connector)])
        if session.target.refused_connector is not None:
            texts.update(_refused(session))
    texts.update({f"log line {number}": line for number, line in enumerate(lines, 1)})
    for where, text in texts.items():
        for secret in secrets:
            if secret in text:
                raise ConformanceFailure(
                    f"a secret shows in {where}: {text[:300]!r}. Keep secrets in "
                    "pydantic.SecretStr, leave them out of __repr__, log lines and error "
                    "messages."
                )


def _refused(session: Session) -> dict[str, str]:
    """What a connector with refused credentials says: check messages, the read error."""
    assert session.target.refused_connector is not None
    connector = session.target.refused_connector()
    session.connectors.append(connector)
    texts = {"repr(refused connector)": repr(connector)}
    result = connector.check()
    if result.ok:
        raise ConformanceFailure(
            "check() said ok for credentials the system refuses: report them as a problem."
        )
    texts["check() of refused connector"] = " | ".join(result.messages)
    try:
        connector.describe_fields()
    except ConnectorError as exc:
        texts["describe_fields error with refused credentials"] = f"{exc!r} {exc}"
    except Exception as exc:
        raise ConformanceFailure(
            f"describe_fields with refused credentials raised {type(exc).__name__}: {exc}. Raise "
            "funnelsync.AuthenticationError (a ConnectorError) instead."
        ) from exc
    else:
        raise ConformanceFailure(
            "describe_fields with credentials the system refuses raised nothing: raise "
            "funnelsync.AuthenticationError."
        )
    return texts


@check("calls_are_counted", "connector.calls counts the requests it makes")
def calls_are_counted(session: Session) -> None:
    """Reads count in ``calls.read`` and writes in ``calls.write`` (all of them, when the
    system counts the requests it answers)."""
    session.target.seed(session.factory.leads(later_times(2)))
    connector = session.connector()
    counted = session.target.system_requests
    for kind in ("read", "write"):
        if not getattr(connector.capabilities, f"{kind}_leads"):
            continue
        before = connector.calls.model_copy()
        system_before = counted() if counted else 0
        if kind == "read":
            list(connector.read_leads(None))
        else:
            write(connector, [new_write(session, connector)])
        read = connector.calls.read - before.read
        written = connector.calls.write - before.write
        mine = read if kind == "read" else written
        if mine < 1:
            raise ConformanceFailure(
                f"a {kind} left connector.calls.{kind} unchanged: add 1 to it for each API "
                f"call (or file access) the {kind} makes; funnelsync reports and budgets these."
            )
        if counted is not None and counted() - system_before != read + written:
            raise ConformanceFailure(
                f"a {kind} made {counted() - system_before} requests to the system but counted "
                f"{read + written} in connector.calls: count every request."
            )
