"""Benchmark: the funnel report over a large simulated history (target: at most 5 s).

Run it from the repository (defaults: 100,000 leads and 1,000,000 activities, plus the
stage moves the simulation makes)::

    .venv/bin/python bench/report_bench.py [--leads N] [--activities M] [--dir DIR] [--keep]

It writes a synthetic history straight into a fresh workspace's state database
(:mod:`funnelsync.sync.report.sample_history`; not timed), then times (wall and CPU seconds),
each in a fresh process,
``report --format html`` and ``report --format json`` for a 30-day period with breakdowns
by source, owner and campaign, and ``sla --json --no-notify``. Wall time per command and
a phase split (load / compute / render) measured in-process are printed.
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

AS_OF = datetime(2026, 11, 20, 15, tzinfo=UTC)
TARGET_S = 5.0
REPORT_ARGS = ["--since", "2026-10-21", "--until", "2026-11-19", "--by", "source", "--by",
               "owner", "--by", "campaign"]  # fmt: skip


def generate(root: Path, leads: int, activities: int) -> Path:
    from funnelsync.plugin_manager import create_plugins
    from funnelsync.sync.report.sample_history import write_sample_state
    from funnelsync.sync.state.store import StateStore
    from funnelsync.sync.workspace.loading import load_workspace
    from funnelsync.sync.workspace.scaffold import write_templates

    config = write_templates(root, with_empty_data=True)
    contract = load_workspace(config, create_plugins()).contract
    store = StateStore.open(root / "state")
    write_sample_state(store, contract, leads=leads, activities=activities, as_of=AS_OF)
    store.close()
    return config


def timed(arguments: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one command in a fresh process.

    CPU time is the steadier figure on a shared machine; wall time is what a user waits.
    """
    code = (
        "import sys; from funnelsync.sync.cli.report import report_command, sla_command; "
        "command = report_command if sys.argv[1] == 'report' else sla_command; "
        "command.main(sys.argv[2:], standalone_mode=False)"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *arguments], check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def phases(config: Path) -> tuple[float, float, float]:
    from funnelsync.plugin_manager import create_plugins
    from funnelsync.sync.report.build import build_report
    from funnelsync.sync.report.data import load_funnel_data
    from funnelsync.sync.report.html_page import render_html
    from funnelsync.sync.report.period import resolve_period
    from funnelsync.sync.report.sla import SALES_TOUCH_TYPES
    from funnelsync.sync.state.store import StateStore
    from funnelsync.sync.workspace.loading import load_workspace

    contract = load_workspace(config, create_plugins()).contract
    store = StateStore.open(config.parent / "state")
    gc.disable()  # as the commands do while they load and compute
    clock = time.perf_counter()
    data = load_funnel_data(store, contract, ("source", "owner"), SALES_TOUCH_TYPES)
    loaded = time.perf_counter()
    period = resolve_period(date(2026, 10, 21), date(2026, 11, 19), AS_OF.date())
    report = build_report(contract, data, period, ("source", "owner", "campaign"), AS_OF)
    computed = time.perf_counter()
    render_html(report)
    rendered = time.perf_counter()
    gc.enable()
    store.close()
    return loaded - clock, computed - loaded, rendered - computed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    root = options.dir or Path(tempfile.mkdtemp(prefix="funnelsync-report-bench-"))
    try:
        started = time.perf_counter()
        config = generate(root / "ws", options.leads, options.activities)
        with sqlite3.connect(root / "ws" / "state" / "funnelsync.db") as db:
            counts = {
                table: db.execute(f"select count(*) from {table}").fetchone()[0]
                for table in ("persons", "activities", "stage_history")
            }
        print(f"generated in {time.perf_counter() - started:.1f}s: {counts}")
        base = ["--config", str(config)]
        results = {
            "report --format html": timed(
                ["report", *base, *REPORT_ARGS, "--out", str(root / "report.html")]
            ),
            "report --format json": timed(
                ["report", *base, *REPORT_ARGS, "--format", "json", "--out", str(root / "r.json")]
            ),
            "sla --json --no-notify": timed(["sla", *base, "--json", "--no-notify"]),
        }
        load, compute, render = phases(config)
        for name, (wall, cpu) in results.items():
            verdict = "ok" if wall <= TARGET_S else f"OVER the {TARGET_S:g}s target"
            print(f"{name:<26} wall {wall:6.2f}s  cpu {cpu:6.2f}s  {verdict}")
        print(f"in-process phases: load {load:.2f}s, compute {compute:.2f}s, html {render:.2f}s")
    finally:
        if options.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
