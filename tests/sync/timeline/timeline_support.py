"""The emulated demo's workspace (HubSpot and Salesforce emulators, the preset's contract
with its timeline), built the way `funnelsync demo --systems emulators` builds it, for
timeline tests that sync it several times and look inside the emulators."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.hubspot.emulator.demo import HubSpotDemoEmulator
from funnelsync.plugins.salesforce.emulator.demo import SalesforceDemoEmulator
from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.demo.emulated import (
    PRESET,
    _environment,
    _prepare,
    _seed_data,
    _start_emulators,
    _write_workspace,
)
from funnelsync.sync.demo.emulated_history import standardise_statuses
from funnelsync.sync.demo.people import read_demo_people
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import template_text

REF_FIELD = "Funnelsync_Ref__c"
NOTE_REF = "funnelsync_ref"
ECHO_POINTS = {"note": 5, "task": 5}
"""Engagement points for the types funnelsync's own entries are read back as (HubSpot
notes, Salesforce Tasks of Type Other): were an entry counted, scores would move."""


@dataclass
class Emulated:
    """A workspace on running emulators, with the environment its connections need."""

    plugins: FunnelPlugins
    config_path: Path
    hubspot: HubSpotDemoEmulator
    salesforce: SalesforceDemoEmulator
    environment: dict[str, str]

    def sync(self) -> RunResult:
        """One sync in this process."""
        with _environment(self.environment):
            return run_sync(load_workspace(self.config_path, self.plugins), self.plugins)

    @property
    def database(self) -> Path:
        """The workspace's SQLite state file."""
        return self.config_path.parent / "state" / "funnelsync.db"

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on the state database."""
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        with closing(db):
            return db.execute(sql, args).fetchall()

    def execute(self, sql: str) -> None:
        """Change the state database (as damage or a rebuild would)."""
        with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
            db.execute(sql)

    def task_refs(self) -> Counter[str]:
        """How many Tasks hold each funnelsync reference."""
        tasks = self.salesforce.org.table("Task").values()
        return Counter(str(t[REF_FIELD]) for t in tasks if t.get(REF_FIELD))

    def note_refs(self) -> Counter[str]:
        """How many notes hold each funnelsync reference."""
        notes = self.hubspot.portal.store.all("notes")
        return Counter(n.properties[NOTE_REF] for n in notes if n.properties.get(NOTE_REF))

    def written(self, connection: str) -> set[str]:
        """Refs the state records as written to ``connection``."""
        rows = self.query(
            "SELECT ref FROM timeline WHERE connection = ? AND status = 'written'", connection
        )
        return {row[0] for row in rows}


@contextmanager
def emulated_workspace(target: Path, people: int = 300) -> Iterator[Emulated]:
    """The emulated demo's workspace in ``target``, generated with ``people`` people, its
    contract giving points to the types funnelsync's own entries would be read back as."""
    plugins = create_plugins()
    data = generate_demo_data(
        target / "seed", seed=16, leads=people, activities=people * 10, as_of=datetime.now(UTC)
    )
    standardise_statuses(data)
    demo = read_demo_people(data)
    config = yaml.safe_load(template_text("funnelsync.yaml", PRESET))
    with ExitStack() as stack:
        emulators = _start_emulators(plugins, config, stack)
        for name, emulator in emulators.items():
            side = _seed_data(demo, name)
            emulator.seed(side.leads, side.activities)
        environment = {k: v for e in emulators.values() for k, v in e.environment().items()}
        with _environment(environment):
            config_path = _write_workspace(target, config, emulators)
            contract_path = target / "contract.yaml"
            contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
            contract["scoring"]["engagement"]["points"].update(ECHO_POINTS)
            contract_path.write_text(yaml.safe_dump(contract, sort_keys=False), "utf-8")
            _prepare(load_workspace(config_path, plugins), Console(file=io.StringIO()))
        hubspot, salesforce = emulators["hubspot"], emulators["salesforce"]
        assert isinstance(hubspot, HubSpotDemoEmulator)
        assert isinstance(salesforce, SalesforceDemoEmulator)
        yield Emulated(plugins, config_path, hubspot, salesforce, environment)
