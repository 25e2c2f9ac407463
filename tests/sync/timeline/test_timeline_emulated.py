"""Acceptance of issue 16.3 on the emulated demo: significant activities appear as
Salesforce Tasks and HubSpot notes, once each after three syncs and after SIGKILLs in the
middle of writing them, and reading them back never counts as new engagement."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from timeline_support import Emulated, emulated_workspace

from funnelsync.sync.engine.activity_push import entry_ref

pytestmark = pytest.mark.slow  # each builds the emulated demo and syncs it several times


def _activities(emulated: Emulated) -> set[tuple[str, str]]:
    """Every stored activity; none may be one of funnelsync's own entries."""
    stored = set(emulated.query("SELECT connection, activity_id FROM activities"))
    ours = set(emulated.query("SELECT connection, entry_id FROM timeline"))
    assert not stored & ours, "an entry funnelsync wrote was stored as engagement"
    return stored


def _scores(emulated: Emulated) -> dict[int, tuple[int, int]]:
    rows = emulated.query("SELECT person_id, lead FROM persons")
    leads = {pid: json.loads(lead) for pid, lead in rows}
    return {pid: (lead["engagement_score"], lead["score"]) for pid, lead in leads.items()}


def test_significant_activities_land_once_as_tasks_and_notes_over_three_syncs(
    tmp_path: Path,
) -> None:
    with emulated_workspace(tmp_path / "demo") as emulated:
        first = emulated.sync()
        tasks, notes = emulated.task_refs(), emulated.note_refs()
        assert len(tasks) > 10 and len(notes) > 10
        assert set(tasks.values()) == {1} and set(notes.values()) == {1}
        assert set(tasks) == emulated.written("salesforce")
        assert set(notes) == emulated.written("hubspot")
        scores, stored = _scores(emulated), _activities(emulated)

        second = emulated.sync()
        # Sync 2 reads what changed since sync 1, the Tasks and notes included: none of
        # them is new engagement, and no score moves.
        assert _activities(emulated) == stored
        assert _scores(emulated) == scores
        third = emulated.sync()
        assert emulated.task_refs() == tasks and emulated.note_refs() == notes
        assert _scores(emulated) == scores and _activities(emulated) == stored
        for result in (first, second, third):
            assert result.report.status.value == "ok", result.report.status_rule
        assert not any("written to the timeline" in note for note in third.report.notes)

        # A state database that lost its timeline rows (rebuilt) asks the systems first.
        emulated.execute("DELETE FROM timeline")
        fourth = emulated.sync()
        assert emulated.task_refs() == tasks and emulated.note_refs() == notes
        assert emulated.written("salesforce") == set(tasks)
        assert (
            f"salesforce: {len(tasks)} timeline entries were already there (funnelsync's state "
            "had none of them): recorded, not sent again" in fourth.report.notes
        )

        # Each entry stands for one significant activity read from the *other* system, of a
        # person at MQL or later, on that person's record; a Task reads like one.
        rows = emulated.query(
            "SELECT t.connection, t.source, y.name, p.stage FROM timeline t "
            "JOIN activities a ON a.connection = t.source AND a.activity_id = t.activity_id "
            "JOIN activity_types y ON y.type_id = a.type_id "
            "JOIN persons p ON p.person_id = t.person_id"
        )
        assert {(c, s) for c, s, _, _ in rows} == {
            ("salesforce", "hubspot"),
            ("hubspot", "salesforce"),
        }
        assert {kind for _, _, kind, _ in rows} <= {"form_fill", "webinar_attended", "meeting"}
        assert {stage for _, _, _, stage in rows} <= {"mql", "sql", "opportunity"}
        task = next(
            t for t in emulated.salesforce.org.table("Task").values() if t.get("Funnelsync_Ref__c")
        )
        assert task["Status"] == "Completed" and task["Type"] == "Other"
        assert str(task["Subject"]).startswith("Form submitted") and "Campaign:" in str(
            task["Description"]
        )
        linked = emulated.query(
            "SELECT l.record_id FROM timeline t JOIN links l ON l.person_id = t.person_id "
            "AND l.connection = 'salesforce' WHERE t.ref = ?",
            task["Funnelsync_Ref__c"],
        )
        assert task["WhoId"] in {row[0] for row in linked}


