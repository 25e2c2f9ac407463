"""Activities are stored compact (names by id, the time as integers) and every reader gets
back what was read: the same names, the same instant, sub-second part and UTC offset."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sync_support import (
    iso,
    open_state,
    postgres_database,
    read_csv,
    sync_json,
    use_state_url,
    write_csv,
)

from funnelsync.engagement_rows import EngagementRows
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.activity_rows import NewActivities
from funnelsync.sync.state.store import ActivityRow, StateStore

BACKENDS = ["sqlite", "postgresql"]

TIMES = [
    datetime(2026, 6, 14, 14, 48, 37, tzinfo=UTC),
    datetime(2026, 6, 14, 14, 48, 37, 123456, tzinfo=UTC),
    datetime(2026, 6, 14, 14, 48, 37, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-3))),
    datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # just after DST began
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # the 2nd 2:30
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
    datetime(2040, 1, 1, tzinfo=UTC),  # past 2038 (32-bit seconds)
    datetime(2026, 6, 14, 14, 48, 37, 250000),  # noqa: DTZ001  (read without a zone)
]


def _store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> StateStore:
    url = postgres_database(request) if backend == "postgresql" else None
    return StateStore.open(tmp_path / "state", url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stored_time_comes_back_to_the_microsecond_in_its_own_offset(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _store(backend, tmp_path, request)
    try:
        rows: list[ActivityRow] = [
            ("crm", f"a{n}", "ann@example.com", "call", moment, None, None)
            for n, moment in enumerate(TIMES)
        ]
        store.store_activity_rows(rows)
        wanted = {f"a{n}": moment.isoformat() for n, moment in enumerate(TIMES)}
        found = {a.activity_id: a.occurred_at for a in store.activities(["ann@example.com"])}
        # The text compares instant, sub-second part and offset (== on datetimes would
        # call two offsets of one instant equal).
        assert {key: moment.isoformat() for key, moment in found.items()} == wanted
        # Scoring reads the same through its compact rows.
        scored = NewActivities(store, hold=False).of_tokens(store, ["ann@example.com"])
        touches = EngagementRows(scored["ann@example.com"])
        assert [e.occurred_at.isoformat() for e in touches] == [
            wanted[f"a{n}"] for n in sorted(range(len(TIMES)), key=lambda n: f"a{n}")
        ]
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_names_first_seen_together_are_numbered_in_name_order(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """So the same export gives the same ids in every run (they once followed the order of
    a set, which changes from process to process: 8 names in another order by chance 1 in
    40,320)."""
    names = ["webinar", "call", "trial", "demo_request", "email_click", "ad", "form", "visit"]
    rows: list[ActivityRow] = [
        ("crm", f"a{n}", "ann@example.com", kind, TIMES[0], f"{kind} campaign", None)
        for n, kind in enumerate(names)
    ]
    store = _store(backend, tmp_path, request)
    try:
        store.store_activity_rows(rows)
        with store.engine.connect() as db:
            for table, column in (("activity_types", "type_id"), ("campaigns", "campaign_id")):
                found = list(db.execute(text(f"SELECT name FROM {table} ORDER BY {column}")))
                assert [row[0] for row in found] == sorted(row[0] for row in found), table
    finally:
        store.close()


def _explain(config: Path, email: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["explain", "--config", str(config), "--json", email])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_type_and_a_campaign_first_seen_in_a_later_run_are_stored_and_read_by_name(
    backend: str, workspace: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":
        use_state_url(workspace, postgres_database(request))
    sync_json(workspace)
    reader = open_state(workspace)  # a store that has read names before the new ones came
    try:
        before = {a.activity_id: (a.type, a.campaign) for a in reader.activities(None)}
        assert before == {
            "a1": ("demo_request", "Launch"),
            "a2": ("email_click", "Launch"),
            "t1": ("call", None),
        }
        path = workspace.parent / "data/marketing/activities.csv"
        rows = read_csv(path)
        rows.append(
            {
                "activity_id": "a3",
                "email": "carla.diaz@acme.example.com",
                "type": "webinar_attended",
                "occurred_at": iso(1),
                "campaign": "Content Syndication",
                "asset": "",
            }
        )
        write_csv(path, rows)
        sync_json(workspace)
        after = {a.activity_id: (a.type, a.campaign) for a in reader.activities(None)}
        assert after == before | {"a3": ("webinar_attended", "Content Syndication")}
    finally:
        reader.close()
    explained = _explain(workspace, "carla.diaz@acme.example.com")
    assert {"label": "webinar attended (yesterday)", "points": 10, "kind": "engagement"} in (
        explained["breakdown"]
    )
    assert explained["campaigns"] == ["Content Syndication"]
