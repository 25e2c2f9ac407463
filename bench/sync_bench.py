"""Benchmark: a first sync and a no-op re-sync of two CSV systems, against the csv floor.

Run it from the repository (defaults: 100,000 leads and 1,000,000 activities)::

    .venv/bin/python bench/sync_bench.py [--leads N] [--activities M] [--out DIR] [--keep]

It builds a workspace from the bundled templates, generates data with the demo's generator,
then runs, each as its own subprocess measured through ``os.wait4`` (wall time, CPU time,
peak RSS of that process alone):

1. the floor: the same four files read in full with the :mod:`csv` module alone, and both
   leads files written back (to scratch files) with two extra columns;
2. ``funnelsync sync --config … --json`` on the fresh data (the first sync);
3. the same command again with nothing changed (the no-op re-sync).

It prints a table and the ratios the sync engine is held to: no-op / first under 10%,
first / floor at most 5×, peak RSS under 1 GB, and zero writes on the no-op re-sync.

``--scale`` measures all that twice in one invocation, for the given sizes and for ten
times them (by default 1,000,000 leads and 10,000,000 activities: about 1.3 GB of CSV and
as much again of state), and judges the larger first sync: at most 12× the smaller one's
wall time (near-linear) and a peak RSS under 2 GB.

Peak RSS on Linux: a child's ``ru_maxrss`` can never read below the RSS its parent had when
it was spawned (exec folds the old address space's high-water mark in), so this script
keeps itself small and generates the data in a subprocess too.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

DEFAULT_LEADS = 100_000
DEFAULT_ACTIVITIES = 1_000_000
DEFAULT_SEED = 7

LEADS_FILES = ("marketing/leads.csv", "sales/leads.csv")
ACTIVITY_FILES = ("marketing/activities.csv", "sales/activities.csv")
FLOOR_EXTRA_COLUMNS = ("Lead Score", "Funnel Stage")

TARGET_NOOP_SHARE = 0.10
TARGET_FLOOR_RATIO = 5.0
TARGET_PEAK_RSS = 1 << 30
SCALE_FACTOR = 10
TARGET_SCALE_RATIO = 12.0
TARGET_SCALE_RSS = 2 << 30
MB = 1 << 20


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured subprocess."""

    command: list[str]
    exit_code: int
    wall_s: float
    cpu_s: float
    peak_rss: int
    """Bytes."""
    stdout: str
    stderr: str


def measure(command: Sequence[str], *, cwd: Path, scratch: Path) -> Measurement:
    """Run ``command`` and measure it with ``os.wait4`` (its own rusage, nothing else's)."""
    stdout_path, stderr_path = scratch / "stdout.txt", scratch / "stderr.txt"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        command=list(command),
        exit_code=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss=usage.ru_maxrss * 1024,  # kilobytes on Linux
        stdout=stdout_path.read_text(encoding="utf-8", errors="replace"),
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
    )


# --- what the subprocesses run -----------------------------------------------------------


def generate(workspace: Path, leads: int, activities: int, seed: int, as_of: datetime) -> None:
    """Write the template config and contract, and the four CSV files with the demo
    generator, into ``workspace``; print the generator's summary as JSON."""
    from funnelsync.sync.demo.data import generate_demo_data
    from funnelsync.sync.workspace.scaffold import write_templates

    write_templates(workspace, with_empty_data=False)
    summary = generate_demo_data(
        workspace / "data", seed=seed, leads=leads, activities=activities, as_of=as_of
    )
    print(
        json.dumps(
            {
                "people": summary.people,
                "marketing_leads": summary.marketing_leads,
                "sales_leads": summary.sales_leads,
                "marketing_activities": summary.marketing_activities,
                "sales_activities": summary.sales_activities,
                "bad_rows": summary.bad_rows,
            }
        )
    )


def floor(data_dir: Path, scratch: Path) -> None:
    """The least any sync must do: read the four files in full, write both leads files back.

    Leads rows are held in memory (they are written back with two extra columns, to files
    under ``scratch``); activity rows are parsed and counted. Prints the data row count of
    each file as JSON.
    """
    rows_per_file: dict[str, int] = {}
    for name in LEADS_FILES:
        with (data_dir / name).open(encoding="utf-8", newline="") as source:
            rows = list(csv.reader(source))
        rows_per_file[name] = len(rows) - 1
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as sink:
            writer = csv.writer(sink)
            writer.writerow([*rows[0], *FLOOR_EXTRA_COLUMNS])
            for number, row in enumerate(rows[1:]):
                writer.writerow([*row, str(number % 100), "lead"])
    for name in ACTIVITY_FILES:
        with (data_dir / name).open(encoding="utf-8", newline="") as source:
            count = sum(1 for _ in csv.reader(source))
        rows_per_file[name] = count - 1
    print(json.dumps(rows_per_file))


