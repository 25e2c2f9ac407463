"""The state database's tables and the migrations that create and evolve them.

SQLAlchemy Core keeps the queries portable (SQLite today, PostgreSQL later). Each
migration has a number; ``schema_version`` records the last one applied, and opening a
store applies the missing ones in order, inside one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    tuple_,
)
from sqlalchemy import (
    text as sql_text,
)

from funnelsync.sync.state.journey_rows import (
    FIELD_COLUMNS,
    entries_text,
    journey_row,
    moment_text,
)
from funnelsync.sync.state.moments import moment_columns
from funnelsync.sync.state.names import ids_of

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)

persons = Table(
    "persons",
    metadata,
    Column("person_id", Integer, primary_key=True),
    Column("email", String, nullable=False, unique=True),
    Column("stage", String, nullable=True),
    Column("lead", Text, nullable=False, doc="The canonical lead as JSON."),
    Column("run_id", String, nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("connection", String, primary_key=True),
    Column("record_id", String, primary_key=True),
    Column("person_id", Integer, nullable=False),
    Column("first_run", String, nullable=False),
    Index("links_person", "person_id"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("connection", String, primary_key=True),
    Column("record_id", String, primary_key=True),
    Column("fields", Text, nullable=False, doc="System field → value last read or written."),
    Column("run_id", String, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("connection", String, primary_key=True),
    Column("stream", String, primary_key=True),
    Column("value", Text, nullable=False),
    Column("run_id", String, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String, primary_key=True),
    Column("status", String, nullable=False),
    Column("started_at", String, nullable=False),
    Column("report", Text, nullable=True),
)

audit = Table(
    "audit",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String, nullable=False),
    Column("at", String, nullable=False),
    Column("connection", String, nullable=False),
    Column("record_id", String, nullable=False),
    Column("person_id", Integer, nullable=False),
    Column("action", String, nullable=False),
    Column("changes", Text, nullable=False, doc="JSON: system field → [old, new]."),
    Column("reason", Text, nullable=False),
    Index("audit_person", "person_id"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("connection", String, primary_key=True),
    Column("record_key", String, primary_key=True),
    Column("kind", String, nullable=False, doc="read (could not map) or write (refused)."),
    Column("location", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_seen", String, nullable=False),
    Column("last_seen", String, nullable=False),
    Column("requeued", Integer, nullable=False, default=0),
)

activity_types = Table(
    "activity_types",
    metadata,
    Column("type_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String, nullable=False, unique=True),
)
"""Activity type names, each stored once; activities refer to them by id."""

campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String, nullable=False, unique=True, doc="As read, stray spaces and all."),
)
"""Campaign names, each stored once; activities refer to them by id."""

activities = Table(
    "activities",
    metadata,
    Column("connection", String, primary_key=True),
    Column("activity_id", String, primary_key=True),
    Column("email", String, nullable=False, doc="The person's identity token."),
    Column("type_id", Integer, nullable=False),
    Column("occurred_at", BigInteger, nullable=False, doc="Epoch seconds (UTC), whole."),
    Column("micros", Integer, nullable=False, doc="The microseconds past that second."),
    Column("utc_offset", Integer, nullable=True, doc="Seconds east of UTC it was read in."),
    Column("campaign_id", Integer, nullable=True),
    Column("asset", String, nullable=True),
    Index("activities_email", "email"),
    Index("activities_type", "type_id", "occurred_at"),
)
"""Activities, compact: names by id, the time as integers (``utc_offset`` null: the time
was read without a zone, and is taken as UTC)."""

stage_history = Table(
    "stage_history",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, nullable=False),
    Column("from_stage", String, nullable=True),
    Column("to_stage", String, nullable=False),
    Column("at", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("run_id", String, nullable=False),
    Index("stage_history_person", "person_id"),
)

person_keys = Table(
    "person_keys",
    metadata,
    Column("token", String, primary_key=True, doc="An email, or key:value of an identity key."),
    Column("person_id", Integer, nullable=False),
    Index("person_keys_person", "person_id"),
)

field_warnings = Table(
    "field_warnings",
    metadata,
    Column("warning_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String, nullable=False),
    Column("connection", String, nullable=False),
    Column("record_key", String, nullable=False),
    Column("location", String, nullable=False),
    Column("message", Text, nullable=False),
    Index("field_warnings_run", "run_id"),
)

handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String, primary_key=True, doc="<person>-<stage>-<run>: stable."),
    Column("person_id", Integer, nullable=False),
    Column("stage", String, nullable=False),
    Column("entered_at", String, nullable=False),
    Column("run_id", String, nullable=False, doc="The run that moved the lead."),
    Column("lead", Text, nullable=False, doc="The lead as it entered the stage, as JSON."),
    Column("talking_points", Text, nullable=False, doc="JSON list of the points sent."),
)

handoff_deliveries = Table(
    "handoff_deliveries",
    metadata,
    Column("handoff_id", String, primary_key=True),
    Column("notifier", String, primary_key=True, doc="The plugin that delivers it."),
    Column("status", String, nullable=False, doc="pending, sending, failed or done."),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", String, nullable=False),
    Index("handoff_deliveries_status", "status"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("connection", String, primary_key=True, doc="Where the entry is written."),
    Column("ref", String, primary_key=True, doc="funnelsync's reference of the entry."),
    Column("person_id", Integer, nullable=False),
    Column("source", String, nullable=False, doc="Connection the activity was read from."),
    Column("activity_id", String, nullable=False, doc="Its id there."),
    Column("status", String, nullable=False, doc="pending, written or rejected."),
    Column("entry_id", String, nullable=True, doc="The entry's id as the system reads it."),
    Column("message", Text, nullable=True),
    Column("run_id", String, nullable=False),
    Column("at", String, nullable=False),
    Index("timeline_entry", "connection", "entry_id"),
)
"""Timeline entries funnelsync writes: a ``pending`` row is saved before the write call,
the entry's id after it (write-ahead), so a killed run is reconciled, not re-sent."""

