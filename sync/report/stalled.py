"""Stalled leads as the last sync flagged them: who, where, how long, whose.

The list is exactly the leads whose stored ``stalled`` flag is set (what every system
holds after that sync), with the stall's facts the sync stored beside it: the stage,
when the lead entered it, its last activity. Days are counted to the moment asked for.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from funnelsync.stalling import DAY
from funnelsync.sync.report.sla import UNASSIGNED
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.stalls import stall_records
from funnelsync.sync.state.store import StateStore


@dataclass(frozen=True, slots=True)
class StalledLead:
    """One stalled lead and its stall."""

    person_id: int
    email: str
    name: str
    company: str | None
    owner: str
    stage: str
    entered: datetime
    last_engagement: datetime | None
    after_days: int

    def days_in_stage(self, as_of: datetime) -> int:
        """Whole days from entering the stage to ``as_of``."""
        return max(0, (as_of - self.entered) // DAY)

    def document(self, as_of: datetime) -> dict[str, Any]:
        """The lead as JSON, its days counted to ``as_of``."""
        engaged = self.last_engagement
        return {
            "email": self.email,
            "name": self.name,
            "company": self.company,
            "owner": self.owner,
            "stage": self.stage,
            "stalled_after_days": self.after_days,
            "entered_at": self.entered.isoformat(),
            "days_in_stage": self.days_in_stage(as_of),
            "last_engagement": engaged.isoformat() if engaged else None,
        }


def stalled_leads(store: StateStore) -> list[StalledLead]:
    """Every lead the last sync flagged as stalled, by owner, longest in stage first."""
    persons = t.persons.c
    query = (
        select(persons.person_id, persons.email, persons.lead)
        .join(t.stalls, t.stalls.c.person_id == persons.person_id)
        .where(t.stalls.c.stage == persons.stage)
    )
    with store.engine.connect() as connection:
        rows = list(connection.execute(query))
    records = stall_records(store.engine, [row.person_id for row in rows])
    found = []
    for person_id, email, document in rows:
        lead = json.loads(document)
        record = records.get(person_id)
        stage = lead.get("stage")
        if not lead.get("stalled") or record is None or record.stall.stage != stage:
            continue
        name = " ".join(part for part in (lead.get("first_name"), lead.get("last_name")) if part)
        found.append(
            StalledLead(
                person_id,
                email,
                name,
                lead.get("company"),
                lead.get("owner") or UNASSIGNED,
                stage,
                record.stall.entered,
                record.stall.last_engagement,
                record.stall.after_days,
            )
        )
    found.sort(key=lambda item: (item.owner, item.entered, item.email))
    return found


def count_by(leads: Sequence[StalledLead], key: str) -> list[tuple[str, int]]:
    """How many stalled leads per ``stage`` or ``owner``, most first."""
    counted = Counter(getattr(lead, key) for lead in leads)
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))


def stalled_by_owner(leads: Sequence[StalledLead]) -> list[tuple[str, list[StalledLead]]]:
    """The leads grouped by owner, owners with most stalled leads first."""
    return [
        (owner, [lead for lead in leads if lead.owner == owner])
        for owner, _ in count_by(leads, "owner")
    ]
