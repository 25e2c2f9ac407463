"""The state database's migrations: a store made by an older funnelsync opens and keeps working."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from campaign_touch_support import stale_tokens, touches_afresh, touches_kept
from journey_support import derived_journeys, stored_journeys
from sqlalchemy import Connection, Engine, create_engine, select
from sync_support import postgres_database

from funnelsync.models import Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.report.stalled import stalled_leads
from funnelsync.sync.state import schema
from funnelsync.sync.state.kept import kept_values
from funnelsync.sync.state.stalls import untold_stalls
from funnelsync.sync.state.store import DATABASE_NAME, StateStore
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates


def _version_1_store(state_dir: Path) -> None:
    """A database as funnelsync left it before identity keys (schema version 1)."""
    state_dir.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{state_dir / DATABASE_NAME}")
    with engine.begin() as connection:
        schema.metadata.create_all(connection, tables=[schema.schema_version])
        connection.execute(schema.schema_version.insert().values(version=0))
        schema._create_v1(connection)
        connection.execute(schema.schema_version.update().values(version=1))
        connection.execute(
            schema.persons.insert(),
            [
                {
                    "person_id": 1,
                    "email": "ann@example.com",
                    "stage": "lead",
                    "lead": Lead(email="ann@example.com", stage="lead").model_dump_json(),
                    "run_id": "r1",
                }
            ],
        )
        connection.execute(
            schema.links.insert(),
            [{"connection": "crm", "record_id": "7", "person_id": 1, "first_run": "r1"}],
        )
    engine.dispose()


def test_version_1_store_gains_identity_keys_from_its_emails(tmp_path: Path) -> None:
    _version_1_store(tmp_path / "state")

    store = StateStore.open(tmp_path / "state")
    try:
        assert store.schema_version == schema.LATEST_VERSION == 10
        identity = store.load_identity()
        assert identity.person_by_key == {"ann@example.com": 1}
        assert identity.person_of == {("crm", "7"): 1}
        found = store.person_by_key("ann@example.com")
        assert found is not None and found[0] == 1
        assert store.field_warnings() == []
        assert store.count("handoffs") == 0  # version 3 adds the hand-off tables
        assert store.count("timeline") == 0  # version 4 the timeline entries
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "state" / DATABASE_NAME) as db:
        assert db.execute("SELECT token, person_id FROM person_keys").fetchall() == [
            ("ann@example.com", 1)
        ]


def _old_stall(stage: str, entered: str, engaged: str | None, told: str | None) -> str:
    """A stall as version 4 wrote it into ``settings`` (``json.dumps``, default spacing)."""
    return json.dumps(
        {
            "stage": stage,
            "entered": entered,
            "last_engagement": engaged,
            "after_days": 30,
            "told": told,
        }
    )


@dataclass(frozen=True, slots=True)
class OldState:
    """An empty state database (SQLite file or PostgreSQL) a test fills as an older
    funnelsync left it, then opens with today's store (which migrates it)."""

    engine: Engine
    state_dir: Path
    url: str | None

    def open(self) -> StateStore:
        """Let go of the test's connections and open the database with the store."""
        self.engine.dispose()
        return StateStore.open(self.state_dir, self.url)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OldState]:
    """An empty state database on each backend."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    url = postgres_database(request) if request.param == "postgresql" else None
    engine = create_engine(url or f"sqlite:///{state_dir / DATABASE_NAME}")
    yield OldState(engine, state_dir, url)
    engine.dispose()


def _version_4_state(engine: Engine) -> None:
    """A state as funnelsync left it at schema version 4: stalls kept in ``settings``."""
    with engine.begin() as connection:
        _schema_at(connection, 4)
        people = {1: "ann@example.com", 2: "bob@example.com", 3: "cy@example.com"}
        connection.execute(
            schema.persons.insert(),
            [
                {
                    "person_id": pid,
                    "email": email,
                    "stage": "sal",
                    "lead": Lead(email=email, stage="sal", stalled=pid != 3).model_dump_json(),
                    "run_id": "r1",
                }
                for pid, email in people.items()
            ],
        )
        connection.execute(
            schema.settings.insert(),
            [
                {
                    "key": "stall:1",
                    "value": _old_stall("sal", "2026-01-02T00:00:00+00:00", None, None),
                },
                {
                    "key": "stall:2",
                    "value": _old_stall(
                        "sal",
                        "2026-01-01T00:00:00+00:00",
                        "2026-01-05T09:30:00+00:00",
                        "2026-02-04T10:00:00+00:00",
                    ),
                },
                {
                    "key": "stall:3",
                    "value": _old_stall("mql", "2025-12-01T00:00:00+00:00", None, "gone"),
                },
                {"key": "stall:9", "value": "not json"},
                {"key": "scored_day", "value": "2026-02-04"},
                {"key": "sla_breach:1-sal", "value": "2026-02-04T10:00:00+00:00"},
            ],
        )


def test_version_4_stalls_move_from_settings_into_their_own_table(old_state: OldState) -> None:
    _version_4_state(old_state.engine)

    store = old_state.open()
    try:
        assert store.schema_version == schema.LATEST_VERSION
        with store.engine.connect() as connection:
            rows = connection.execute(select(schema.stalls).order_by(schema.stalls.c.person_id))
            stalls = [tuple(row) for row in rows]
            keys = set(connection.execute(select(schema.settings.c.key)).scalars())
        assert stalls == [
            (1, "sal", "2026-01-02T00:00:00+00:00", None, 30, None),
            (
                2,
                "sal",
                "2026-01-01T00:00:00+00:00",
                "2026-01-05T09:30:00+00:00",
                30,
                "2026-02-04T10:00:00+00:00",
            ),
            (3, "mql", "2025-12-01T00:00:00+00:00", None, 30, "gone"),
        ]  # the unreadable row is dropped, as version 4 ignored it
        assert keys == {"scored_day", "sla_breach:1-sal"}  # other settings stay
        # Behaviour is kept: both stalled leads are listed, only the untold one is to tell.
        assert [lead.email for lead in stalled_leads(store)] == [
            "bob@example.com",
            "ann@example.com",
        ]
        assert stalled_leads(store)[0].last_engagement == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
        assert [record.person_id for record in untold_stalls(store.engine)] == [1]
    finally:
        store.close()


def _schema_at(connection: Connection, version: int) -> None:
    """Bring an empty database to schema ``version``, as the release at it left it."""
    schema.metadata.create_all(connection, tables=[schema.schema_version])
    connection.execute(schema.schema_version.insert().values(version=0))
    for number, step in schema.MIGRATIONS:
        if number <= version:
            step(connection)
    connection.execute(schema.schema_version.update().values(version=version))


def test_version_6_kept_marks_move_out_of_the_ledger_rows(old_state: OldState) -> None:
    with old_state.engine.begin() as connection:
        _schema_at(connection, 6)
        kept = {
            "lifecyclestage": "customer",
            "funnelsync:kept": {"lifecyclestage": ["lead", "customer"]},
        }
        column = {"email": "b@example.com", "funnelsync:kept": "see notes"}
        connection.execute(
            schema.ledger.insert(),
            [
                {
                    "connection": "hubspot",
                    "record_id": "1",
                    "fields": json.dumps(kept),
                    "run_id": "r",
                },
                {
                    "connection": "csv",
                    "record_id": "b",
                    "fields": json.dumps(column),
                    "run_id": "r",
                },
            ],
        )

    store = old_state.open()
    try:
        assert store.schema_version == schema.LATEST_VERSION
        assert store.ledger([("hubspot", "1"), ("csv", "b")]) == {
            ("hubspot", "1"): {"lifecyclestage": "customer"},
            ("csv", "b"): column,  # a system field of that name is left alone
        }
        assert kept_values(store.engine, [("hubspot", "1"), ("csv", "b")]) == {
            ("hubspot", "1"): {"lifecyclestage": ("lead", "customer")}
        }
    finally:
        store.close()


def _version_7_people() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Persons and stage moves as version 7 kept them: offsets written three ways, a
    re-entry, a naive move time, a stage no contract knows, an attribute, a person never
    staged, and more people than one page of the migration."""
    ann = Lead(
        email="ann@example.com",
        source=" Webinar ",
        company_size=250,
        created_at=datetime(2025, 12, 1, 8, 30, tzinfo=UTC),
        attributes={"region": "EMEA", "tier": " "},
        stage="mql",
        stage_dates={
            "lead": datetime(2026, 1, 2, 10, tzinfo=UTC),
            "mql": datetime.fromisoformat("2026-01-05T09:00:00+02:00"),
            "legacy": datetime(2025, 1, 1, tzinfo=UTC),
        },
    )
    cy = Lead(
        email="cy@example.com",
        stage="disqualified",
        stage_dates={"sql": datetime(2026, 1, 3, tzinfo=UTC)},
    )
    persons = [
        (1, ann),
        (2, Lead(email="bob@example.com")),
        (3, cy),
        *((pid, Lead(email=f"p{pid}@example.com", stage="lead")) for pid in range(4, 5010)),
    ]
    moves = [
        (1, "lead", "2026-01-02T10:00:00+00:00"),
        (1, "mql", "2026-01-05T07:00:00+00:00"),
        (1, "recycled", "2026-01-10T00:00:00"),
        (1, "mql", "2026-01-20T00:00:00+00:00"),
        (1, "legacy", "2026-01-21T00:00:00+00:00"),
        *((pid, "lead", f"2026-02-01T00:00:{pid % 60:02d}+00:00") for pid in range(4, 5010)),
    ]
    return (
        [
            {
                "person_id": pid,
                "email": lead.email,
                "stage": lead.stage,
                "lead": lead.model_dump_json(),
                "run_id": "r1",
            }
            for pid, lead in persons
        ],
        [
            {
                "person_id": pid,
                "from_stage": None,
                "to_stage": stage,
                "at": at,
                "reason": "old",
                "run_id": "r1",
            }
            for pid, stage, at in moves
        ],
    )


