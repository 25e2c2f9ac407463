"""Journeys two ways: from the ``journeys`` table the engine keeps (what the report reads),
and worked out afresh from every stored lead and the stage history (what the report did
before that table existed). The tests hold the first to the second."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.data import BASE_FIELDS, load_funnel_data
from funnelsync.sync.report.journeys import Journey, build_journey, stage_layout
from funnelsync.sync.report.segments import CAMPAIGN, SEGMENT_FIELDS
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.store import StateStore

GROUPED = tuple(name for name in SEGMENT_FIELDS if name != CAMPAIGN)
"""Every lead field a report can group by."""


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _shown(value: object) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def derived_journeys(
    store: StateStore, contract: FunnelContract, fields: Sequence[str] = GROUPED
) -> list[Journey]:
    """Every staged person's journey from their stored lead (decoded) and stage history,
    keeping ``fields`` and the report's :data:`BASE_FIELDS`."""
    wanted = tuple(dict.fromkeys((*BASE_FIELDS, *fields)))
    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    history = t.stage_history.c
    persons = t.persons.c
    with store.engine.connect() as connection:
        for person_id, to_stage, at in connection.execute(
            select(history.person_id, history.to_stage, history.at)
        ):
            moves[person_id].append((to_stage, _utc(at)))
        rows = connection.execute(
            select(persons.person_id, persons.email, persons.lead).order_by(persons.person_id)
        ).all()
    layout = stage_layout(contract)
    found = []
    for person_id, email, document in rows:
        lead = json.loads(document)
        attributes = lead.get("attributes") or {}
        kept = {
            name: text
            for name in wanted
            if (text := _shown(lead[name] if name in lead else attributes.get(name)))
        }
        dates = {stage: _utc(at) for stage, at in (lead.get("stage_dates") or {}).items()}
        journey = build_journey(
            layout, person_id, email, lead.get("stage"), dates, moves[person_id], kept
        )
        if journey is not None:
            found.append(journey)
    return found


def stored_journeys(
    store: StateStore, contract: FunnelContract, fields: Sequence[str] = GROUPED
) -> list[Journey]:
    """The journeys the report reads (from the ``journeys`` table)."""
    return load_funnel_data(store, contract, fields, campaigns=False).journeys