# --- the benchmark -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncStep:
    """A measured ``funnelsync sync --json`` and its run report."""

    label: str
    measurement: Measurement
    report: dict[str, object]

    def connections(self) -> dict[str, dict[str, object]]:
        connections = self.report.get("connections", {})
        return connections if isinstance(connections, dict) else {}

    def count(self, name: str) -> int:
        return sum(_int(counts.get(name)) for counts in self.connections().values())

    @property
    def writes(self) -> int:
        return self.count("created") + self.count("updated")

    @property
    def rows_read(self) -> int:
        return self.count("read") + self.count("activities_read")

    def writes_text(self) -> str:
        return ", ".join(
            f"{name} {_int(c.get('created')):,}+{_int(c.get('updated')):,}"
            for name, c in self.connections().items()
        )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def funnelsync_command() -> list[str]:
    """The installed ``funnelsync`` script of this interpreter's environment."""
    script = Path(sys.executable).parent / "funnelsync"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from funnelsync.sync.cli.main import main; main()"]


def this_script(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def fail(step: str, measurement: Measurement) -> NoReturn:
    print(f"\n{step} failed (exit {measurement.exit_code}): {shlex.join(measurement.command)}")
    print(measurement.stderr[-4000:] or measurement.stdout[-4000:])
    raise SystemExit(1)


def run_sync(label: str, config: Path, workspace: Path, scratch: Path) -> SyncStep:
    command = [*funnelsync_command(), "sync", "--config", str(config), "--json"]
    measurement = measure(command, cwd=workspace, scratch=scratch)
    try:
        report = json.loads(measurement.stdout)
    except json.JSONDecodeError:
        fail(label, measurement)
    if measurement.exit_code not in (0, 4):  # 4: some writes left for the next run
        fail(label, measurement)
    return SyncStep(label, measurement, report)


def prepare_workspace(out: str | None) -> tuple[Path, bool]:
    """The workspace directory, and whether this script created it."""
    if out is None:
        return Path(tempfile.mkdtemp(prefix="funnelsync-bench-")), True
    path = Path(out).resolve()
    if path.exists() and any(path.iterdir()):
        raise SystemExit(f"--out {path} is not empty; give a new or empty directory")
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    return path, created


def remove_workspace(path: Path, created: bool) -> None:
    if created:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_line() -> str:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / (1 << 20):.1f} GiB RAM"
    return (
        f"{os.cpu_count()} cores{memory}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.platform()}"
    )


def print_table(
    floor_m: Measurement, first: SyncStep, noop: SyncStep, input_rows: int
) -> list[str]:
    rows: list[tuple[str, ...]] = [
        ("step", "wall s", "cpu s", "peak RSS MB", "rows read", "rows/s", "writes")
    ]

    def row(label: str, m: Measurement, read: int, writes: str) -> tuple[str, ...]:
        return (
            label,
            f"{m.wall_s:.2f}",
            f"{m.cpu_s:.2f}",
            f"{m.peak_rss / MB:.0f}",
            f"{read:,}",
            f"{input_rows / m.wall_s:,.0f}",
            writes,
        )

    rows.append(row("floor (csv module)", floor_m, input_rows, "2 leads files rewritten"))
    for step in (first, noop):
        rows.append(row(step.label, step.measurement, step.rows_read, step.writes_text()))
    return align(rows, left={0, 6})


