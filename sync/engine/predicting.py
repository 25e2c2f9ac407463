"""Which planned writes a system will refuse, as far as its field descriptions tell.

`plan` uses it to show the rejections a `sync` would meet before anything is sent: a
value outside a restricted picklist, or text longer than the field holds (when the
mapping sets no ``max_length`` to cut it). The system still decides when `sync` writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from funnelsync.connector import Connector, ConnectorError, FieldInfo
from funnelsync.run_report import ConnectionCounts
from funnelsync.sync.engine.planning import ConnectionPlan, RejectedWrite
from funnelsync.sync.workspace.loading import Connection


def _refusal(info: FieldInfo, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if info.restricted and info.picklist and value not in info.picklist:
        parts = value.split(";")
        if len(parts) == 1 or any(part not in info.picklist for part in parts):
            return (
                f"{value!r} is not a value of this restricted picklist ({', '.join(info.picklist)})"
            )
    if info.max_length is not None and len(value) > info.max_length:
        return (
            f"{len(value)} characters, more than the {info.max_length} it holds "
            "(set the mapping's max_length to cut it)"
        )
    return None


def predicted_rejections(
    plan: ConnectionPlan, described: Iterable[FieldInfo], canonical_of: Mapping[str, str]
) -> list[RejectedWrite]:
    """The planned writes of ``plan`` that the system described by ``described`` refuses,
    one per write with its first refused field; ``canonical_of``: system field → canonical
    field, to name both."""
    fields = {info.name.casefold(): info for info in described}
    predicted = []
    for planned in plan.writes:
        for name, value in planned.write.fields.items():
            info = fields.get(name.casefold())
            problem = _refusal(info, value) if info is not None else None
            if problem is not None:
                where = f"{name} ({canonical_of[name]})" if name in canonical_of else name
                message = f"{where}: {problem}"
                predicted.append(RejectedWrite(planned.person_id, planned.write, message))
                break
    return predicted


def count_plan(
    connection: Connection, connector: Connector, plan: ConnectionPlan, counts: ConnectionCounts
) -> str | None:
    """Fill ``plan.predicted`` and ``counts`` as the sync would end: writes the system
    will refuse are counted refused, not created or updated. Returns a note when the
    system could not be described (nothing predicted then)."""
    note: str | None = None
    try:
        described = connector.describe_fields()
    except ConnectorError as exc:
        described, note = [], f"{connection.name}: refusals not predicted: {exc}"
    canonical_of = {m.field: c for c, m in connection.mapping.active_lead_fields().items()}
    plan.predicted = predicted_rejections(plan, described, canonical_of)
    refused = {id(rejected.write) for rejected in plan.predicted}
    sent = [planned for planned in plan.writes if id(planned.write) not in refused]
    counts.created = sum(1 for planned in sent if planned.creates)
    counts.updated = len(sent) - counts.created
    counts.refused = len(plan.rejected) + len(plan.predicted)
    return note
