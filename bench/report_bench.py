"""Benchmark: the funnel report over a large simulated history (target: at most 5 s).

Run it from the repository (defaults: 100,000 leads and 1,000,000 activities, plus the
stage moves the simulation makes)::

    .venv/bin/python bench/report_bench.py [--leads N] [--activities M] [--dir DIR] [--keep]
        [--json]

It writes a synthetic history straight into a fresh workspace's state database
(:mod:`funnelsync.sync.report.sample_history`, in a subprocess; not timed), then times,
each in a fresh process measured through ``os.wait4`` (wall and CPU seconds, peak RSS of
that process alone), ``report --format html`` and ``report --format json`` for a 30-day
period with breakdowns by source, owner and campaign, and ``sla --json --no-notify``.
A phase split (load / compute / render) measured in-process is printed last.

With ``--dir DIR`` holding a workspace an earlier ``--keep`` run left (``DIR/ws``), that
workspace is measured again as it is (its history is not generated anew, its state brought to
this funnelsync's schema first, untimed; ``--leads`` and
``--activities`` are then ignored, and it is kept). ``--json`` ends the output with one JSON line:
``{"leads", "activities", "stage_moves", "<command>": {"wall_s", "cpu_s", "peak_rss_mb"},
"phases_s": {"load", "compute", "html"}}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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


def timed(arguments: list[str]) -> dict[str, float]:
    """Wall and CPU seconds (user + system) and peak RSS (MB) of one command in a fresh
    process, from ``os.wait4`` (that process alone).

    CPU time is the steadier figure on a shared machine; wall time is what a user waits.
    """
    code = (
        "import sys; from funnelsync.sync.cli.report import report_command, sla_command; "
        "command = report_command if sys.argv[1] == 'report' else sla_command; "
        "command.main(sys.argv[2:], standalone_mode=False)"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{arguments[0]} failed: {error}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
    }


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


def generated(root: Path, leads: int, activities: int) -> Path:
    """The workspace under ``root``: reused if an earlier run kept it, else generated in a
    subprocess (so that this process stays small and its children's peak RSS is theirs)."""
    config = root / "funnelsync.yaml"
    if config.exists():
        print(f"reusing {root}")
        return config
    code = "import sys; sys.path.insert(0, sys.argv[1]); import report_bench as b; " + (
        "b.generate(b.Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))"
    )
    started = time.perf_counter()
    bench_dir = str(Path(__file__).parent)
    subprocess.run(
        [sys.executable, "-c", code, bench_dir, str(root), str(leads), str(activities)], check=True
    )
    print(f"generated in {time.perf_counter() - started:.1f}s")
    return config


def migrated(config: Path) -> None:
    """Bring a kept workspace's state to this funnelsync's schema before anything is timed
    (a newer schema may fill tables from the old ones once: that is not the report's time)."""
    from funnelsync.sync.state.store import StateStore

    StateStore.open(config.parent / "state").close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true", help="End with one JSON line of figures.")
    options = parser.parse_args()
    root = options.dir or Path(tempfile.mkdtemp(prefix="funnelsync-report-bench-"))
    reused = (root / "ws" / "funnelsync.yaml").exists()  # never deleted
    try:
        config = generated(root / "ws", options.leads, options.activities)
        migrated(config)
        with sqlite3.connect(root / "ws" / "state" / "funnelsync.db") as db:
            counts = {
                table: db.execute(f"select count(*) from {table}").fetchone()[0]
                for table in ("persons", "activities", "stage_history")
            }
        print(f"history: {counts}")
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
        for name, figures in results.items():
            wall, cpu, rss = figures["wall_s"], figures["cpu_s"], figures["peak_rss_mb"]
            verdict = "ok" if wall <= TARGET_S else f"OVER the {TARGET_S:g}s target"
            print(f"{name:<26} wall {wall:6.2f}s  cpu {cpu:6.2f}s  rss {rss:6.0f} MB  {verdict}")
        print(f"in-process phases: load {load:.2f}s, compute {compute:.2f}s, html {render:.2f}s")
        if options.json:
            summary = {
                "leads": counts["persons"],
                "activities": counts["activities"],
                "stage_moves": counts["stage_history"],
                **results,
                "phases_s": {
                    "load": round(load, 3),
                    "compute": round(compute, 3),
                    "html": round(render, 3),
                },
            }
            print(json.dumps(summary))
    finally:
        if options.keep or reused:
            print(f"kept {root}", file=sys.stderr)  # the JSON line stays the last of stdout
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