stalls = Table(
    "stalls",
    metadata,
    Column("person_id", Integer, primary_key=True, doc="One row: the person's latest stall."),
    Column("stage", String, nullable=False),
    Column("entered", String, nullable=False, doc="When this stay in the stage began."),
    Column("last_engagement", String, nullable=True, doc="The last activity before the stall."),
    Column("after_days", Integer, nullable=False, doc="The stage's rule when it stalled."),
    Column("told", String, nullable=True, doc="When plugins were told; gone; null: not yet."),
    Index("stalls_told", "told"),
)
"""Stalled leads: a new stall's row is written with the run, ``told`` set before plugins
are told (so a killed run never tells one twice)."""

kept_values = Table(
    "kept_values",
    metadata,
    Column("connection", String, primary_key=True),
    Column("record_id", String, primary_key=True),
    Column("field", String, primary_key=True, doc="The system field."),
    Column("wanted", Text, nullable=False, doc="JSON: the value funnelsync wrote."),
    Column("own", Text, nullable=False, doc="JSON: the value the system kept instead."),
)
"""Values a system kept over funnelsync's write, so the same write is not planned again."""

journeys = Table(
    "journeys",
    metadata,
    Column("person_id", Integer, primary_key=True, doc="One row per ``persons`` row."),
    Column("email", String, nullable=False, doc="As ``persons.email``."),
    Column("stage", String, nullable=True),
    Column("stage_dates", Text, nullable=True, doc="The lead's stage dates (entries_text)."),
    Column("moves", Text, nullable=True, doc="Its stage history's moves (entries_text)."),
    *(Column(name, Text, nullable=True) for name in FIELD_COLUMNS),
    Column("attributes", Text, nullable=True, doc="JSON: attribute → text (blank ones left out)."),
)
"""What the funnel report reads of each person (see :mod:`journey_rows`), written with the
run that changes the person or moves their stage."""

campaign_touches = Table(
    "campaign_touches",
    metadata,
    Column("email", String, primary_key=True, doc="An identity token, as ``activities.email``."),
    Column("touches", LargeBinary, nullable=False, doc="Campaign id → its sorted moments."),
)
"""Each token's campaign activity times, grouped (see :mod:`campaign_touches`): what the
funnel report reads instead of every campaign activity."""

campaign_touches_stale = Table(
    "campaign_touches_stale",
    metadata,
    Column("email", String, primary_key=True),
)
"""Tokens whose activities were written since their ``campaign_touches`` row was."""

settings = Table(
    "settings",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)


def _text_activities(name: str) -> Table:
    """Activities as versions 1 to 8 kept them: names as text, the time as ISO 8601."""
    return Table(
        name,
        MetaData(),
        Column("connection", String, primary_key=True),
        Column("activity_id", String, primary_key=True),
        Column("email", String, nullable=False),
        Column("type", String, nullable=False),
        Column("occurred_at", String, nullable=False),
        Column("campaign", String, nullable=True),
        Column("asset", String, nullable=True),
    )


text_activities = _text_activities("activities")
Index("activities_email", text_activities.c.email)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(
        connection,
        tables=[
            persons,
            links,
            ledger,
            cursors,
            runs,
            audit,
            quarantine,
            stage_history,
            settings,
        ],
    )
    text_activities.create(connection)


