"""The demo: a workspace with generated data for a marketing and a sales system."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from funnelsync.contract import FunnelContract
from funnelsync.sync.demo.data import generate_demo_data
from funnelsync.sync.demo.history import add_history
from funnelsync.sync.workspace.scaffold import write_templates

MARKER = ".funnelsync-demo"
"""File that marks a directory as a demo workspace, so `--force` may rebuild it."""


class DemoExistsError(Exception):
    """The demo directory is in use and may not be rebuilt."""


@dataclass(frozen=True, slots=True)
class DemoBuild:
    """Where the demo workspace is and what was generated in it."""

    config_path: Path
    people: int
    marketing_leads: int
    sales_leads: int
    activities: int
    bad_rows: int


def default_demo_dir() -> Path:
    """A new temporary directory for a demo run without ``--dir``."""
    return Path(tempfile.mkdtemp(prefix="funnelsync-demo-"))


def prepare_demo_dir(target: Path, *, replace: bool) -> None:
    """Make ``target`` an empty demo directory, marked as one.

    An earlier demo there is removed only with ``replace``; a non-empty directory that is
    not a demo is never touched (:class:`DemoExistsError`).
    """
    if target.exists() and any(target.iterdir()):
        if not (target / MARKER).exists():
            raise DemoExistsError(
                f"{target} is not empty and is not a funnelsync demo; not touching it"
            )
        if not replace:
            raise DemoExistsError(
                f"{target} already holds a demo; rebuild it with --force (a CSV demo also "
                f"syncs again: `funnelsync sync --config {target / 'funnelsync.yaml'}`)"
            )
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).write_text("built by `funnelsync demo`\n", encoding="utf-8")


def build_demo(
    target: Path, *, seed: int = 7, replace: bool = False, as_of: datetime | None = None
) -> DemoBuild:
    """Write the template config and contract and generated data into ``target``."""
    prepare_demo_dir(target, replace=replace)
    config_path = write_templates(target, with_empty_data=False)
    now = as_of or datetime.now(UTC)
    summary = generate_demo_data(target / "data", seed=seed, as_of=now)
    contract = FunnelContract.model_validate(
        yaml.safe_load((target / "contract.yaml").read_text(encoding="utf-8"))
    )
    add_history(target / "data", contract, now, seed)
    return DemoBuild(
        config_path=config_path,
        people=summary.people,
        marketing_leads=summary.marketing_leads,
        sales_leads=summary.sales_leads,
        activities=summary.marketing_activities + summary.sales_activities,
        bad_rows=summary.bad_rows,
    )
