"""Timeline planning (SQLite and PostgreSQL state): exactly the significant activities of
sales-visible, linked persons that the target connection has no entry of yet are planned,
and a run after they are recorded plans nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sync_support import open_state

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.engine.activity_push import entry_ref, plan_timeline
from funnelsync.sync.state.person_rows import person_row_chunks
from funnelsync.sync.state.store import RunCommit, StateStore, StoredActivity
from funnelsync.sync.state.timeline import PlannedEntry, TimelineStore
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.timeline import Timeline

AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)
PEOPLE = {
    1: ("mql@example.com", "mql", ["sales", "marketing"]),
    2: ("sub@example.com", "subscriber", ["sales", "marketing"]),  # not sales-visible
    3: ("sal@example.com", "sal", ["marketing"]),  # visible, no sales record
    4: ("sql@example.com", "sql", ["sales", "marketing"]),
}


def _contract(config: Path) -> FunnelContract:
    loaded = load_workspace(config, create_plugins()).contract
    timeline = Timeline(significant=["form_fill", "demo_request"], lookback_days=30)
    return FunnelContract.model_validate({**loaded.model_dump(), "timeline": timeline.model_dump()})


def _activity(
    source: str, activity_id: str, person: int, kind: str, days_ago: float
) -> StoredActivity:
    email = PEOPLE[person][0]
    return StoredActivity(
        source, activity_id, email, kind, AS_OF - timedelta(days=days_ago), "Spring", None
    )


def _state(store: StateStore) -> None:
    activities = [
        _activity("marketing", "new-1", 1, "form_fill", 2),  # new: to sales
        _activity("marketing", "old-1", 1, "form_fill", 3),  # written to sales already
        _activity("marketing", "pend-1", 1, "demo_request", 4),  # pending in sales
        _activity("marketing", "view-1", 1, "page_view", 1),  # not significant
        _activity("marketing", "gone-1", 1, "form_fill", 31),  # older than the lookback
        _activity("marketing", "sub-1", 2, "form_fill", 1),  # subscriber: not visible
        _activity("marketing", "sal-1", 3, "form_fill", 1),  # no sales record
        _activity("sales", "call-4", 4, "demo_request", 1),  # from sales: to marketing only
        _activity("web", "web-4", 4, "form_fill", 5),  # in sales already; not in marketing
        _activity("marketing", "new-4", 4, "demo_request", 6),
    ]
    store.commit_run(
        RunCommit(
            run_id="r1",
            at=AS_OF.isoformat(),
            persons=person_row_chunks(
                {pid: Lead(email=email, stage=stage) for pid, (email, stage, _) in PEOPLE.items()}
            ),
            links=[
                ((connection, f"{connection}-{pid}"), pid)
                for pid, (_, _, connections) in PEOPLE.items()
                for connection in connections
            ],
            ledger_rows=[],
            activities=activities,
            stage_moves=[],
            quarantined=[],
            resolved=[],
            settings={},
            cursors={},
            person_keys=[(email, pid) for pid, (email, _, _) in PEOPLE.items()],
        )
    )
    timeline = TimelineStore(store.engine)
    recorded = [
        PlannedEntry("sales", entry_ref(source, aid), pid, source, aid)
        for source, aid, pid in [
            ("marketing", "old-1", 1),
            ("marketing", "pend-1", 1),
            ("web", "web-4", 4),
        ]
    ]
    timeline.begin(recorded, "r1", AS_OF.isoformat())
    timeline.finish(
        "sales", {entry_ref("marketing", "old-1"): "t-1", entry_ref("web", "web-4"): "t-2"}, {}
    )


def _planned(store: StateStore, contract: FunnelContract) -> dict[str, list[tuple[str, str, str]]]:
    plans = plan_timeline(store, contract, ["sales", "marketing"], AS_OF)
    return {
        name: [(entry.source, entry.activity_id, write.record_id) for entry, write in entries]
        for name, entries in plans.items()
    }


def test_only_what_a_connection_has_no_entry_of_is_planned(workspace: Path) -> None:
    contract = _contract(workspace)
    store = open_state(workspace)
    try:
        _state(store)
        assert _planned(store, contract) == {
            "sales": [("marketing", "new-4", "sales-4"), ("marketing", "new-1", "sales-1")],
            "marketing": [
                ("web", "web-4", "marketing-4"),
                ("sales", "call-4", "marketing-4"),
            ],
        }
        plans = plan_timeline(store, contract, ["sales", "marketing"], AS_OF)
        timeline = TimelineStore(store.engine)
        for name, entries in plans.items():
            timeline.begin([entry for entry, _ in entries], "r2", AS_OF.isoformat())
            timeline.finish(name, {entry.ref: entry.ref for entry, _ in entries}, {})
        assert _planned(store, contract) == {}
    finally:
        store.close()