def _identity_keys_v2(connection: Connection) -> None:
    """Identity keys beyond email (``person_keys``, filled with every person's email) and
    the field warnings of each run. ``persons.email`` now holds the person's first
    identity token (their email, when they have one)."""
    metadata.create_all(connection, tables=[person_keys, field_warnings])
    connection.execute(
        person_keys.insert().from_select(
            ["token", "person_id"], select(persons.c.email, persons.c.person_id)
        )
    )


def _handoffs_v3(connection: Connection) -> None:
    """Hand-offs to lead owners, one delivery row per notifier plugin."""
    metadata.create_all(connection, tables=[handoffs, handoff_deliveries])


ACTIVITIES_BY_TYPE = Index("activities_type", text_activities.c.type, text_activities.c.occurred_at)


def _timeline_v3(connection: Connection) -> None:
    """Timeline entries written to the systems (write-ahead rows), and activities found by
    type and time (the timeline's significant ones)."""
    metadata.create_all(connection, tables=[timeline])
    ACTIVITIES_BY_TYPE.create(connection, checkfirst=True)


STALL_SETTING = "stall:"
"""Version 4 kept each person's stall in ``settings`` as ``stall:<person>`` → JSON."""


def _stall_row(key: str, value: str) -> dict[str, object] | None:
    """A version-4 stall setting as a ``stalls`` row (None: unreadable, as version 4 did)."""
    try:
        data = json.loads(value)
        return {
            "person_id": int(key.removeprefix(STALL_SETTING)),
            "stage": str(data["stage"]),
            "entered": str(data["entered"]),
            "last_engagement": data["last_engagement"],
            "after_days": int(data["after_days"]),
            "told": data["told"],
        }
    except (ValueError, KeyError, TypeError):
        return None


def _stalls_v5(connection: Connection) -> None:
    """Stalls get their own table; the ``stall:<person>`` settings move into it."""
    metadata.create_all(connection, tables=[stalls])
    moved = settings.c.key.startswith(STALL_SETTING, autoescape=True)
    found = connection.execute(select(settings.c.key, settings.c.value).where(moved))
    rows = [row for key, value in found if (row := _stall_row(key, value)) is not None]
    if rows:
        connection.execute(stalls.insert(), rows)
    connection.execute(delete(settings).where(moved))


TIMELINE_BY_ACTIVITY = Index(
    "timeline_activity", timeline.c.connection, timeline.c.source, timeline.c.activity_id
)


def _timeline_activity_v6(connection: Connection) -> None:
    """Timeline entries found by the activity they carry (planning skips those recorded)."""
    TIMELINE_BY_ACTIVITY.create(connection, checkfirst=True)


LEDGER_KEPT_KEY = "funnelsync:kept"
"""Version 6 kept a record's kept values in its ledger row, under this key."""


def _kept_values_v7(connection: Connection) -> None:
    """Kept values get their own table: the ledger's ``funnelsync:kept`` entries move there
    (a ledger row then holds system fields only)."""
    metadata.create_all(connection, tables=[kept_values])
    found = connection.execute(
        select(ledger.c.connection, ledger.c.record_id, ledger.c.fields).where(
            ledger.c.fields.contains(f'"{LEDGER_KEPT_KEY}"', autoescape=True)
        )
    )
    for name, record_id, text in list(found):
        fields = json.loads(text)
        marks = fields.get(LEDGER_KEPT_KEY)
        if not isinstance(marks, dict):
            continue  # a system field that happens to have that name: left as it is
        rows = [
            {
                "connection": name,
                "record_id": record_id,
                "field": field,
                "wanted": json.dumps(mark[0]),
                "own": json.dumps(mark[1]),
            }
            for field, mark in marks.items()
            if isinstance(mark, list) and len(mark) == 2
        ]
        if rows:
            connection.execute(kept_values.insert(), rows)
        del fields[LEDGER_KEPT_KEY]
        connection.execute(
            ledger.update()
            .where(ledger.c.connection == name, ledger.c.record_id == record_id)
            .values(fields=json.dumps(fields, default=str, sort_keys=True))
        )


