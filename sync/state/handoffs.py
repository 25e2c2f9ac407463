"""The hand-off tables: which hand-offs exist and how far each notifier got delivering them.

A hand-off row is inserted with the stage move that causes it (see
:attr:`~funnelsync.sync.state.store.RunCommit.handoffs`), with one ``pending`` delivery
per notifier plugin. A delivery is marked ``sending`` (committed) before the notifier is
called and ``done`` or ``failed`` after (committed with the next delivery's ``sending``), so
a delivery cut off by a crash is found ``sending`` and sent again, flagged as a possible
repeat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from funnelsync.models import Lead
from funnelsync.sync.state import schema as t

PENDING, SENDING, FAILED, DONE = "pending", "sending", "failed", "done"


@dataclass(frozen=True, slots=True)
class OpenDelivery:
    """A hand-off one notifier has not delivered yet."""

    handoff_id: str
    notifier: str
    status: str
    attempts: int
    last_error: str | None
    person_id: int
    stage: str
    entered_at: datetime
    lead: Lead
    talking_points: list[str]


def open_deliveries(engine: Engine) -> list[OpenDelivery]:
    """Every delivery not ``done``, oldest hand-off first."""
    h, d = t.handoffs, t.handoff_deliveries
    query = (
        select(d, h.c.person_id, h.c.stage, h.c.entered_at, h.c.lead, h.c.talking_points)
        .join(h, h.c.handoff_id == d.c.handoff_id)
        .where(d.c.status != DONE)
        .order_by(h.c.entered_at, d.c.handoff_id, d.c.notifier)
    )
    with engine.connect() as connection:
        return [
            OpenDelivery(
                handoff_id=row.handoff_id,
                notifier=row.notifier,
                status=row.status,
                attempts=row.attempts,
                last_error=row.last_error,
                person_id=row.person_id,
                stage=row.stage,
                entered_at=datetime.fromisoformat(row.entered_at),
                lead=Lead.model_validate_json(row.lead),
                talking_points=list(json.loads(row.talking_points)),
            )
            for row in connection.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class DeliveryMark:
    """A delivery's new ``status`` (``sending`` also counts an attempt), with its error."""

    delivery: OpenDelivery
    status: str
    error: str | None = None


def mark_deliveries(engine: Engine, marks: Sequence[DeliveryMark], at: datetime) -> None:
    """Record every mark in one transaction."""
    d = t.handoff_deliveries
    with engine.begin() as connection:
        for mark in marks:
            values: dict[str, object] = {"status": mark.status, "updated_at": at.isoformat()}
            if mark.status == SENDING:
                values["attempts"] = d.c.attempts + 1
            if mark.status in (FAILED, DONE):
                values["last_error"] = mark.error
            connection.execute(
                update(d)
                .where(
                    d.c.handoff_id == mark.delivery.handoff_id,
                    d.c.notifier == mark.delivery.notifier,
                )
                .values(**values)
            )


def undelivered_handoffs(engine: Engine) -> list[dict[str, object]]:
    """Open deliveries as plain rows for ``funnelsync errors``: which lead and stage, which
    notifier, its status, attempts and last error."""
    return [
        {
            "handoff_id": item.handoff_id,
            "lead": item.lead.email or f"person {item.person_id}",
            "stage": item.stage,
            "notifier": item.notifier,
            "status": item.status,
            "attempts": item.attempts,
            "last_error": item.last_error,
        }
        for item in open_deliveries(engine)
    ]
