"""Reliability campaign: hostile CSV files, bad YAML and damaged state, each run through
the real `funnelsync` command in its own process (memory capped at 2 GB, 120 s each).

Prints the cases tried and handled, the good rows lost and the tracebacks seen; a case is
handled when the command exits as it should (0 with the bad rows quarantined — or 4 when
they exceed ``max_quarantined_share`` of the rows read, the run's honest status — 1 for a
file or state that cannot be used, 2 for a bad configuration) and says where (file:line)
and why. Exits 1 unless every case is handled with no row lost and no traceback.

    .venv/bin/python bench/reliability.py [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from funnelsync.sync.workspace.scaffold import write_templates

NOW = datetime.now(UTC).replace(microsecond=0)
FUNNELSYNC = Path(sys.executable).with_name("funnelsync")
MEMORY_CAP = 2 * 1024**3
TIMEOUT_S = 120
LEAD_HEADER = ["email", "first_name", "last_name", "title", "company", "industry"]
LEAD_HEADER += ["company_size", "country", "created_at", "updated_at"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one case showed."""

    name: str
    handled: bool
    rows_lost: int
    traceback: bool
    detail: str


def _lead(email: str, first: str = "Ana", title: str = "Marketing Manager") -> list[str]:
    created = (NOW - timedelta(days=30)).isoformat()
    updated = (NOW - timedelta(days=10)).isoformat()
    return [email, first, "Silva", title, "Northwind", "Retail", "50", "Brazil", created, updated]


def _csv_text(rows: list[list[str]]) -> str:
    lines = []
    for row in rows:
        with tempfile.SpooledTemporaryFile(mode="w+", newline="") as buffer:
            csv.writer(buffer).writerow(row)
            buffer.seek(0)
            lines.append(buffer.read())
    return "".join(lines)


GOOD = [_lead(f"good{n}@example.com", f"Good{n}") for n in range(1, 5)]
"""Four good rows every hostile leads file also holds: none of them may be lost."""


def _workspace(root: Path) -> Path:
    return write_templates(root / "ws", with_empty_data=True)


def _leads_file(config: Path) -> Path:
    return config.parent / "data/marketing/leads.csv"


def _write_leads(config: Path, bad: bytes, position: int = 2) -> None:
    rows = [_csv_text([row]).encode() for row in GOOD]
    rows.insert(position, bad)
    _leads_file(config).write_bytes(_csv_text([LEAD_HEADER]).encode() + b"".join(rows))


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [str(FUNNELSYNC), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        preexec_fn=limit,
        check=False,
    )


def _synced(done: subprocess.CompletedProcess[str]) -> dict[str, Any] | None:
    """The run report of a sync that went through: ``ok`` (exit 0), or ``partial`` (exit 4)
    only because more than ``max_quarantined_share`` of the rows read were quarantined
    (one bad row in five is 20%: the honest status, while every good row still synced)."""
    if done.returncode not in (0, 4):
        return None
    report: dict[str, Any] = json.loads(done.stdout)
    if done.returncode == 4 and "quarantined" not in str(report.get("status_rule", "")):
        return None
    return report


def _rows_case(name: str, bad: bytes, reason: str, position: int = 2) -> Callable[[Path], Outcome]:
    """A leads file with four good rows and one bad one: synced, the bad one quarantined."""

    def run(root: Path) -> Outcome:
        config = _workspace(root)
        _write_leads(config, bad, position)
        done = _run(config, "sync", "--json")
        output = done.stdout + done.stderr
        report = _synced(done)
        read = int(report["connections"]["marketing"]["read"]) if report else 0
        listed = _run(config, "errors", "--json")
        entries = json.loads(listed.stdout)["quarantined"] if listed.returncode == 0 else []
        where = f"leads.csv:{position + 2}"
        found = any(e["location"] == where and reason in e["reason"] for e in entries)
        detail = f"exit {done.returncode}, {read}/4 good rows read, quarantined at {where}: {found}"
        return Outcome(name, report is not None and found, 4 - read, "Traceback" in output, detail)

    return run


