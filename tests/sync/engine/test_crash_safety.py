"""Crash safety (issue 3, item 7): SIGKILL a real ``funnelsync sync`` and run it again.

A generated two-system CSV workspace is synced once without interruption (the
reference). Then, for each kill point, a pristine copy of the workspace is synced by a
``funnelsync sync`` subprocess that is killed with SIGKILL at that point, and synced
again to completion. Every copy must end exactly like the reference: the same lead rows
in every system (no update lost, no row duplicated), the same activities files, the same
cursors, links, persons and quarantine in the state database. A second phase then
changes the same things outside funnelsync in the reference and in every copy (a sales
lead's status, a marketing lead's title, a new activity) and syncs once more: the runs
must read and write the same and end the same, which they cannot if a cursor had moved
past changes that were never processed, or if the ledger were wrong.

The kill points come from ``crash_plugin`` (next to this file): a test-only ``killable_csv``
connector plugin, registered through the ``funnelsync.plugins`` entry point of a throwaway
distribution on the subprocess's ``PYTHONPATH``. It numbers every operation of a run
(each read batch, each ``write_leads`` call before and after it reaches the file, the
first stage and quarantine notices) and kills its own process at the number in
``$FUNNELSYNC_TEST_KILL_AT``. The reference run traces those operations; each kill point
is chosen by its role (``marketing-last-after``: the last marketing batch landed in the
file, not yet recorded) and resolved to its number there, so the test follows the plan
when the data or the contract changes.

``marketing-first-create-recorded`` (the first batch that creates records landed and
was recorded, their persons not yet committed) caught a real bug: the re-run trusted
links to persons that only the killed run knew, merged two people and left others
unscored, and every later run failed. Fixed in ``StateStore.load_identity``.

All of the work runs once, in a module fixture, several copies at a time; each kill
point is then its own test case.

Every kill point here is in a workspace's first sync, which recomputes everyone anyway.
``test_crash_pending_writes.py`` kills a later sync between the two systems' writes, where
only the persons saved as pending before writing make the next run finish the job.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from crash_lab import Checkpoint, Lab, Trace, install_plugin, read_trace, stage_date_columns
from sqlalchemy import text
from sync_support import open_state, postgres_database

from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.workspace.scaffold import write_templates

pytestmark = pytest.mark.slow

SEED = 11
LEADS = 150
ACTIVITIES = 1_500

# --- the kill points ------------------------------------------------------------------------


Finder = Callable[[Trace], Checkpoint]


def _matching(trace: Trace, pattern: str) -> list[Checkpoint]:
    return [c for c in trace if re.fullmatch(pattern, c.label)]


def _nth(pattern: str, pick: Callable[[int], int]) -> Finder:
    """The checkpoint ``pick(count)`` (0-based) among those whose label matches ``pattern``."""

    def find(trace: Trace) -> Checkpoint:
        found = _matching(trace, pattern)
        assert found, f"the reference run reached no checkpoint matching {pattern!r}"
        return found[pick(len(found))]

    return find


def _first(count: int) -> int:
    return 0


def _second(count: int) -> int:
    return min(1, count - 1)


def _middle(count: int) -> int:
    return count // 2


def _last(count: int) -> int:
    return count - 1


def _write_calls(trace: Trace, connection: str) -> list[Checkpoint]:
    return _matching(trace, rf"write {connection} #\d+ before")


def _write(connection: str, when: str, pick: Callable[[list[Checkpoint]], Checkpoint]) -> Finder:
    """The ``when`` (``before``/``after``) checkpoint of a chosen write call of ``connection``."""

    def find(trace: Trace) -> Checkpoint:
        calls = _write_calls(trace, connection)
        assert calls, f"the reference run wrote nothing to {connection}"
        wanted = pick(calls).label.removesuffix(" before") + f" {when}"
        [found] = [c for c in trace if c.label == wanted]
        return found

    return find


def _index(pick: Callable[[int], int]) -> Callable[[list[Checkpoint]], Checkpoint]:
    return lambda calls: calls[pick(len(calls))]


def _first_create(calls: list[Checkpoint]) -> Checkpoint:
    found = [c for c in calls if c.creates]
    assert found, "the reference run created no record here"
    return found[0]


def _after_first_create(calls: list[Checkpoint]) -> Checkpoint:
    return calls[calls.index(_first_create(calls)) + 1]


@dataclass(frozen=True, slots=True)
class KillPoint:
    """Where to kill a first sync: an id, what is done by then, and how to find it."""

    id: str
    state: str
    find: Finder


KILL_POINTS = (
    KillPoint(
        "read-first-batch",
        "nothing read yet (first marketing lead batch about to reach the engine)",
        _nth(r"read marketing leads \d+/\d+", _first),
    ),
    KillPoint(
        "read-marketing-leads-cursor-batch",
        "reading: the marketing lead batch carrying the cursor",
        _nth(r"read marketing leads \d+/\d+", _last),
    ),
    KillPoint(
        "read-marketing-activities-first",
        "reading: marketing leads read, activities not yet",
        _nth(r"read marketing activities \d+/\d+", _first),
    ),
    KillPoint(
        "read-marketing-activities-middle",
        "reading: halfway through the marketing activities",
        _nth(r"read marketing activities \d+/\d+", _middle),
    ),
    KillPoint(
        "read-sales-leads-first",
        "reading: marketing read in full, sales not yet",
        _nth(r"read sales leads \d+/\d+", _first),
    ),
    KillPoint(
        "read-last-batch",
        "reading: the very last read batch (sales activities, with its cursor)",
        _nth(r"read sales activities \d+/\d+", _last),
    ),
    KillPoint(
        "planned-nothing-written",
        "everything read, merged, scored and planned; first stage notice; no write yet",
        _nth(r"stage notices", _first),
    ),
    KillPoint(
        "marketing-1-before",
        "marketing: first write call about to reach the file",
        _write("marketing", "before", _index(_first)),
    ),
    KillPoint(
        "marketing-1-after",
        "marketing: first batch landed in the file, not yet recorded",
        _write("marketing", "after", _index(_first)),
    ),
    KillPoint(
        "marketing-2-before",
        "marketing: first batch landed and recorded, second not written",
        _write("marketing", "before", _index(_second)),
    ),
    KillPoint(
        "marketing-2-after",
        "marketing: second batch landed, not yet recorded",
        _write("marketing", "after", _index(_second)),
    ),
    KillPoint(
        "marketing-middle-before",
        "marketing: half the batches written and recorded",
        _write("marketing", "before", _index(_middle)),
    ),
    KillPoint(
        "marketing-middle-after",
        "marketing: the middle batch landed, not yet recorded",
        _write("marketing", "after", _index(_middle)),
    ),
    KillPoint(
        "marketing-first-create-after",
        "marketing: the first batch creating records landed, not yet recorded",
        _write("marketing", "after", _first_create),
    ),
    KillPoint(
        "marketing-first-create-recorded",
        "marketing: the first created records landed and recorded (ledger, links), "
        "their persons not yet committed",
        _write("marketing", "before", _after_first_create),
    ),
    KillPoint(
        "marketing-last-before",
        "marketing: all but the last batch written and recorded",
        _write("marketing", "before", _index(_last)),
    ),
    KillPoint(
        "marketing-last-after",
        "marketing: every batch landed, the last not recorded; sales untouched",
        _write("marketing", "after", _index(_last)),
    ),
    KillPoint(
        "sales-1-before",
        "between connections: marketing written and recorded, nothing written to sales",
        _write("sales", "before", _index(_first)),
    ),
    KillPoint(
        "sales-1-after",
        "sales: first batch landed, not yet recorded",
        _write("sales", "after", _index(_first)),
    ),
    KillPoint(
        "sales-middle-before",
        "sales: half the batches written and recorded",
        _write("sales", "before", _index(_middle)),
    ),
    KillPoint(
        "sales-middle-after",
        "sales: the middle batch landed, not yet recorded",
        _write("sales", "after", _index(_middle)),
    ),
    KillPoint(
        "sales-last-before",
        "sales: all but the last batch written and recorded",
        _write("sales", "before", _index(_last)),
    ),
    KillPoint(
        "sales-last-after",
        "after all writes: the last sales batch landed, not recorded; no final commit",
        _write("sales", "after", _index(_last)),
    ),
    KillPoint(
        "written-not-committed",
        "after all writes, all recorded: first quarantine notice, before the final commit",
        _nth(r"quarantine notices", _first),
    ),
)


# --- running funnelsync -----------------------------------------------------------------------


def _pristine_workspace(target: Path, as_of: datetime, identity: str) -> Path:
    """The scaffolded workspace with generated data, both connections on ``killable_csv``.

    With ``identity`` ``person_ref``, people are matched first by a ``Person Ref`` column in
    both lead files (a custom attribute), then by email, so that links, persons and the
    re-runs go through a non-email identity key.
    """
    config_path = write_templates(target, with_empty_data=True)
    generate_demo_data(target / "data", seed=SEED, leads=LEADS, activities=ACTIVITIES, as_of=as_of)
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for connection in config["connections"].values():
        assert connection["connector"] == "csv"
        connection["connector"] = "killable_csv"
    if identity == "person_ref":
        _add_person_refs(target, config)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


def _add_person_refs(target: Path, config: dict[str, Any]) -> None:
    """A ``Person Ref`` column (derived from the email) in both lead files, as identity key."""
    for name, email_column in (("marketing", "email"), ("sales", "Email")):
        path = target / "data" / name / "leads.csv"
        header, rows = _read_rows(path)
        position = header.index(email_column)
        for row in rows:
            if len(row) == len(header):
                row.append(f"ref-{row[position].strip().casefold()[::-1]}")
        _write_rows(path, [*header, "Person Ref"], rows)
        mapping = config["connections"][name].setdefault("mapping", {})
        mapping.setdefault("lead_fields", {})["person_ref"] = "Person Ref"
    config["identity"] = {"keys": ["person_ref", "email"]}
    contract_path = target / "contract.yaml"
    contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
    contract["attributes"] = {"person_ref": {"type": "text"}}
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")


# --- the outside change of the second phase ------------------------------------------------


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def _edit_lead(path: Path, key_column: str, key: str, changes: Mapping[str, str]) -> None:
    header, rows = _read_rows(path)
    key_at = header.index(key_column)
    [row] = [r for r in rows if len(r) == len(header) and r[key_at].strip().casefold() == key]
    for column, value in changes.items():
        row[header.index(column)] = value
    _write_rows(path, header, rows)


@dataclass(frozen=True, slots=True)
class OutsideChange:
    """Edits made in the systems between two syncs, as a person would make them."""

    sales_email: str
    marketing_email: str
    at: str

    def apply(self, workspace: Path) -> None:
        data = workspace / "data"
        _edit_lead(
            data / "sales" / "leads.csv",
            "Email",
            self.sales_email,
            {"Status": "Qualified", "Last Modified": self.at},
        )
        _edit_lead(
            data / "marketing" / "leads.csv",
            "email",
            self.marketing_email,
            {"title": "VP Revenue Operations", "updated_at": self.at},
        )
        header, rows = _read_rows(data / "marketing" / "activities.csv")
        new = {"activity_id": "MA-CRASH-1", "email": self.marketing_email}
        new |= {"type": "demo_request", "occurred_at": self.at, "campaign": "", "asset": ""}
        rows.append([new.get(column, "") for column in header])
        _write_rows(data / "marketing" / "activities.csv", header, rows)


def _outside_change(pristine: Path, at: datetime) -> OutsideChange:
    """A sales lead not yet Qualified and a marketing lead, both with valid emails."""
    data = pristine / "data"
    header, rows = _read_rows(data / "sales" / "leads.csv")
    email, status = header.index("Email"), header.index("Status")
    sales = next(r[email] for r in rows if "@" in r[email] and r[status] != "Qualified")
    header, rows = _read_rows(data / "marketing" / "leads.csv")
    email = header.index("email")
    marketing = next(r[email] for r in rows if len(r) == len(header) and "@" in r[email])
    return OutsideChange(sales.strip().casefold(), marketing.strip().casefold(), at.isoformat())


# --- what a workspace ended with ------------------------------------------------------------


def _leads(path: Path, key_column: str, stage_dates: set[str]) -> dict[str, Any]:
    """Rows by normalised key; a key on two rows is listed under ``duplicates``.

    Stage dates hold the time of the run that set them; only their day is compared (the
    fixture makes sure every run fell on one UTC day).
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows: dict[str, dict[str, str]] = {}
        duplicates: list[str] = []
        for row in reader:
            key = (row.get(key_column) or "").strip().casefold()
            if key in rows:
                duplicates.append(key)
            rows[key] = {
                column: (value or "")[:10] if column in stage_dates else value or ""
                for column, value in row.items()
                if column is not None
            }
    return {"header": reader.fieldnames, "rows": rows, "duplicates": duplicates}