def verdicts(floor_m: Measurement, first: SyncStep, noop: SyncStep) -> list[str]:
    """The targets, judged on wall time; CPU-time ratios alongside (steadier on a busy host)."""
    first_m, noop_m = first.measurement, noop.measurement
    noop_share = noop_m.wall_s / first_m.wall_s
    floor_ratio = first_m.wall_s / floor_m.wall_s
    peak = max(first_m.peak_rss, noop_m.peak_rss)

    def verdict(ok: bool, missed_by: str) -> str:
        return "met" if ok else f"MISSED by {missed_by}"

    rows = [
        ("target", "wall", "cpu", "goal", "verdict"),
        (
            "no-op / first",
            f"{noop_share:.1%}",
            f"{noop_m.cpu_s / first_m.cpu_s:.1%}",
            f"< {TARGET_NOOP_SHARE:.0%}",
            verdict(noop_share < TARGET_NOOP_SHARE, f"{noop_share / TARGET_NOOP_SHARE:.1f}×"),
        ),
        (
            "first / floor",
            f"{floor_ratio:.1f}×",
            f"{first_m.cpu_s / floor_m.cpu_s:.1f}×",
            f"≤ {TARGET_FLOOR_RATIO:.0f}×",
            verdict(floor_ratio <= TARGET_FLOOR_RATIO, f"{floor_ratio / TARGET_FLOOR_RATIO:.1f}×"),
        ),
        (
            "peak RSS",
            f"{peak / MB:.0f} MB",
            "",
            f"< {TARGET_PEAK_RSS // MB} MB",
            verdict(peak < TARGET_PEAK_RSS, f"{(peak - TARGET_PEAK_RSS) / MB:.0f} MB"),
        ),
        (
            "no-op writes",
            f"{noop.writes:,}",
            "",
            "0",
            verdict(noop.writes == 0, f"{noop.writes:,} writes"),
        ),
    ]
    return align(rows, left={0, 4})