def test_version_7_journeys_are_filled_from_leads_and_stage_history(
    old_state: OldState, tmp_path: Path
) -> None:
    with old_state.engine.begin() as connection:
        _schema_at(connection, 7)
        persons, moves = _version_7_people()
        connection.execute(schema.persons.insert(), persons)
        connection.execute(schema.stage_history.insert(), moves)
    contract = load_workspace(
        write_templates(tmp_path / "ws", with_empty_data=True), create_plugins()
    ).contract
    fields = ("source", "company_size", "created_at", "region", "tier")

    store = old_state.open()
    try:
        assert store.schema_version == schema.LATEST_VERSION
        stored = stored_journeys(store, contract, fields)
        assert stored == derived_journeys(store, contract, fields)
        assert store.count("journeys") == 5009  # every person, staged or not
    finally:
        store.close()
    assert len(stored) == 5008  # bob was never staged
    ann = stored[0]
    assert ann.fields == {
        "source": "Webinar",
        "company_size": "250",
        "created_at": "2025-12-01T08:30:00Z",
        "region": "EMEA",
    }
    assert [stay.stage for stay in ann.stays] == ["lead", "mql", "recycled", "mql"]


OLD_ACTIVITIES: list[tuple[str | None, ...]] = [
    ("crm", "1", "ann@example.com", "call", "2026-06-14T14:48:37+02:00", "Spring Launch", None),
    (
        "crm",
        "2",
        "ann@example.com",
        "email_open",
        "2026-06-14T14:48:37.123456+00:00",
        " Spring Launch ",  # stray spaces: the report merges them, the store keeps them
        "ebook",
    ),
    ("web", "3", "crm_id:9", "call", "2026-06-14T14:48:37", None, None),  # no zone, no lead
    *(  # more than one chunk of the copy
        ("bulk", f"{n:05}", f"p{n % 7}@x.com", "page_view", f"2026-01-01T00:00:{n % 60:02}-05:00")
        for n in range(11_000)
    ),
]
"""Activities as version 7 stored them: names as text, the time as ISO 8601 text."""