def _state(workspace: Path) -> dict[str, Any]:
    """The state rows that must match, from the workspace's SQLite file or PostgreSQL."""
    store = open_state(workspace / "funnelsync.yaml")
    try:
        with store.engine.connect() as db:

            def rows(query: str) -> list[Any]:
                return [tuple(row) for row in db.execute(text(query))]

            cursors = {
                f"{connection}/{stream}": value
                for connection, stream, value in rows(
                    "SELECT connection, stream, value FROM cursors"
                )
            }
            links = {
                f"{connection}/{record_id}": email
                for connection, record_id, email in rows(
                    "SELECT l.connection, l.record_id, p.email "
                    "FROM links l LEFT JOIN persons p ON p.person_id = l.person_id"
                )
            }
            persons = dict(rows("SELECT email, stage FROM persons"))
            keys = sorted(
                rows(
                    "SELECT k.token, p.email FROM person_keys k "
                    "LEFT JOIN persons p ON p.person_id = k.person_id"
                )
            )
            [(person_count,)] = rows("SELECT count(*) FROM persons")
            quarantine = sorted(
                f"{connection}/{record_key}/{kind}"
                for connection, record_key, kind in rows(
                    "SELECT connection, record_key, kind FROM quarantine"
                )
            )
    finally:
        store.close()
    return {
        "cursors": cursors,
        "links": links,
        "persons": persons,
        "person keys": keys,
        "person rows": person_count,
        "quarantine": quarantine,
    }