def align(rows: Sequence[Sequence[str]], left: set[int]) -> list[str]:
    """``rows`` as text columns, the first row a header; columns in ``left`` flush left."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    text = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        text.append("  ".join(cells).rstrip())
        if number == 0:
            text.append("  ".join("-" * width for width in widths))
    return text


def bench(args: argparse.Namespace) -> None:
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine: {machine_line()}")
    if not args.scale:
        figures = workload(args, args.leads, args.activities, args.out)
        if args.json:
            print(json.dumps(figures))
        return
    base = workload(args, args.leads, args.activities, None)
    print()
    leads, activities = args.leads * SCALE_FACTOR, args.activities * SCALE_FACTOR
    scaled = workload(args, leads, activities, args.out)
    ratio = scaled["first_s"] / base["first_s"]
    peak = scaled["first_peak_rss_mb"]
    print()
    print("\n".join(scale_verdicts(base, scaled)))
    if args.json:
        print(json.dumps({**scaled, "base_leads": args.leads, "base_first_s": base["first_s"],
                          "scale_ratio": round(ratio, 2), "scale_peak_rss_mb": peak}))  # fmt: skip


def scale_verdicts(base: dict[str, float], scaled: dict[str, float]) -> list[str]:
    """The scale targets: first sync of 10× the data within 12× the time, peak RSS < 2 GB."""
    ratio = scaled["first_s"] / base["first_s"]
    peak = scaled["first_peak_rss_mb"]
    rows = [
        ("scale target", "measured", "goal", "verdict"),
        (
            f"first sync ×{SCALE_FACTOR} data / ×1",
            f"{ratio:.1f}× ({scaled['first_s']:.0f} s / {base['first_s']:.0f} s)",
            f"≤ {TARGET_SCALE_RATIO:.0f}×",
            "met"
            if ratio <= TARGET_SCALE_RATIO
            else f"MISSED by {ratio / TARGET_SCALE_RATIO:.1f}×",
        ),
        (
            "peak RSS at scale",
            f"{peak:.0f} MB",
            f"< {TARGET_SCALE_RSS // MB} MB",
            "met"
            if peak * MB < TARGET_SCALE_RSS
            else f"MISSED by {peak - TARGET_SCALE_RSS / MB:.0f} MB",
        ),
    ]
    return align(rows, left={0, 3})


def workload(
    args: argparse.Namespace, leads: int, activities: int, out: str | None
) -> dict[str, float]:
    """Generate ``leads``/``activities``, measure floor, first sync and no-op; the figures."""
    print(f"load average before: {load_average()}")
    workspace, created = prepare_workspace(out)
    try:
        config = workspace / "funnelsync.yaml"
        data_dir = workspace / "data"
        scratch = workspace / "bench-scratch"
        scratch.mkdir()
        as_of = datetime.now(UTC).replace(microsecond=0)
        print(f"workspace: {workspace}{' (kept)' if args.keep else ''}")
        print(f"generating {leads:,} leads and {activities:,} activities …", flush=True)
        generated = measure(
            this_script(
                "--generate",
                str(workspace),
                "--leads",
                str(leads),
                "--activities",
                str(activities),
                "--seed",
                str(args.seed),
                "--as-of",
                as_of.isoformat(),
            ),
            cwd=workspace,
            scratch=scratch,
        )
        if generated.exit_code:
            fail("generating the data", generated)
        summary = json.loads(generated.stdout)
        print(
            f"data: {summary['marketing_leads']:,} marketing + {summary['sales_leads']:,} sales "
            f"leads ({summary['people']:,} people), {summary['marketing_activities']:,} + "
            f"{summary['sales_activities']:,} activities, {summary['bad_rows']} bad rows on "
            f"purpose; generated in {generated.wall_s:.1f} s"
        )
        sizes = {name: (data_dir / name).stat().st_size for name in (*LEADS_FILES, *ACTIVITY_FILES)}
        print(f"files: {sum(sizes.values()) / MB:.0f} MB in four CSV files")

        print("floor …", flush=True)
        floor_m = measure(
            this_script("--floor", str(data_dir), "--scratch", str(scratch / "floor")),
            cwd=workspace,
            scratch=scratch,
        )
        if floor_m.exit_code:
            fail("the floor", floor_m)
        input_rows = sum(json.loads(floor_m.stdout).values())
        shutil.rmtree(scratch / "floor", ignore_errors=True)

        print("first sync …", flush=True)
        first = run_sync("first sync", config, workspace, scratch)
        print("no-op re-sync …", flush=True)
        noop = run_sync("no-op re-sync", config, workspace, scratch)

        print()
        print(f"sync command: {shlex.join(first.measurement.command)}  (cwd {workspace})")
        print(f"{input_rows:,} data rows in the four files; rows/s = those rows / wall time")
        print("writes = created+updated per connection, from the run report")
        print()
        print("\n".join(print_table(floor_m, first, noop, input_rows)))
        print()
        print("\n".join(verdicts(floor_m, first, noop)))
        for step in (first, noop):
            report = step.report
            status = report.get("status")
            print(
                f"{step.label}: status {status}, exit {step.measurement.exit_code}, "
                f"engine duration_s {report.get('duration_s')}, touched {report.get('touched')}"
            )
        first_day, noop_day = (
            str(step.report.get("started_at", ""))[:10] for step in (first, noop)
        )
        if first_day != noop_day:
            print(
                "warning: the two syncs ran on different UTC days, so the no-op re-sync "
                "re-scored every lead (decay is per day); run again for a fair no-op figure"
            )
        print(f"load average after: {load_average()} (other processes skew wall times)")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this script's own peak RSS, a floor under every child's: {own:.0f} MB)")
        figures: dict[str, float] = {
            "leads": leads,
            "activities": activities,
            "floor_s": round(floor_m.wall_s, 3),
            "first_s": round(first.measurement.wall_s, 3),
            "noop_s": round(noop.measurement.wall_s, 3),
            "first_peak_rss_mb": round(first.measurement.peak_rss / MB, 1),
            "noop_writes": noop.writes,
        }
    finally:
        if args.keep:
            print(f"workspace kept: {workspace}")
        else:
            remove_workspace(workspace, created)
    return figures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=DEFAULT_LEADS, help="people to generate")
    parser.add_argument(
        "--activities", type=int, default=DEFAULT_ACTIVITIES, help="activity rows to generate"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--out", help="workspace directory (new or empty; default a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace at the end")
    parser.add_argument(
        "--scale",
        action="store_true",
        help=f"also run {SCALE_FACTOR}× the data (default 1M leads / 10M activities) and judge "
        f"it: first sync within {TARGET_SCALE_RATIO:g}× the time, peak RSS under 2 GB",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="end the output with one JSON line of the figures (wall seconds, MB, writes)",
    )
    internal = parser.add_argument_group("internal (what the measured subprocesses run)")
    internal.add_argument("--floor", metavar="DATA_DIR", help="run the csv-module floor")
    internal.add_argument("--scratch", metavar="DIR", help="where the floor writes")
    internal.add_argument(
        "--generate", metavar="WORKSPACE", help="write the templates and generate the data"
    )
    internal.add_argument("--as-of", help="ISO 8601 time the generated data is dated back from")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.floor is not None:
        if args.scratch is not None:
            floor(Path(args.floor), Path(args.scratch))
        else:
            with tempfile.TemporaryDirectory(prefix="funnelsync-floor-") as scratch:
                floor(Path(args.floor), Path(scratch))
    elif args.generate is not None:
        as_of = datetime.fromisoformat(args.as_of) if args.as_of else datetime.now(UTC)
        generate(Path(args.generate), args.leads, args.activities, args.seed, as_of)
    else:
        bench(args)


if __name__ == "__main__":
    main()
