"""Reading what the funnel report needs from the state store, in a few passes.

Only the columns the report uses are read: each lead's stage, stage dates and the fields
it is grouped by; the stage history's moves; and the activities that carry a campaign or
are a sales touch. Activities are matched to leads by the lead's canonical email.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select

from funnelsync.contract import FunnelContract
from funnelsync.sync import state_schema as t
from funnelsync.sync.report_journeys import Journey, build_journey
from funnelsync.sync.state_store import StateStore

BASE_FIELDS = ("owner", "first_name", "last_name", "company")
"""Lead fields always loaded: the SLA lists show them."""


@dataclass(slots=True)
class FunnelData:
    """Every lead's journey, with the campaign touches and sales touches of each."""

    journeys: list[Journey]
    campaign_touches: dict[int, dict[str, list[datetime]]] = field(default_factory=dict)
    """Person → campaign → when they engaged with it (sorted)."""
    sales_touches: dict[int, list[datetime]] = field(default_factory=dict)
    """Person → when sales touched them (sorted)."""


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    shown = str(value).strip()
    return shown or None


def _moves(store: StateStore) -> dict[int, list[tuple[str, datetime]]]:
    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    query = select(t.stage_history.c.person_id, t.stage_history.c.to_stage, t.stage_history.c.at)
    with store.engine.connect() as connection:
        for person_id, to_stage, at in connection.execute(query):
            moves[person_id].append((to_stage, _utc(at)))
    return moves


def load_funnel_data(
    store: StateStore,
    contract: FunnelContract,
    fields: Iterable[str] = (),
    touch_types: Collection[str] = (),
) -> FunnelData:
    """Journeys of every staged lead, keeping ``fields`` (plus :data:`BASE_FIELDS`)."""
    wanted = tuple(dict.fromkeys((*BASE_FIELDS, *fields)))
    moves = _moves(store)
    journeys: list[Journey] = []
    person_of_email: dict[str, int] = {}
    query = select(t.persons.c.person_id, t.persons.c.email, t.persons.c.lead)
    with store.engine.connect() as connection:
        for person_id, email, document in connection.execute(query):
            lead = json.loads(document)
            kept = {name: shown for name in wanted if (shown := _text(lead.get(name)))}
            dates = {stage: _utc(at) for stage, at in (lead.get("stage_dates") or {}).items()}
            journey = build_journey(
                contract,
                person_id,
                email,
                lead.get("stage"),
                dates,
                moves.get(person_id, ()),
                kept,
            )
            if journey is not None:
                journeys.append(journey)
                person_of_email[email] = person_id
    data = FunnelData(journeys)
    _load_activities(store, data, person_of_email, touch_types)
    return data


def _load_activities(
    store: StateStore,
    data: FunnelData,
    person_of_email: dict[str, int],
    touch_types: Collection[str],
) -> None:
    columns = t.activities.c
    query = select(columns.email, columns.type, columns.occurred_at, columns.campaign).where(
        or_(columns.campaign.is_not(None), columns.type.in_(list(touch_types)))
    )
    campaigns: dict[int, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    touches: dict[int, list[datetime]] = defaultdict(list)
    with store.engine.connect() as connection:
        for email, kind, occurred_at, campaign in connection.execute(query):
            person_id = person_of_email.get(email)
            if person_id is None:
                continue
            when = _utc(occurred_at)
            if campaign and campaign.strip():
                campaigns[person_id][campaign.strip()].append(when)
            if kind in touch_types:
                touches[person_id].append(when)
    for by_campaign in campaigns.values():
        for moments in by_campaign.values():
            moments.sort()
    for moments in touches.values():
        moments.sort()
    data.campaign_touches = {pid: dict(by_campaign) for pid, by_campaign in campaigns.items()}
    data.sales_touches = dict(touches)
