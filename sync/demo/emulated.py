"""The demo on emulated systems: HubSpot for marketing, Salesforce for sales.

It generates the same data as the CSV demo, with months of history replayed by the
preset's contract (:mod:`~funnelsync.sync.demo.emulated_history`), starts each system's
emulator the way everything else is started (the connector's declared ``emulator``, found
through the plugin manager), seeds marketing's people into HubSpot and sales' into
Salesforce (with their stage dates), writes a workspace from the ``hubspot-salesforce``
preset whose connections point at the emulators and map what they seeded, prepares the
fields (``funnelsync check --fix``), and syncs until a sync writes nothing. The emulators
live in memory and stop when the demo ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from funnelsync.contract import FunnelContract
from funnelsync.emulator import Emulator
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.sync.checking import check_connections
from funnelsync.sync.cli.summary import print_summary
from funnelsync.sync.demo.build import prepare_demo_dir
from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.demo.emulated_history import people_with_history
from funnelsync.sync.demo.people import DemoPeople, SidePeople
from funnelsync.sync.engine.run import RunResult
from funnelsync.sync.workspace.loading import Workspace, load_workspace
from funnelsync.sync.workspace.scaffold import template_text

PRESET = "hubspot-salesforce"
SIDES = {"hubspot": "marketing", "salesforce": "sales"}
"""Connection of the preset → the side of the demo data seeded into its system's emulator."""
HEADER = """\
# Written by `funnelsync demo --systems emulators` from the hubspot-salesforce preset
# (`funnelsync init DIR --preset hubspot-salesforce` writes it with comments). Its
# connections pointed at in-memory emulators that stopped when the demo ended, so this
# workspace cannot sync again; its state (status, history, explain) stays readable.
"""

MAX_SYNCS = 3
"""Syncs the demo runs at most: the first, one that carries back what the systems set on
the records the first created (Salesforce gives a new lead its default Lead Status), and
one that writes nothing."""

Runner = Callable[[FunnelPlugins, Workspace], RunResult]
"""Runs one sync of a workspace (the CLI's, with progress bars)."""


class DemoSetupError(Exception):
    """A connection could not be prepared for the demo."""


@dataclass(frozen=True, slots=True)
class EmulatedDemo:
    """What the emulated demo did."""

    config_path: Path
    runs: list[RunResult]
    """Every sync, in order; the last one wrote nothing unless :data:`MAX_SYNCS` ran out."""


def _writes(result: RunResult) -> int:
    """Write calls a sync made, over every system."""
    return sum(counts.api_calls.write for counts in result.report.connections.values())


def _seed_data(people: DemoPeople, connection: str) -> SidePeople:
    """The people to seed into ``connection``'s system."""
    return people.marketing if SIDES[connection] == "marketing" else people.sales


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the duration; restore what was there after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _start_emulators(
    plugins: FunnelPlugins, config: Mapping[str, Any], stack: ExitStack
) -> dict[str, Emulator]:
    """A running emulator for each connection of ``config`` (stopped when ``stack`` closes)."""
    emulators = {}
    for name, connection in config["connections"].items():
        connector = connection["connector"]
        emulator_class = plugins.connector(connector).emulator
        if emulator_class is None:
            raise DemoSetupError(f"the {connector} connector declares no emulator")
        emulators[name] = stack.enter_context(emulator_class())
    return emulators


def _write_workspace(
    target: Path, config: Mapping[str, Any], emulators: Mapping[str, Emulator]
) -> Path:
    """Write the preset's ``config`` with each emulator's settings over its connection's
    and its mapping added, and the preset's contract, into ``target``; returns the
    config's path."""
    connections = {
        name: _pointed(connection, emulators[name])
        for name, connection in config["connections"].items()
    }
    dumped = yaml.safe_dump(
        {**config, "connections": connections}, sort_keys=False, allow_unicode=True
    )
    config_path = target / "funnelsync.yaml"
    config_path.write_text(HEADER + dumped, encoding="utf-8")
    (target / "contract.yaml").write_text(template_text("contract.yaml", PRESET), "utf-8")
    return config_path


