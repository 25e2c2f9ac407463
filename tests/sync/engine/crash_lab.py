"""The crash lab: runs of a real ``funnelsync sync`` subprocess with the ``killable_csv``
test plugin (``crash_plugin``, next to this file), killed at a traced operation.

Shared by ``test_crash_safety.py``, ``test_crash_pending_writes.py`` and
``test_handoff_crash.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from crash_plugin.killable_csv import KILL_AT_ENV, TRACE_ENV
from sync_support import use_state_url

PLUGIN_PACKAGE = Path(__file__).parent / "crash_plugin"
DIST_INFO = "funnelsync_crash_test_plugin-0.dist-info"
TIMEOUT_S = 120
"""Longest a single sync subprocess may take."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One operation of the reference run, as the plugin traced it."""

    number: int
    label: str
    detail: str = ""

    @property
    def creates(self) -> int:
        """How many records a write call creates (0 for other checkpoints)."""
        found = re.search(r"(\d+) new", self.detail)
        return int(found.group(1)) if found else 0


Trace = list[Checkpoint]


def read_trace(path: Path) -> Trace:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Checkpoint(int(number), *rest) for number, *rest in (ln.split("\t") for ln in lines)]


def command() -> list[str]:
    """The ``funnelsync`` console script of this interpreter's environment (or its entry)."""
    script = Path(sys.executable).with_name("funnelsync")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from funnelsync.sync.cli.main import main; main()"]


@dataclass(frozen=True, slots=True)
class Lab:
    """Where the runs happen: the plugin's distribution directory and the pristine data."""

    root: Path
    plugin_path: Path
    pristine: Path
    new_database: Callable[[], str] | None = None
    """Makes a fresh PostgreSQL database for each copy's state (``None``: SQLite, in the
    copy's own ``state/``)."""

    def env(self, *, kill_at: int | None = None, trace: Path | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in (KILL_AT_ENV, TRACE_ENV)}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.plugin_path), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        if kill_at is not None:
            env[KILL_AT_ENV] = str(kill_at)
        if trace is not None:
            env[TRACE_ENV] = str(trace)
        return env

    def sync(
        self, workspace: Path, *, kill_at: int | None = None, trace: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command(), "sync", "--config", str(workspace / "funnelsync.yaml"), "--json"],
            cwd=workspace,
            env=self.env(kill_at=kill_at, trace=trace),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )

    def copy(self, name: str) -> Path:
        target = self.root / name
        shutil.copytree(self.pristine, target)
        if self.new_database is not None:
            use_state_url(target / "funnelsync.yaml", self.new_database())
        return target


def install_plugin(target: Path) -> Path:
    """A throwaway distribution of ``crash_plugin`` in ``target``, found by entry point."""
    shutil.copytree(
        PLUGIN_PACKAGE, target / "crash_plugin", ignore=shutil.ignore_patterns("__pycache__")
    )
    info = target / DIST_INFO
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: funnelsync-crash-test-plugin\nVersion: 0\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(
        "[funnelsync.plugins]\nkillable_csv = crash_plugin.killable_csv\n", encoding="utf-8"
    )
    return target


def stage_date_columns(workspace: Path) -> set[str]:
    config = yaml.safe_load((workspace / "funnelsync.yaml").read_text(encoding="utf-8"))
    columns = set()
    for connection in config["connections"].values():
        for name, target in ((connection.get("mapping") or {}).get("lead_fields") or {}).items():
            if name.startswith("stage_dates.") and target:
                columns.add(target if isinstance(target, str) else target["field"])
    return columns