def snapshot(workspace: Path) -> dict[str, Any]:
    """Every system's contents and the workspace's state, comparable across runs."""
    data = workspace / "data"
    stage_dates = stage_date_columns(workspace)
    return {
        "marketing leads": _leads(data / "marketing" / "leads.csv", "email", stage_dates),
        "sales leads": _leads(data / "sales" / "leads.csv", "Email", stage_dates),
        "activities": {
            name: (data / name).read_text(encoding="utf-8")
            for name in ("marketing/activities.csv", "sales/activities.csv")
        },
        "files": sorted(str(p.relative_to(data)) for p in data.rglob("*")),
        **_state(workspace),
    }


def differences(expected: Any, actual: Any, where: str = "", limit: int = 8) -> list[str]:
    """Where ``actual`` differs from ``expected`` (at most ``limit`` paths)."""
    found: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if len(found) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                if key not in b:
                    found.append(f"{path}/{key}: missing (reference: {a[key]!r:.160})")
                elif key not in a:
                    found.append(f"{path}/{key}: extra ({b[key]!r:.160})")
                else:
                    walk(a[key], b[key], f"{path}/{key}")
            return
        found.append(f"{path}: {b!r:.240} (reference: {a!r:.240})")

    walk(expected, actual, where)
    return found


def _report_differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Differences section by section (systems first), a few of each."""
    return [
        line
        for section in expected
        for line in differences(expected[section], actual.get(section), section)
    ]


def _counts(completed: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """What the run changed in each system. How many records it read or found unchanged
    depends on what earlier (possibly killed) runs already absorbed, so those are left out."""
    report = json.loads(completed.stdout)
    return {
        "status": report["status"],
        "connections": {
            name: {key: counts[key] for key in ("created", "updated", "quarantined")}
            for name, counts in report["connections"].items()
        },
    }


# --- the runs -------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """What happened to one copy: the runs' results and the snapshots after each phase."""

    point: KillPoint
    at: Checkpoint
    killed: subprocess.CompletedProcess[str] | None = None
    killed_trace: Trace = field(default_factory=list)
    recovered: subprocess.CompletedProcess[str] | None = None
    first: dict[str, Any] = field(default_factory=dict)
    second_run: subprocess.CompletedProcess[str] | None = None
    second: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    trace: Trace
    first: dict[str, Any]
    second_counts: dict[str, Any]
    second: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Results:
    reference: Reference
    outcomes: dict[str, Outcome]