def _sync_process(emulated: Emulated) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "import sys; from funnelsync.sync.cli.main import main; sys.exit(main())",
        "sync",
        "--config",
        str(emulated.config_path),
    ]
    return subprocess.Popen(
        command,
        env={**os.environ, **emulated.environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(what: str, condition: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _pending(emulated: Emulated, connection: str) -> int:
    if not emulated.database.exists():
        return 0
    rows = emulated.query(
        "SELECT count(*) FROM timeline WHERE connection = ? AND status = 'pending'", connection
    )
    return int(rows[0][0])


def _kill_while_writing(emulated: Emulated, connection: str, held: Callable[[], bool]) -> None:
    """Sync in another process and SIGKILL it while its timeline call to ``connection``
    waits for an answer: its pending rows are saved and the system ``held`` the call."""
    process = _sync_process(emulated)
    try:
        _wait_for(f"pending rows of {connection}", lambda: _pending(emulated, connection) > 0)
        _wait_for(f"{connection} to hold the call", held)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_a_sync_killed_while_writing_them_leaves_each_entry_once(tmp_path: Path) -> None:
    with emulated_workspace(tmp_path / "demo") as emulated:
        emulated.sync()
        tasks, notes = emulated.task_refs(), emulated.note_refs()
        # New significant activities for three people who already have entries both ways:
        # a meeting in Salesforce (a note for HubSpot), a form fill in HubSpot (a Task).
        both = emulated.query(
            "SELECT person_id FROM timeline GROUP BY person_id "
            "HAVING count(DISTINCT connection) = 2 ORDER BY person_id LIMIT 3"
        )
        assert len(both) == 3
        now = datetime.now(UTC).replace(microsecond=0)
        for (person_id,) in both:
            records = dict(
                emulated.query(
                    "SELECT connection, record_id FROM links WHERE person_id = ?", person_id
                )
            )
            emulated.salesforce.org.add_event(records["salesforce"], Subject="Pricing review")
            emulated.hubspot.portal.update_contact(
                records["hubspot"],
                {
                    "recent_conversion_date": now.isoformat(),
                    "recent_conversion_event_name": "demo-request-form",
                },
                modified_at=now,
            )
        # Killed while HubSpot holds the notes call: HubSpot creates the notes afterwards.
        emulated.hubspot.portal.hang_next(1, path="/notes/batch/create", seconds=4)
        hangs = emulated.hubspot.portal.traffic.hangs
        _kill_while_writing(emulated, "hubspot", lambda: all(h.count == 0 for h in hangs))
        _wait_for("the held notes to land", lambda: len(emulated.note_refs()) == len(notes) + 3)
        landed = set(emulated.note_refs()) - set(notes)
        assert set(emulated.task_refs()) == set(tasks), "Salesforce was not reached"

        # Killed while Salesforce holds the Tasks call: it never creates them.
        emulated.salesforce.server.fail_next(
            1, "hang", path="composite/sobjects", method="POST", hang_s=4
        )
        faults = emulated.salesforce.server.traffic.faults
        _kill_while_writing(emulated, "salesforce", lambda: all(f.count == 0 for f in faults))
        assert emulated.task_refs() == tasks
        # That run began by finding HubSpot's three pending notes there: written, not resent.
        assert _pending(emulated, "hubspot") == 0
        assert landed <= emulated.written("hubspot")
        assert len(emulated.note_refs()) == len(notes) + 3

        settled = emulated.sync()
        assert (
            "salesforce: 3 timeline entries a stopped run left pending: 0 had landed, 3 are sent "
            "again" in settled.report.notes
        )
        assert (
            "salesforce: 3 significant activities written to the timeline" in settled.report.notes
        )
        assert emulated.note_refs() == {**notes, **dict.fromkeys(landed, 1)}
        new_tasks = emulated.task_refs() - tasks
        assert len(new_tasks) == 3 and set(new_tasks.values()) == {1}
        assert set(emulated.task_refs().values()) == {1}
        assert emulated.written("salesforce") == set(emulated.task_refs())
        assert emulated.written("hubspot") == set(emulated.note_refs())
        assert _pending(emulated, "hubspot") == _pending(emulated, "salesforce") == 0
        # The new entries are the three new activities of each side.
        meetings = emulated.query(
            "SELECT connection, activity_id FROM activities a "
            "JOIN activity_types y ON y.type_id = a.type_id "
            "WHERE y.name = 'meeting' AND a.connection = 'salesforce'"
        )
        assert landed <= {entry_ref(c, a) for c, a in meetings}

        stored, scores = _activities(emulated), _scores(emulated)
        emulated.sync()
        assert _activities(emulated) == stored and _scores(emulated) == scores
        assert emulated.task_refs() == tasks + new_tasks
        assert len(emulated.note_refs()) == len(notes) + 3
