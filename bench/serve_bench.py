"""Latency of the admin screen's pages (`funnelsync serve`) on a synced benchmark workspace.

Builds a workspace with the demo generator at the requested size (default 10,000 leads,
100,000 activities), syncs it once, serves it with uvicorn on loopback, and times
``--requests`` GETs of the health page and of a lead page (by email) with httpx,
printing the median and 95th percentile per page. Target (issue 17): under 200 ms each on
the 100,000-lead workspace::

    .venv/bin/python bench/serve_bench.py --leads 100000 --activities 1000000

``--workspace DIR`` keeps the built workspace in ``DIR/ws`` and, when it is already there,
times its pages again without building it (the 100,000-lead sync takes many minutes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "sync" / "serve"))
from serve_support import serving

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.serve.app import ServeSettings
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates


def _times(client: httpx.Client, url: str, requests: int) -> list[float]:
    found = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        found.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--workspace",
        type=Path,
        help="build and sync the workspace in this directory (named ws) and keep it; "
        "if it is already there, time its pages without building it again",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workspace = (args.workspace or Path(scratch)) / "ws"
        config = workspace / "funnelsync.yaml"
        if not (workspace / "state").exists():
            config = write_templates(workspace, with_empty_data=False)
            generate_demo_data(
                workspace / "data",
                leads=args.leads,
                activities=args.activities,
                as_of=datetime.now(UTC),
            )
            plugins = create_plugins()
            started = time.perf_counter()
            run_sync(load_workspace(config, plugins), plugins)
            print(f"synced {args.leads} leads in {time.perf_counter() - started:.1f} s")
        leads = (config.parent / "data" / "marketing" / "leads.csv").read_text("utf-8")
        email = leads.splitlines()[1].split(",")[0]
        with serving(ServeSettings((config,))) as base, httpx.Client(timeout=60) as client:
            print(f"{'page':<10} {'median ms':>10} {'p95 ms':>8}")
            for name, url in (("health", "/"), ("lead", f"/w/ws/lead?q={email}")):
                times = sorted(_times(client, base + url, args.requests))
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{name:<10} {statistics.median(times) * 1000:>10.0f} {p95 * 1000:>8.0f}")


if __name__ == "__main__":
    main()