def _run_case(lab: Lab, change: OutsideChange, outcome: Outcome) -> Outcome:
    workspace = lab.copy(f"kill-{outcome.at.number:03d}-{outcome.point.id}")
    trace = workspace.parent / f"{workspace.name}.trace"
    try:
        outcome.killed = lab.sync(workspace, kill_at=outcome.at.number, trace=trace)
        outcome.killed_trace = read_trace(trace)
        if outcome.killed.returncode != -signal.SIGKILL:
            return outcome
        outcome.recovered = lab.sync(workspace)
        if outcome.recovered.returncode != 0:
            return outcome
        outcome.first = snapshot(workspace)
        change.apply(workspace)
        outcome.second_run = lab.sync(workspace)
        outcome.second = snapshot(workspace)
    except Exception as exc:  # noqa: BLE001 - reported by the case's own test
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome


@pytest.fixture(
    scope="module",
    params=[("email", "sqlite"), ("person_ref", "sqlite"), ("email", "postgresql")],
    ids=lambda param: f"by-{param[0]}" + ("-postgresql" if param[1] == "postgresql" else ""),
)
def results(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Results:
    """The reference run, then every kill point's killed and recovered runs, for people
    identified by email and (``person_ref``) by a custom attribute first; the state in
    each copy's SQLite file, or (``-postgresql``) in a fresh PostgreSQL database per copy."""
    identity, backend = request.param
    new_database = (lambda: postgres_database(request)) if backend == "postgresql" else None
    started = datetime.now(UTC)
    root = tmp_path_factory.mktemp(f"crash-{identity}-{backend}")
    # Data dated back from midnight: engagement decays by whole days, so every run today
    # scores alike, and the outside change (at midnight) is newer than any generated row.
    as_of = started.replace(hour=0, minute=0, second=0, microsecond=0)
    lab = Lab(
        root,
        install_plugin(root / "plugin"),
        _pristine_workspace(root / "pristine", as_of, identity),
        new_database,
    )
    change = _outside_change(lab.pristine, as_of)

    workspace = lab.copy("reference")
    trace_path = root / "reference.trace"
    first = lab.sync(workspace, trace=trace_path)
    assert first.returncode == 0, first.stderr
    trace = read_trace(trace_path)
    reference_first = snapshot(workspace)
    change.apply(workspace)
    second = lab.sync(workspace)
    assert second.returncode == 0, second.stderr
    reference = Reference(trace, reference_first, _counts(second), snapshot(workspace))

    outcomes = {point.id: Outcome(point, point.find(trace)) for point in KILL_POINTS}
    numbers = [o.at.number for o in outcomes.values()]
    assert len(set(numbers)) == len(numbers), "two kill points resolved to one operation"

    workers = max(2, min(4, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda o: _run_case(lab, change, o), outcomes.values()))
    if datetime.now(UTC).date() != started.date():
        pytest.skip(
            "rerun: the runs straddled midnight UTC, so scores and stage days may differ; rerun"
        )
    return Results(reference, outcomes)


# --- the tests ------------------------------------------------------------------------------


def test_kill_points_cover_the_run(results: Results) -> None:
    """At least 20 distinct points, in every phase of a first sync."""
    trace = results.reference.trace
    numbers = {o.at.number for o in results.outcomes.values()}
    assert len(numbers) >= 20
    labels = {o.at.label for o in results.outcomes.values()}
    assert sum(label.startswith("read ") for label in labels) >= 4
    assert {"stage notices", "quarantine notices"} <= labels
    writes = [c.number for c in trace if c.label.startswith("write ")]
    assert max(writes) in numbers  # after the very last write, before the final commit
    assert min(writes) - 1 in numbers  # planned, nothing written
    for connection in ("marketing", "sales"):
        calls = _matching(trace, rf"write {connection} #\d+ (before|after)")
        assert len(calls) >= 8, f"too few {connection} write batches to kill between"
        inside = [n for n in numbers if calls[1].number <= n <= calls[-2].number]
        assert len(inside) >= 3, f"{connection}: kills between its first and last write"
    marketing_done = _write_calls(trace, "marketing")[-1].number + 1
    assert {marketing_done, marketing_done + 1} <= numbers  # between the two connections


@pytest.mark.parametrize("point", KILL_POINTS, ids=[p.id for p in KILL_POINTS])
def test_killed_sync_recovers_exactly(results: Results, point: KillPoint) -> None:
    """Killed at ``point`` and run again, the workspace ends as the uninterrupted run did."""
    outcome = results.outcomes[point.id]
    where = f"kill point {outcome.at.number} ({outcome.at.label}: {point.state})"
    assert outcome.error is None, f"{where}: {outcome.error}"
    killed = outcome.killed
    assert killed is not None
    assert killed.returncode == -signal.SIGKILL, (
        f"{where}: the sync was not killed (exit {killed.returncode}): {killed.stderr[-2000:]}"
    )
    reached = [(c.number, c.label) for c in outcome.killed_trace[-1:]]
    assert reached == [(outcome.at.number, outcome.at.label)], (
        f"{where}: the killed run took another path than the reference: {reached}"
    )

    recovered = outcome.recovered
    assert recovered is not None
    assert recovered.returncode == 0, f"{where}: the re-run failed: {recovered.stderr[-3000:]}"
    assert json.loads(recovered.stdout)["status"] == "ok"
    for system in ("marketing leads", "sales leads"):
        assert outcome.first[system]["duplicates"] == [], f"{where}: duplicate rows in {system}"
    diff = _report_differences(results.reference.first, outcome.first)
    assert not diff, f"{where}: after recovery, differs from the uninterrupted run:\n" + (
        "\n".join(diff)
    )

    second = outcome.second_run
    assert second is not None
    assert second.returncode == 0, (
        f"{where}: the sync after the outside change failed: {second.stdout[-2000:]}"
    )
    diff = differences(results.reference.second_counts, _counts(second), "report")
    diff += _report_differences(results.reference.second, outcome.second)
    assert not diff, f"{where}: after the outside change, differs from the reference:\n" + (
        "\n".join(diff)
    )
