"""Benchmark: timeline planning in a run where nothing new is significant (steady state).

Run it from the repository (defaults: 100,000 leads, 1,000,000 activities)::

    .venv/bin/python bench/timeline_bench.py [--leads N] [--activities M]

It writes the report benchmark's simulated history into a fresh state database
(:mod:`funnelsync.sync.report.sample_history`), links every person to a ``sales`` record,
makes ``form_fill``, ``content_download`` and ``email_click`` significant, and records
every entry the first planning finds as written (not timed). It then times (wall and CPU
seconds, best of 3) the planning each later run does: finding what is still to write,
which is nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

AS_OF = datetime(2026, 11, 20, 15, tzinfo=UTC)
SIGNIFICANT = ["form_fill", "content_download", "email_click"]


def main() -> None:
    from funnelsync.contract import FunnelContract
    from funnelsync.plugin_manager import create_plugins
    from funnelsync.sync.engine.activity_push import plan_timeline
    from funnelsync.sync.report.sample_history import write_sample_state
    from funnelsync.sync.state import schema as t
    from funnelsync.sync.state.store import RunCommit, StateStore
    from funnelsync.sync.state.timeline import TimelineStore
    from funnelsync.sync.workspace.loading import load_workspace
    from funnelsync.sync.workspace.scaffold import write_templates
    from funnelsync.timeline import Timeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        config = write_templates(root, with_empty_data=True)
        loaded = load_workspace(config, create_plugins()).contract
        contract = FunnelContract.model_validate(
            {**loaded.model_dump(), "timeline": Timeline(significant=SIGNIFICANT).model_dump()}
        )
        store = StateStore.open(root / "state")
        write_sample_state(
            store, contract, leads=options.leads, activities=options.activities, as_of=AS_OF
        )
        with store.engine.connect() as connection:
            people = list(connection.execute(t.persons.select()))
        store.commit_run(
            RunCommit(
                run_id="links",
                at=AS_OF.isoformat(),
                persons={},
                links=[(("sales", row.email), row.person_id) for row in people],
                ledger_rows=[],
                activities=[],
                stage_moves=[],
                quarantined=[],
                resolved=[],
                settings={},
                cursors={},
                person_keys=[(row.email, row.person_id) for row in people],
            )
        )
        timeline = TimelineStore(store.engine)
        plans = plan_timeline(store, contract, ["sales"], AS_OF)
        entries = [planned for planned, _ in plans.get("sales", [])]
        timeline.begin(entries, "first", AS_OF.isoformat())
        timeline.finish("sales", {e.ref: e.ref for e in entries}, {})
        with store.engine.connect() as connection:
            significant = connection.execute(
                t.activities.select().where(
                    t.activities.c.type_id.in_(store.type_names.ids(SIGNIFICANT))
                )
            ).fetchall()
        print(
            f"{options.leads} leads, {options.activities} activities, "
            f"{len(significant)} significant, {len(entries)} entries recorded"
        )
        best: tuple[float, float] | None = None
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            again = plan_timeline(store, contract, ["sales"], AS_OF)
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            assert not again, "a steady-state run found entries to write"
            best = took if best is None or took[0] < best[0] else best
        assert best is not None
        print(f"steady-state planning: {best[0]:.3f} s wall, {best[1]:.3f} s CPU (best of 3)")
        store.close()


if __name__ == "__main__":
    main()
