"""Creating a workspace from the bundled templates (`funnelsync init`, the demo)."""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

from funnelsync.sync.demo_data import (
    MARKETING_ACTIVITY_COLUMNS,
    MARKETING_LEAD_COLUMNS,
    SALES_ACTIVITY_COLUMNS,
    SALES_LEAD_COLUMNS,
)

TEMPLATE_FILES = ("funnelsync.yaml", "contract.yaml")

EMPTY_DATA_FILES: dict[str, tuple[str, ...]] = {
    "data/marketing/leads.csv": MARKETING_LEAD_COLUMNS,
    "data/marketing/activities.csv": MARKETING_ACTIVITY_COLUMNS,
    "data/sales/leads.csv": SALES_LEAD_COLUMNS,
    "data/sales/activities.csv": SALES_ACTIVITY_COLUMNS,
}
"""The CSV files the template config reads, with their header rows."""


class WorkspaceExistsError(Exception):
    """The target directory already has a workspace config."""


def template_text(name: str) -> str:
    """The bundled template file ``name``."""
    return files("funnelsync.sync").joinpath("templates", name).read_text(encoding="utf-8")


def write_templates(target: Path, *, with_empty_data: bool) -> Path:
    """Write the config and contract (and, if asked, empty CSV files) into ``target``.

    Returns the config path. Refuses to overwrite an existing ``funnelsync.yaml``.
    """
    config_path = target / "funnelsync.yaml"
    planned = [target / name for name in TEMPLATE_FILES]
    if with_empty_data:
        planned += [target / relative for relative in EMPTY_DATA_FILES]
    existing = [path for path in planned if path.exists()]
    if existing:
        names = ", ".join(str(path) for path in existing)
        raise WorkspaceExistsError(f"{names} already exist(s); not overwriting")
    target.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        (target / name).write_text(template_text(name), encoding="utf-8")
    if with_empty_data:
        for relative, header in EMPTY_DATA_FILES.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as out:
                csv.writer(out).writerow(header)
    return config_path
