"""Reading what the funnel report needs from the state store, in a few passes.

Only the columns the report uses are read: from each person's ``journeys`` row (which the
engine keeps as it commits) the stage, stage dates, stage moves and the fields the report
groups by; and the activities that carry a campaign or are a sales touch. Activities are
matched to leads by the lead's canonical email.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import Any

from sqlalchemy import Select, select

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.sync.report.journeys import Journey, journey_from_text, stage_layout
from funnelsync.sync.report.touches import CampaignTouches
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.campaign_touches import (
    campaign_rows_query,
    decode,
    decode_rows,
    grouped,
)
from funnelsync.sync.state.journey_rows import FIELD_COLUMNS
from funnelsync.sync.state.moments import stored_moment
from funnelsync.sync.state.store import StateStore

BASE_FIELDS = ("owner", "first_name", "last_name", "company")
"""Lead fields always loaded: the SLA lists show them."""


@dataclass(slots=True)
class FunnelData:
    """Every lead's journey, with the campaign touches and sales touches of each."""

    journeys: list[Journey]
    campaign_touches: Mapping[int, Mapping[str, Sequence[float]]] = field(default_factory=dict)
    """Person → campaign → when they engaged with it, in epoch seconds (sorted); loaded, a
    :class:`~funnelsync.sync.report.touches.CampaignTouches`."""
    sales_touches: dict[int, list[datetime]] = field(default_factory=dict)
    """Person → when sales touched them (sorted)."""


def _rows(store: StateStore, query: Select[Any]) -> Iterator[Any]:
    """The rows of ``query``, through the driver's own cursor.

    The query is built and compiled by SQLAlchemy for the store's dialect; only fetching
    skips SQLAlchemy's per-row layer, which would otherwise dominate a report over a
    million activities.
    """
    compiled = query.compile(store.engine, compile_kwargs={"render_postcompile": True})
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(str(compiled), parameters or compiled.params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        connection.close()


def _columns(wanted: Sequence[str]) -> tuple[list[str], list[str]]:
    """``wanted`` fields split into those with a ``journeys`` column and attributes."""
    lead_fields = set(Lead.model_fields)
    unknown = [name for name in wanted if name in lead_fields and name not in FIELD_COLUMNS]
    if unknown:
        raise ValueError(f"the report cannot group by the lead field {unknown[0]!r}")
    return [n for n in wanted if n in FIELD_COLUMNS], [n for n in wanted if n not in lead_fields]


def load_funnel_data(
    store: StateStore,
    contract: FunnelContract,
    fields: Iterable[str] = (),
    touch_types: Collection[str] = (),
    campaigns: bool = True,
) -> FunnelData:
    """Journeys of every staged lead, keeping ``fields`` (plus :data:`BASE_FIELDS`).

    Activities of ``touch_types`` become sales touches; with ``campaigns``, activities
    that name a campaign become campaign touches (the SLA list needs none).
    """
    wanted = tuple(dict.fromkeys((*BASE_FIELDS, *fields)))
    columns, attributes = _columns(wanted)
    journeys: list[Journey] = []
    person_of_email: dict[str, int] = {}
    layout = stage_layout(contract)
    j = t.journeys.c
    query = select(
        j.person_id,
        j.email,
        j.stage,
        j.stage_dates,
        j.moves,
        j.attributes if attributes else j.person_id,
        *(j[name] for name in columns),
    ).order_by(j.person_id)
    for person_id, email, stage, dates, moves, extra, *values in _rows(store, query):
        if attributes:
            known = dict(zip(columns, values, strict=True))
            known.update(json.loads(extra) if extra else {})
            kept = {name: value for name in wanted if (value := known.get(name))}
        else:  # ``columns`` is ``wanted``
            kept = dict(compress(zip(columns, values, strict=True), values))  # non-blank
        # A row's stage dates and moves are mostly the same entries: then read them once.
        entries = (
            dates if not moves or moves == dates else moves if not dates else f"{dates}\t{moves}"
        )
        journey = journey_from_text(layout, person_id, email, stage, entries, kept)
        if journey is not None:
            journeys.append(journey)
            person_of_email[email] = person_id
    data = FunnelData(journeys)
    _load_activities(store, data, person_of_email, touch_types, campaigns)
    return data


def _load_activities(
    store: StateStore,
    data: FunnelData,
    person_of_email: dict[str, int],
    touch_types: Collection[str],
    with_campaigns: bool,
) -> None:
    columns = t.activities.c
    touches: dict[int, list[datetime]] = defaultdict(list)
    query = select(columns.email, columns.occurred_at, columns.micros, columns.utc_offset).where(
        columns.type_id.in_(store.type_names.ids(touch_types))
    )
    for email, seconds, micros, offset in _rows(store, query):
        person_id = person_of_email.get(email)
        if person_id is not None:  # a time read without a zone is UTC
            touches[person_id].append(stored_moment(seconds, micros, offset or 0))
    for when in touches.values():
        when.sort()
    data.sales_touches = dict(touches)
    if with_campaigns:
        data.campaign_touches = _campaign_touches(store, person_of_email)


def _campaign_touches(store: StateStore, person_of_email: dict[str, int]) -> CampaignTouches:
    """Person → campaign name → moments, from the engine-kept ``campaign_touches`` rows
    (a token whose activities were written after its row was: from its activities)."""
    stale = {token for (token,) in _rows(store, select(t.campaign_touches_stale.c.email))}
    found = grouped(_rows(store, campaign_rows_query(stale))) if stale else {}
    names = store.campaign_names.refresh()  # each campaign named once, not once a row
    persons: list[int] = []
    blobs: list[bytes] = []
    c = t.campaign_touches.c
    for token, blob in _rows(store, select(c.email, c.touches)):
        person_id = person_of_email.get(token)
        if person_id is not None and token not in stale:
            persons.append(person_id)
            blobs.append(blob)
    rest: dict[int, dict[str, list[float]]] = {}
    # The same campaign written with stray spaces is one campaign.
    if all(name == name.strip() and name for name in names.values()):
        ids, lengths, counts, moments = decode_rows(blobs)
        named = list(map(names.__getitem__, ids))
    else:
        for person_id, blob in zip(persons, blobs, strict=True):
            keys, runs = decode(blob)
            rest[person_id] = _merge_names(
                dict(zip(map(names.__getitem__, keys), runs, strict=True))
            )
        persons, named, lengths, counts, moments = [], [], [], [], []
    for token, by_id in found.items():
        person_id = person_of_email.get(token)
        if person_id is not None:
            rest[person_id] = _merge_names({names[key]: m for key, m in by_id.items()})
    for person_id, by_name in rest.items():
        persons.append(person_id)
        counts.append(len(by_name))
        for name, run in by_name.items():
            named.append(name)
            lengths.append(len(run))
            moments.extend(run)
    return CampaignTouches(moments, named, lengths, persons, counts)


def _merge_names(by_campaign: dict[str, list[float]]) -> dict[str, list[float]]:
    if all(name == name.strip() and name for name in by_campaign):
        return by_campaign
    merged: dict[str, list[float]] = defaultdict(list)
    for name, moments in by_campaign.items():
        if name.strip():
            merged[name.strip()].extend(moments)
    for moments in merged.values():
        moments.sort()
    return dict(merged)
