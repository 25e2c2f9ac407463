"""The quick activity mapper gives what the canonical model gives, or steps aside.

Every system activity is mapped by :class:`ActivityMapper` when it can and by
:func:`read_activity` otherwise; a user must not be able to tell which one ran.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from sync_support import iso, open_state, read_csv, small_workspace, sync_json, write_csv

from funnelsync.mapping import Mapping, MappingError, read_activity
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine import activity_rows
from funnelsync.sync.engine.activity_rows import ActivityMapper, Engaged, MappedActivity
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.state.moments import moment_columns
from funnelsync.sync.workspace.loading import load_workspace

PLAIN = Mapping.model_validate(
    {
        "activity_fields": {
            "activity_id": "Id",
            "email": "Email",
            "type": {"field": "Type", "values": {"call": "Call", "sales_email": "Email"}},
            "occurred_at": "Date",
            "campaign": {"field": "Campaign", "transform": "strip"},
            "asset": "Asset",
        }
    }
)
FORMATTED = Mapping.model_validate(
    {
        "timezone": "Europe/Berlin",
        "activity_fields": {
            "activity_id": "Id",
            "email": "Email",
            "type": {"field": "Type", "transform": "lower"},
            "occurred_at": {"field": "Date", "format": ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]},
            "campaign": None,
            "asset": None,
        },
    }
)
BY_KEY = Mapping.model_validate(
    {
        "lead_key": {"key": "crm_id", "field": "Lead"},
        "activity_fields": {
            "activity_id": "Id",
            "email": None,
            "type": {"value": "meeting"},
            "occurred_at": "Date",
            "campaign": None,
            "asset": None,
        },
    }
)

AS_IS = Mapping.model_validate(
    {
        "timezone": "America/New_York",
        "activity_fields": {
            "activity_id": "Id",
            "email": "Email",
            "type": "Type",
            "occurred_at": "Date",
            "campaign": "Campaign",
            "asset": "Asset",
        },
    }
)
"""Every field read as it is (the CSV connector's default mapping, with a zone)."""

EMAILS = [
    "ann@example.com",
    " Ann@Example.COM ",
    "not an email",
    "",
    "a..b@example.com",
    "x@a.test",
]
TYPES = ["", "  ", "Call", "EMAIL", " call "]
DATES = [
    "2026-06-14T14:48:37Z",
    "2026-06-14T14:48:37+02:00",
    "2026-06-14 14:48:37",
    " 2026-06-14T14:48:37.250+05:30 ",
    "2026-06-14",
    "14/06/2026 14:48",
    "03/04/2026 10:00",
    "13/13/2026 10:00",
    "yesterday",
    "",
]
TEXTS = ["", "  ", " Spring Launch ", "\u2003"]
LEADS = ["0031", " 42 ", ""]


def _full(mapping: Mapping, fields: dict[str, Any]) -> MappedActivity | str:
    try:
        activity = read_activity(mapping, fields)
    except (MappingError, ValueError) as exc:
        return f"error: {exc}"
    return MappedActivity(
        activity.person_key,
        Engaged(activity.type, activity.occurred_at, activity.campaign, activity.asset),
    )


@pytest.mark.parametrize(
    "mapping", [PLAIN, FORMATTED, BY_KEY, AS_IS], ids=["plain", "formatted", "key", "as-is"]
)
def test_the_quick_mapper_agrees_with_the_canonical_model(mapping: Mapping) -> None:
    """Every combination of these values: the quick mapper gives the canonical model's
    activity (same instant and zone), or steps aside; it steps aside for every error."""
    mapper, quick_ones = ActivityMapper(mapping), 0
    for email, kind, date, campaign, asset, lead in product(
        EMAILS, TYPES, DATES, TEXTS, TEXTS, LEADS
    ):
        fields = {"Id": "A1", "Email": email, "Type": kind, "Date": date}
        fields |= {"Campaign": campaign, "Asset": asset, "Lead": lead}
        quick, full = mapper(fields), _full(mapping, fields)
        if quick is None:  # the engine takes the full path: nothing to compare
            continue
        quick_ones += 1
        assert isinstance(full, MappedActivity), (fields, full)
        assert quick == full, fields
        assert quick.engaged.occurred_at.tzinfo == full.engaged.occurred_at.tzinfo, fields
    assert quick_ones > 0


def test_the_quick_mapper_reads_a_plain_activity_itself() -> None:
    """The common case is not left to the full path (that is what makes it quick)."""
    fields = {
        "Id": "A1",
        "Email": " Ann@Example.com",
        "Type": "Call",
        "Date": "2026-06-14T14:48:37Z",
        "Campaign": " Spring ",
        "Asset": "",
    }
    found = ActivityMapper(PLAIN)(fields)
    assert found is not None
    assert found.token == "ann@example.com"
    assert found.engaged.type == "call"
    assert found.engaged.campaign == "Spring"
    assert found.engaged.asset is None


@pytest.mark.parametrize(
    "odd",
    [
        {"Date": datetime(2026, 6, 14, 14, 48, tzinfo=UTC)},
        {"Date": 1781448517},
        {"Type": 7},
        {"Email": None},
        {"Campaign": 5},
        {"Asset": ["x"]},
        {"Id": 12},
        {"Campaign": None, "Asset": None, "Id": None},
    ],
)
@pytest.mark.parametrize("mapping", [PLAIN, AS_IS], ids=["plain", "as-is"])
def test_a_value_that_is_not_text_is_read_as_the_canonical_model_reads_it(
    mapping: Mapping, odd: dict[str, Any]
) -> None:
    """A connector may hand over values that are not text (an API's numbers, times or
    nulls): the quick mapper gives the canonical model's activity or steps aside."""
    fields: dict[str, Any] = {"Id": "A1", "Email": "ann@example.com", "Type": "Call"}
    fields |= {"Date": "2026-06-14T14:48:37Z", "Campaign": "Spring", "Asset": "deck"} | odd
    quick, full = ActivityMapper(mapping)(fields), _full(mapping, fields)
    if quick is not None:
        assert quick == full


def test_the_quick_mapper_reads_an_as_is_activity_itself_in_the_mapping_zone() -> None:
    """Plain text columns (the CSV connector's defaults) are read without the full path,
    and a time without a zone is in the mapping's zone (not UTC)."""
    fields = {"Id": "A1", "Email": " Ann@Example.com", "Type": "Call ", "Date": "2026-06-14 09:00"}
    found = ActivityMapper(AS_IS)(fields | {"Campaign": " Spring ", "Asset": " "})
    assert found is not None
    assert found.token == "ann@example.com"
    assert found.engaged == Engaged(
        "Call ", datetime(2026, 6, 14, 13, 0, tzinfo=UTC), " Spring ", None
    )
    assert found.engaged.occurred_at.utcoffset() == timedelta(hours=-4)


def _plan_scores(config: Path) -> dict[str, Any]:
    """Marketing's planned engagement score per email, from a plan (dry run)."""
    plugins = create_plugins()
    result = run_sync(load_workspace(config, plugins), plugins, dry_run=True)
    return {
        planned.write.key: planned.write.fields.get("engagement_score")
        for planned in result.plans["marketing"].writes
    }


def _file_scores(config: Path) -> dict[str, str]:
    rows = read_csv(config.parent / "data/marketing/leads.csv")
    return {row["email"].strip().lower(): row["engagement_score"] for row in rows}


def test_a_plan_scores_with_the_activities_it_read_and_stores_none(workspace: Path) -> None:
    planned = _plan_scores(workspace)
    store = open_state(workspace)
    try:
        assert store.count("activities") == 0
    finally:
        store.close()
    sync_json(workspace)
    written = _file_scores(workspace)
    assert planned["vp@hospital.example.com"]
    assert str(planned["vp@hospital.example.com"]) == written["vp@hospital.example.com"]


def test_an_activity_read_again_replaces_its_stored_version_in_plan_and_sync(
    workspace: Path,
) -> None:
    sync_json(workspace)
    before = _file_scores(workspace)["vp@hospital.example.com"]
    path = workspace.parent / "data/marketing/activities.csv"
    rows = read_csv(path)
    for row in rows:  # the demo request was only a page view, the system says now
        row["type"] = "page_view" if row["activity_id"] == "a1" else row["type"]
    write_csv(path, rows)
    planned = _plan_scores(workspace)["vp@hospital.example.com"]
    sync_json(workspace)
    after = _file_scores(workspace)["vp@hospital.example.com"]
    assert int(after) < int(before)
    assert str(planned) == after


def _explanation(config: Path, email: str) -> str | None:
    store = open_state(config)
    try:
        found = store.person_by_key(email)
    finally:
        store.close()
    assert found is not None
    return found[1].explanation


def _add_equal_activities(config: Path, a3_email: str) -> None:
    """Give ``a3_email`` an email open and the VP a page view of equal points (a tie in
    the VP's breakdown when ``a3_email`` is the VP's)."""
    path = config.parent / "data/marketing/activities.csv"
    rows = [row for row in read_csv(path) if row["activity_id"] not in {"a3", "a4"}]
    for activity_id, kind, email in (
        ("a3", "email_open", a3_email),
        ("a4", "page_view", "vp@hospital.example.com"),
    ):
        rows.append(
            {
                "activity_id": activity_id,
                "email": email,
                "type": kind,
                "occurred_at": iso(5),
                "campaign": "",
                "asset": "",
            }
        )
    write_csv(path, rows)


def test_ties_in_the_explanation_do_not_depend_on_how_activities_were_stored(
    workspace: Path, tmp_path: Path
) -> None:
    _add_equal_activities(workspace, "student@uni.example.edu")
    sync_json(workspace)
    # a3 read again, now the VP's: its row is stored anew (PostgreSQL puts it last)
    _add_equal_activities(workspace, "vp@hospital.example.com")
    sync_json(workspace)
    fresh = small_workspace(tmp_path / "fresh")
    _add_equal_activities(fresh, "vp@hospital.example.com")
    sync_json(fresh)
    explained = _explanation(workspace, "vp@hospital.example.com")
    assert explained is not None and "email open" in explained and "page view" in explained
    assert explained == _explanation(fresh, "vp@hospital.example.com")


def test_activities_stored_in_many_chunks_keep_every_row_and_quarantine_the_bad_one(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 3 (one transaction each): a row that cannot be read, in the middle of a
    chunk, is quarantined with its line and reason; every row around it is stored as
    read (a time without a zone in the mapping's zone, UTC here); an activity read again
    replaces its stored version, and one fixed leaves the quarantine."""
    monkeypatch.setattr(activity_rows, "CHUNK", 3)
    path = workspace.parent / "data/marketing/activities.csv"
    rows = read_csv(path)
    times = {
        "b1": "2026-06-14T14:48:37Z",
        "b2": "2026-06-14T14:48:37.250+05:30",
        "b3": "yesterday",
        "b4": "2026-06-14 09:00:00",
        "b5": "2026-06-15T10:00:00-03:00",
        "b6": "2026-06-16T10:00:00Z",
    }
    for activity_id, moment in times.items():
        rows.append(
            {
                "activity_id": activity_id,
                "email": "Student@uni.example.edu",
                "type": "page_view",
                "occurred_at": moment,
                "campaign": " Spring " if activity_id == "b2" else "",
                "asset": "pricing",
            }
        )
    write_csv(path, rows)
    sync_json(workspace)
    store = open_state(workspace)
    try:
        stored = {a.activity_id: a for a in store.activities(None) if a.connection == "marketing"}
        quarantined = {q.record_key: q for q in store.quarantine("marketing")}
    finally:
        store.close()
    assert set(stored) == {"a1", "a2", "b1", "b2", "b4", "b5", "b6"}
    assert {k: stored[k].occurred_at.isoformat() for k in ("b1", "b2", "b4", "b5")} == {
        "b1": "2026-06-14T14:48:37+00:00",
        "b2": "2026-06-14T14:48:37.250000+05:30",
        "b4": "2026-06-14T09:00:00+00:00",
        "b5": "2026-06-15T10:00:00-03:00",
    }
    assert (stored["b2"].campaign, stored["b1"].campaign) == (" Spring ", None)
    assert {a.email for k, a in stored.items() if k.startswith("b")} == {"student@uni.example.edu"}
    bad = quarantined["activity:b3"]
    assert bad.location == "activities.csv:6"
    assert "occurred_at" in bad.reason and "yesterday" in bad.reason
    rows[-1]["type"] = "demo_request"  # b6, read again with another type
    rows[-4]["occurred_at"] = "2026-06-14T12:00:00Z"  # b3, fixed in the system
    write_csv(path, rows)
    sync_json(workspace)
    store = open_state(workspace)
    try:
        again = {a.activity_id: a for a in store.activities(None) if a.connection == "marketing"}
        still = {q.record_key for q in store.quarantine("marketing")}
    finally:
        store.close()
    assert again["b6"].type == "demo_request"
    assert again["b3"].occurred_at.isoformat() == "2026-06-14T12:00:00+00:00"
    assert "activity:b3" not in still
    assert {k: (a.type, a.occurred_at) for k, a in again.items() if k not in {"b3", "b6"}} == {
        k: (a.type, a.occurred_at) for k, a in stored.items() if k != "b6"
    }


ROW_DATES = [
    *DATES,
    "2026-06-14T14:48:37+00:00",
    "2026-06-14 14:48:37-05:30",
    "2026-06-14T14:48:37.5Z",
    "2026-02-29T10:00:00Z",
    "2026-06-14T24:00:00Z",
    "2026-06-14T14:48:60+00:00",
    "2026-06-14T14:48:37+24:00",
    "2026-11-01T01:30:00",  # zone-less, in the hour New York repeats
]


@pytest.mark.parametrize("mapping", [AS_IS, PLAIN], ids=["as-is", "plain"])
def test_the_stored_row_is_the_canonical_activity_with_its_time_as_stored(
    mapping: Mapping,
) -> None:
    """What a sync stores straight from a record (:meth:`ActivityMapper.row`) is the
    canonical model's activity, its time as the store's integers; or it steps aside."""
    mapper, rows = ActivityMapper(mapping), 0
    for email, kind, date, campaign, asset in product(EMAILS, TYPES, ROW_DATES, TEXTS, TEXTS):
        fields = {"Id": "A1", "Email": email, "Type": kind, "Date": date}
        fields |= {"Campaign": campaign, "Asset": asset}
        row = mapper.row("crm", "A1", fields)
        if row is None:
            continue
        rows += 1
        full = _full(mapping, fields)
        assert isinstance(full, MappedActivity), (fields, full)
        engaged = full.engaged
        when = moment_columns(engaged.occurred_at)
        assert row == ("crm", "A1", full.token, engaged.type, *when, *engaged[2:]), fields
    # The shortcut is taken for plain columns (and only for them).
    assert (rows > 0) == (mapping is AS_IS)