def _activity_duplicate(root: Path) -> Outcome:
    config = _workspace(root)
    _write_leads(config, b"")
    header = ["activity_id", "email", "type", "occurred_at", "campaign", "asset"]
    when = (NOW - timedelta(days=1)).isoformat()
    rows = [
        header,
        ["A1", "good1@example.com", "demo_request", when, "", ""],
        ["A1", "good1@example.com", "email_click", when, "", ""],
    ]
    (config.parent / "data/marketing/activities.csv").write_text(_csv_text(rows))
    done = _run(config, "sync", "--json")
    listed = _run(config, "errors", "--json")
    entries = json.loads(listed.stdout)["quarantined"] if listed.returncode == 0 else []
    found = any(
        e["location"] == "activities.csv:3" and "first on activities.csv:2" in e["reason"]
        for e in entries
    )
    report = _synced(done)
    read = int(report["activities"]) if report else 0
    return Outcome(
        "duplicate activity_id",
        report is not None and found,
        1 - read,
        "Traceback" in done.stderr,
        f"exit {done.returncode}, activities kept {read}/1, both rows named: {found}",
    )


def _file_case(name: str, setup: Callable[[Path], None], says: str) -> Callable[[Path], Outcome]:
    """A leads file that is not CSV at all: exit 1 with a clear message, in bounded memory."""

    def run(root: Path) -> Outcome:
        config = _workspace(root)
        setup(config)
        done = _run(config, "sync")
        output = done.stdout + done.stderr
        ok = done.returncode == 1 and says in output
        return Outcome(name, ok, 0, "Traceback" in output, f"exit {done.returncode}")

    return run


def _point_leads_at(target: str) -> Callable[[Path], None]:
    def setup(config: Path) -> None:
        text = config.read_text()
        config.write_text(text.replace("data/marketing/leads.csv", target, 1))

    return setup


def _no_newline(config: Path) -> None:
    with _leads_file(config).open("wb") as out:
        out.write(b"email,")
        for _ in range(64):
            out.write(b"x" * 1024 * 1024)


def _ghost(deleted_file: bool) -> Callable[[Path], Outcome]:
    """An MQL created in sales, then its sales row (or the whole file) deleted by a user."""

    def run(root: Path) -> Outcome:
        config = _workspace(root)
        vp = _lead("vp@hospital.example.com", "Vera", "VP Marketing")
        vp[5], vp[6], vp[7] = "Healthcare", "800", "United States"
        _leads_file(config).write_text(_csv_text([LEAD_HEADER, vp, *GOOD]))
        when = (NOW - timedelta(days=1)).isoformat()
        (config.parent / "data/marketing/activities.csv").write_text(
            _csv_text(
                [
                    ["activity_id", "email", "type", "occurred_at", "campaign", "asset"],
                    ["a1", "vp@hospital.example.com", "demo_request", when, "", ""],
                    ["a2", "vp@hospital.example.com", "email_click", when, "", ""],
                ]
            )
        )
        first = _run(config, "sync")
        sales = config.parent / "data/sales/leads.csv"
        with sales.open(newline="") as handle:
            rows = list(csv.reader(handle))
        created = any(row[0] == vp[0] for row in rows)
        if deleted_file:
            sales.unlink()
        else:
            sales.write_text(_csv_text([row for row in rows if row[0] != vp[0]]))
        vp[3], vp[9] = "VP Growth", NOW.isoformat()
        _leads_file(config).write_text(_csv_text([LEAD_HEADER, vp, *GOOD]))
        second = _run(config, "sync")
        ghosts = 0
        if sales.exists():
            with sales.open(newline="") as handle:
                ghosts = sum(1 for row in csv.DictReader(handle) if not row["First Name"])
        output = first.stderr + second.stderr
        name = "leads file deleted" if deleted_file else "row deleted by a user"
        ok = created and first.returncode == 0 and second.returncode == 0 and ghosts == 0
        return Outcome(
            f"ghost rows: {name}",
            ok,
            0,
            "Traceback" in output,
            f"exits {first.returncode}/{second.returncode}, created in sales first: {created}, "
            f"partial rows after: {ghosts}",
        )

    return run