def test_version_7_activities_become_compact_rows_that_read_back_the_same(
    old_state: OldState,
) -> None:
    columns = ("connection", "activity_id", "email", "type", "occurred_at", "campaign", "asset")
    with old_state.engine.begin() as connection:
        _schema_at(connection, 7)
        connection.execute(
            schema.text_activities.insert(),
            [dict(zip(columns, (*row, None, None)[:7], strict=True)) for row in OLD_ACTIVITIES],
        )

    store = old_state.open()
    try:
        assert store.schema_version == schema.LATEST_VERSION
        found = {
            (a.connection, a.activity_id, a.email, a.type, a.occurred_at.isoformat(), *rest)
            for a in store.activities(None)
            for rest in [(a.campaign, a.asset)]
        }
        assert found == {(*row, None, None)[:7] for row in OLD_ACTIVITIES}
        with store.engine.connect() as connection:
            types = connection.execute(select(schema.activity_types.c.name)).scalars()
            assert sorted(types) == ["call", "email_open", "page_view"]
            names = connection.execute(select(schema.campaigns.c.name)).scalars()
            assert sorted(names) == [" Spring Launch ", "Spring Launch"]
        # Still keyed by (connection, activity id): an activity read again replaces its row.
        again = datetime(2026, 6, 15, tzinfo=UTC)
        store.store_activity_rows([("crm", "1", "ann@example.com", "meeting", again, None, None)])
        assert store.count("activities") == len(OLD_ACTIVITIES)
        (moved,) = [a for a in store.activities(["ann@example.com"]) if a.activity_id == "1"]
        assert (moved.type, moved.occurred_at, moved.campaign) == ("meeting", again, None)
    finally:
        store.close()


def test_version_9_campaign_touches_are_grouped_from_the_activities(old_state: OldState) -> None:
    tokens = [f"p{number:05}@example.com" for number in range(5_003)]  # two pages
    with old_state.engine.begin() as connection:
        _schema_at(connection, 9)
        connection.execute(schema.activity_types.insert(), [{"type_id": 1, "name": "click"}])
        names = [{"campaign_id": 1, "name": "Launch"}, {"campaign_id": 2, "name": " Launch "}]
        connection.execute(schema.campaigns.insert(), names)
        rows = [
            {
                "connection": "mkt",
                "activity_id": f"{token}-{kind}",
                "email": token,
                "type_id": 1,
                "occurred_at": 1_780_000_000 + 3_600 * (number % 7) - 60 * kind,
                "micros": 250_000 * kind,
                "utc_offset": None if kind else 7_200,
                "campaign_id": (None, 1, 1, 2)[(number + kind) % 4],
                "asset": None,
            }
            for number, token in enumerate(tokens)
            for kind in range(3)
        ]
        connection.execute(schema.activities.insert(), rows)

    store = old_state.open()
    try:
        assert store.schema_version == schema.LATEST_VERSION
        kept = touches_kept(store)
        assert kept == touches_afresh(store)
        assert len(kept) == len(tokens)  # each has a campaign activity; no row is left out
        assert stale_tokens(store) == []
    finally:
        store.close()