def _journeys_v8(connection: Connection) -> None:
    """Journeys get their own table, filled from every person's lead and stage history
    (a page of persons at a time, so memory stays bounded)."""
    metadata.create_all(connection, tables=[journeys])
    history = stage_history.c
    last = -1
    while True:
        page = (
            select(persons.c.person_id, persons.c.email, persons.c.lead)
            .where(persons.c.person_id > last)
            .order_by(persons.c.person_id)
            .limit(5000)
        )
        rows = connection.execute(page).all()
        if not rows:
            return
        last = rows[-1].person_id
        moves: dict[int, list[tuple[str, str]]] = {}
        found = connection.execute(
            select(history.person_id, history.to_stage, history.at)
            .where(history.person_id >= rows[0].person_id, history.person_id <= last)
            .order_by(history.entry_id)
        )
        for person_id, to_stage, at in found:
            moves.setdefault(person_id, []).append((to_stage, moment_text(at)))
        connection.execute(
            journeys.insert(),
            [
                {
                    **journey_row(person_id, email, json.loads(lead)),
                    "moves": entries_text(moves.get(person_id, ())),
                }
                for person_id, email, lead in rows
            ],
        )


TEXT_ACTIVITIES = "activities_text"
"""Where version 9 sets the text activities aside while it copies them."""


def _compact_row(row: Any, types: dict[str, int], campaign_ids: dict[str, int]) -> dict[str, Any]:
    seconds, micros, offset = moment_columns(datetime.fromisoformat(row.occurred_at))
    return {
        "connection": row.connection,
        "activity_id": row.activity_id,
        "email": row.email,
        "type_id": types[row.type],
        "occurred_at": seconds,
        "micros": micros,
        "utc_offset": offset,
        "campaign_id": None if row.campaign is None else campaign_ids[row.campaign],
        "asset": row.asset,
    }


def _compact_activities_v9(connection: Connection) -> None:
    """Activities get compact rows: type and campaign as ids into ``activity_types`` and
    ``campaigns``, the time as integers (the instant, its microseconds and its offset,
    so every reader gets back the timestamp it stored)."""
    for name in ("activities_type", "activities_email"):
        connection.execute(sql_text(f"DROP INDEX {name}"))
    connection.execute(sql_text(f"ALTER TABLE activities RENAME TO {TEXT_ACTIVITIES}"))
    metadata.create_all(connection, tables=[activity_types, campaigns, activities])
    old = _text_activities(TEXT_ACTIVITIES)
    type_names = connection.execute(select(old.c.type).distinct()).scalars()
    types = ids_of(connection, activity_types, list(type_names))
    campaign_names = connection.execute(
        select(old.c.campaign).where(old.c.campaign.is_not(None)).distinct()
    ).scalars()
    campaign_ids = ids_of(connection, campaigns, list(campaign_names))
    key = tuple_(old.c.connection, old.c.activity_id)
    query = select(old).order_by(old.c.connection, old.c.activity_id).limit(5_000)
    chunk = connection.execute(query).all()
    while chunk:  # a chunk at a time, in key order, so a million rows are never all held
        connection.execute(
            activities.insert(), [_compact_row(row, types, campaign_ids) for row in chunk]
        )
        last = chunk[-1]
        chunk = connection.execute(
            query.where(key > tuple_(last.connection, last.activity_id))
        ).all()
    old.drop(connection)


def _campaign_touches_v10(connection: Connection) -> None:
    """Every token's campaign touches, grouped from the activities a page at a time."""
    from funnelsync.sync.state.campaign_touches import refresh_stale  # it imports this module

    metadata.create_all(connection, tables=[campaign_touches, campaign_touches_stale])
    tokens = select(activities.c.email).where(activities.c.campaign_id.is_not(None)).distinct()
    connection.execute(campaign_touches_stale.insert().from_select(["email"], tokens))
    refresh_stale(connection)


MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = (
    (1, _create_v1),
    (2, _identity_keys_v2),
    (3, _handoffs_v3),
    (4, _timeline_v3),
    (5, _stalls_v5),
    (6, _timeline_activity_v6),
    (7, _kept_values_v7),
    (8, _journeys_v8),
    (9, _compact_activities_v9),
    (10, _campaign_touches_v10),
)
"""Every migration in order; append new ones, never edit a released one."""

LATEST_VERSION = MIGRATIONS[-1][0]


def migrate(connection: Connection) -> int:
    """Apply the migrations this database lacks; returns the version it is now at."""
    metadata.create_all(connection, tables=[schema_version])
    current = connection.execute(select(schema_version.c.version)).scalar()
    if current is None:
        connection.execute(schema_version.insert().values(version=0))
        current = 0
    if current > LATEST_VERSION:
        raise RuntimeError(
            f"the state database is at schema version {current}, newer than this funnelsync "
            f"knows ({LATEST_VERSION}); upgrade funnelsync"
        )
    for version, step in MIGRATIONS:
        if version > current:
            step(connection)
            connection.execute(schema_version.update().values(version=version))
            current = version
    return current
