"""The ``campaign_touches`` table the report reads stays what the stored activities say,
run after run: touches from a later run, an activity read again with another time and
campaign (replaced, not counted twice), a person known in both systems, a record deleted
from its system, and activities stored by a run that has not committed yet (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from campaign_touch_support import (
    Touches,
    report_touches,
    report_touches_afresh,
    stale_tokens,
    touches_afresh,
    touches_kept,
)
from sync_support import iso, marketing_lead, open_state, read_csv, sync_json, write_csv

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine import activity_rows
from funnelsync.sync.workspace.loading import load_workspace

VP = "vp@hospital.example.com"
CARLA = "carla.diaz@acme.example.com"


def _touches_match(config: Path) -> Touches:
    """Assert the table holds every token's touches as the activities say, and the report
    loads what it loaded from the activities; the report's touches by lead email."""
    contract = load_workspace(config, create_plugins()).contract
    store = open_state(config)
    try:
        assert stale_tokens(store) == []
        kept = touches_kept(store)
        assert kept, "the workspace has campaign activities"
        assert kept == touches_afresh(store)
        loaded = report_touches(store, contract)
        assert loaded == report_touches_afresh(store, contract)
        return loaded
    finally:
        store.close()


def _activity(activity_id: str, email: str, campaign: str, days_ago: float) -> dict[str, str]:
    return {
        "activity_id": activity_id,
        "email": email,
        "type": "email_click",
        "occurred_at": iso(days_ago),
        "campaign": campaign,
        "asset": "",
    }


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_each_run_keeps_the_campaign_touches_as_the_activities_say(workspace: Path) -> None:
    data = workspace.parent / "data"
    activities = data / "marketing" / "activities.csv"
    sync_json(workspace)
    first = _touches_match(workspace)
    assert [len(moments) for moments in first[VP].values()] == [2]

    # A later run brings new touches: the VP's first webinar, and Carla's (one person,
    # known in both systems; her marketing email is spelt another way) first touch.
    rows = read_csv(activities)
    rows += [
        _activity("a3", VP, "Webinar", 0.5),
        _activity("a4", "  Carla.Diaz@Acme.example.com ", " Launch ", 4),
    ]
    write_csv(activities, rows)
    sync_json(workspace)
    later = _touches_match(workspace)
    assert {name: len(moments) for name, moments in later[VP].items()} == {
        "Launch": 2,
        "Webinar": 1,
    }
    assert {name: len(moments) for name, moments in later[CARLA].items()} == {"Launch": 1}

    # The whole file is read again; a1 now says another day and another campaign: it
    # moves from Launch to Webinar, and nothing is counted twice.
    moved = iso(10)
    for row in rows:
        if row["activity_id"] == "a1":
            row.update(occurred_at=moved, campaign="Webinar")
    write_csv(activities, rows)
    sync_json(workspace)
    again = _touches_match(workspace)
    assert [len(again[VP]["Launch"]), len(again[VP]["Webinar"])] == [1, 2]
    assert again[VP]["Webinar"][0] == _epoch(moved)

    # The VP's sales record is deleted from its file when a run writes to it (unlinked;
    # the person and their activities stay), and a2 is gone from the activity file (the
    # state keeps activities it read): the report's touches stay as they were.
    sales = data / "sales" / "leads.csv"
    write_csv(sales, [row for row in read_csv(sales) if row["Email"] != VP])
    write_csv(activities, [row for row in rows if row["activity_id"] != "a2"])
    leads = data / "marketing" / "leads.csv"
    write_csv(leads, [*read_csv(leads), marketing_lead("new@shop.example.com")])
    sync_json(workspace)
    assert _touches_match(workspace) == again


def test_touches_stored_by_a_run_not_yet_committed_are_read_from_the_activities(
    workspace: Path,
) -> None:
    sync_json(workspace)
    _touches_match(workspace)
    store = open_state(workspace)
    contract = load_workspace(workspace, create_plugins()).contract
    late = datetime(2030, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    try:
        # What a run does with each chunk of activities it reads, before its commit.
        store.store_activity_rows([("marketing", "a9", VP, "email_click", late, "Webinar", None)])
        assert stale_tokens(store) == [VP]
        loaded = report_touches(store, contract)
        assert loaded == report_touches_afresh(store, contract)
        assert loaded[VP]["Webinar"] == [late.timestamp()]
    finally:
        store.close()
    sync_json(workspace)  # the next commit rewrites the stale row
    assert _touches_match(workspace)[VP]["Webinar"] == [late.timestamp()]


def test_a_token_whose_activities_span_stored_chunks_is_kept_whole(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync marks a token for the commit's rewrite once, when its first activity of the
    run is stored: one activity per stored chunk, the VP's touches in chunks 1, 3 and 4
    and Carla's first in chunk 5, and an activity read again moving to a later chunk."""
    monkeypatch.setattr(activity_rows, "CHUNK", 1)
    activities = workspace.parent / "data" / "marketing" / "activities.csv"
    sync_json(workspace)
    rows = read_csv(activities)
    moved = [row for row in rows if row["activity_id"] == "a1"]
    rows = [row for row in rows if row["activity_id"] != "a1"]
    rows += [
        _activity("a3", VP, "Webinar", 0.5),
        _activity("a5", VP, "Launch", 2),
        _activity("a4", "  Carla.Diaz@Acme.example.com ", " Launch ", 4),
    ]
    rows += [row | {"occurred_at": iso(9), "campaign": "Webinar"} for row in moved]
    write_csv(activities, rows)
    sync_json(workspace)
    kept = _touches_match(workspace)
    assert {name: len(moments) for name, moments in kept[VP].items()} == {
        "Launch": 2,
        "Webinar": 2,
    }
    assert {name: len(moments) for name, moments in kept[CARLA].items()} == {"Launch": 1}