def _yaml_case(
    name: str, file: str, old: str, new: str, says: str, line_offset: int = 0
) -> Callable[[Path], Outcome]:
    """An edit to the config or contract that `validate` must refuse: exit 2, file:line."""

    def run(root: Path) -> Outcome:
        config = _workspace(root)
        path = config.parent / file
        text = path.read_text()
        if old:
            assert old in text, old
            line = text[: text.index(old)].count("\n") + 1 + line_offset
            path.write_text(text.replace(old, new, 1))
        else:
            line = text.count("\n") + 2 + line_offset
            path.write_text(text + "\n" + new)
        (config.parent / "state.txt").write_text("a file\n")
        done = _run(config, "validate")
        output = done.stdout + done.stderr
        located = f"{file}:{line}:" in output
        ok = done.returncode == 2 and says in output and located
        detail = f"exit {done.returncode}, names {file}:{line}: {located}"
        return Outcome(name, ok, 0, "Traceback" in output, detail)

    return run


def _bomb() -> str:
    names = "abcdefghi"
    lines = ["bomb:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in itertools.pairwise(names):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _state_case(name: str, damage: Callable[[Path], None]) -> Callable[[Path], Outcome]:
    """A damaged state database: sync, status and errors each exit 1, naming the remedy."""

    def run(root: Path) -> Outcome:
        config = _workspace(root)
        _write_leads(config, b"")
        _run(config, "sync")
        damage(config.parent / "state" / "funnelsync.db")
        outputs = [_run(config, command) for command in ("sync", "status", "errors")]
        ok = all(
            done.returncode == 1 and "funnelsync state rebuild" in done.stderr for done in outputs
        )
        tracebacks = any("Traceback" in done.stderr for done in outputs)
        codes = "/".join(str(done.returncode) for done in outputs)
        return Outcome(name, ok, 0, tracebacks, f"exits {codes}")

    return run


def _not_a_database(database: Path) -> None:
    database.write_bytes(b"not a database " * 500)


def _malformed(database: Path) -> None:
    data = bytearray(database.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset : offset + 200] = b"\xa5" * 200
    database.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


CASES: list[tuple[str, Callable[[Path], Outcome]]] = [
    (
        "cell over 131,072 characters",
        _rows_case(
            "cell over 131,072 characters",
            _csv_text([_lead("big@example.com", "x" * 131_073)]).encode(),
            "longer than 131,072 characters",
        ),
    ),
    (
        "non-UTF-8 byte",
        _rows_case(
            "non-UTF-8 byte",
            _csv_text([_lead("bad@example.com")]).encode().replace(b"Ana", b"An\xff"),
            "not valid utf-8 text",
        ),
    ),
    (
        "unclosed quote mid-file",
        _rows_case(
            "unclosed quote mid-file",
            b'bad@example.com,"Ana,Silva\n',
            "unclosed quote",
            position=1,
        ),
    ),
    (
        "unclosed quote to end of file",
        _rows_case(
            "unclosed quote to end of file",
            b'bad@example.com,"Ana,Silva\n',
            "unclosed quote",
            position=4,
        ),
    ),
    (
        "case-variant duplicate email",
        _rows_case(
            "case-variant duplicate email",
            _csv_text([_lead("GOOD2@example.com", "Imposter")]).encode(),
            "first on leads.csv:3",
            position=3,
        ),
    ),
    ("duplicate activity_id", _activity_duplicate),
    (
        "leads path at /dev/zero",
        _file_case("leads path at /dev/zero", _point_leads_at("/dev/zero"), "not a regular file"),
    ),
    (
        "64 MB leads file without a newline",
        _file_case("64 MB leads file without a newline", _no_newline, "leads.csv:1: a line longer"),
    ),
    ("ghost rows: row deleted", _ghost(deleted_file=False)),
    ("ghost rows: file deleted", _ghost(deleted_file=True)),
    (
        "YAML alias bomb",
        _yaml_case("YAML alias bomb", "funnelsync.yaml", "", _bomb(), "aliases expand", 6),
    ),
    (
        "YAML control character",
        _yaml_case(
            "YAML control character",
            "funnelsync.yaml",
            "state_dir: state",
            "state_dir: st\x07ate",
            "character #x0007",
        ),
    ),
    (
        "YAML NUL byte",
        _yaml_case(
            "YAML NUL byte", "funnelsync.yaml", "state_dir: state", "state_dir: st\0ate", "#x0000"
        ),
    ),
    (
        "YAML deep nesting",
        _yaml_case(
            "YAML deep nesting", "funnelsync.yaml", "", "deep: " + "[" * 5000 + "]" * 5000, "nested"
        ),
    ),
    (
        "state_dir is a file",
        _yaml_case(
            "state_dir is a file",
            "funnelsync.yaml",
            "state_dir: state",
            "state_dir: state.txt",
            "is a file, not a directory",
        ),
    ),
    (
        "duplicate YAML key",
        _yaml_case(
            "duplicate YAML key",
            "contract.yaml",
            "sql_stage: sql",
            "sql_stage: sql\nmql_stage: sal",
            "appears twice",
            1,
        ),
    ),
    (
        "integer 10**29",
        _yaml_case(
            "integer 10**29", "contract.yaml", "    cap: 100\n", f"    cap: {10**29}\n", "range"
        ),
    ),
    (
        "NUL in a name",
        _yaml_case(
            "NUL in a name",
            "contract.yaml",
            "name: Revenue funnel",
            'name: "Revenue\\0funnel"',
            "NUL character",
        ),
    ),
    (
        "fit_min above the fit cap",
        _yaml_case(
            "fit_min above the fit cap",
            "contract.yaml",
            "entry: {fit_min: 25,",
            "entry: {fit_min: 61,",
            "no lead can reach it",
        ),
    ),
    (
        "sql_stage before mql_stage",
        _yaml_case(
            "sql_stage before mql_stage",
            "contract.yaml",
            "sql_stage: sql ",
            "sql_stage: lead",
            "comes before mql_stage",
        ),
    ),
    ("state: not a database", _state_case("state: not a database", _not_a_database)),
    ("state: malformed database", _state_case("state: malformed database", _malformed)),
]


def run_all(root: Path) -> list[Outcome]:
    """Every case, each in a directory of its own under ``root``."""
    outcomes = []
    for index, (name, case) in enumerate(CASES):
        directory = root / f"case{index:02d}"
        directory.mkdir()
        try:
            outcomes.append(case(directory))
        except subprocess.TimeoutExpired:
            outcomes.append(Outcome(name, False, 0, False, f"no answer within {TIMEOUT_S} s"))
    return outcomes


def main() -> int:
    """Run the campaign and print its figures; 0 when everything was handled."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", type=Path, help="keep the case directories here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="funnelsync-reliability-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        outcomes = run_all(root)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    figures = {
        "cases_tried": len(outcomes),
        "handled": sum(o.handled for o in outcomes),
        "rows_lost": sum(o.rows_lost for o in outcomes),
        "tracebacks": sum(o.traceback for o in outcomes),
    }
    if args.json:
        print(json.dumps({**figures, "cases": [asdict(o) for o in outcomes]}))
    else:
        for outcome in outcomes:
            mark = "ok  " if outcome.handled and not outcome.traceback else "FAIL"
            print(f"{mark} {outcome.name}: {outcome.detail}")
        print(
            f"cases tried: {figures['cases_tried']}, handled: {figures['handled']}, "
            f"rows lost: {figures['rows_lost']}, tracebacks: {figures['tracebacks']}"
        )
    clean = figures["handled"] == figures["cases_tried"]
    return 0 if clean and not figures["rows_lost"] and not figures["tracebacks"] else 1


if __name__ == "__main__":
    sys.exit(main())