def _pointed(connection: Mapping[str, Any], emulator: Emulator) -> dict[str, Any]:
    """``connection`` reaching ``emulator``, and mapping the fields it seeded."""
    mapping = dict(connection.get("mapping") or {})
    mapping["lead_fields"] = {**mapping.get("lead_fields", {}), **emulator.connection_mapping()}
    settings = {**connection.get("settings", {}), **emulator.connection_settings()}
    return {**connection, "settings": settings, "mapping": mapping}


def _prepare(workspace: Workspace, console: Console) -> None:
    """What `funnelsync check --fix` does: every connection usable, missing fields created."""
    opened = [(c, c.open(workspace.root, workspace.state_dir)) for c in workspace.connections]
    try:
        checks = check_connections(opened, workspace.contract, fix=True)
    finally:
        for _, connector in opened:
            connector.close()
    for connection, checked in zip(workspace.connections, checks, strict=True):
        if not checked.ok:
            problems = [*checked.messages, *checked.problems]
            problems += [f"missing field {info.name}" for info in checked.missing_fields]
            raise DemoSetupError(f"{connection.name} is not ready: " + "; ".join(problems))
        created = f": created {', '.join(checked.created)}" if checked.created else ""
        console.print(f"  check --fix {connection.name}: ok{created}", markup=False)


def run_emulated_demo(
    target: Path, *, seed: int, replace: bool, plugins: FunnelPlugins, run: Runner, console: Console
) -> EmulatedDemo:
    """Build the workspace in ``target``, sync against fresh emulators until quiet, stop them."""
    prepare_demo_dir(target, replace=replace)
    now = datetime.now(UTC)
    data = generate_demo_data(target / "seed", seed=seed, as_of=now)
    contract = FunnelContract.model_validate(yaml.safe_load(template_text("contract.yaml", PRESET)))
    people = people_with_history(data, contract, now, seed)
    console.print(f"Demo workspace: {target.resolve()}")
    config = yaml.safe_load(template_text("funnelsync.yaml", PRESET))
    with ExitStack() as stack:
        emulators = _start_emulators(plugins, config, stack)
        for name, emulator in emulators.items():
            side = _seed_data(people, name)
            emulator.seed(side.leads, side.activities)
            console.print(
                f"Started the {name} emulator and seeded it with {len(side.leads)} "
                f"{SIDES[name]} leads and {len(side.activities)} activities, kept the way "
                f"{name} keeps them."
            )
        console.print(f"Left out {people.left_out} deliberately bad rows that do not validate.")
        environment = {k: v for e in emulators.values() for k, v in e.environment().items()}
        with _environment(environment):
            config_path = _write_workspace(target, config, emulators)
            workspace = load_workspace(config_path, plugins)
            _prepare(workspace, console)
            runs = [run(plugins, workspace)]
            print_summary(console, workspace.contract, runs[0])
            while _writes(runs[-1]) and len(runs) < MAX_SYNCS:
                runs.append(run(plugins, workspace))
                _print_resync(console, len(runs), runs[-1])
    demo = EmulatedDemo(config_path, runs)
    _print_ending(console, demo)
    return demo


def _print_resync(console: Console, number: int, result: RunResult) -> None:
    report = result.report
    if _writes(result):
        changed = ", ".join(
            f"{name} {counts.created + counts.updated}"
            for name, counts in report.connections.items()
            if counts.created or counts.updated
        )
        outcome = (
            f"records changed: {changed}. Values the systems set themselves on the records "
            "created before (such as Salesforce's default Lead Status) reach the other system"
        )
    else:
        outcome = "nothing had changed, so nothing was written"
    console.print(
        f"Sync {number} ({report.status.value}): [bold]{_writes(result)} write calls[/bold] "
        f"in {report.duration_s:.2f}s — {outcome}."
    )


def _print_ending(console: Console, demo: EmulatedDemo) -> None:
    console.print(
        "The emulators ran in memory and have stopped with the demo: this workspace cannot "
        "sync again. Its state stays readable, e.g. "
        f"`funnelsync status --config {demo.config_path}`. For a demo you can re-run, use "
        "`funnelsync demo` (CSV files); for real systems, "
        "`funnelsync init DIR --preset hubspot-salesforce`."
    )
