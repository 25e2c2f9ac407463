"""Creating a workspace from the bundled templates (`funnelsync init`, the demos).

Each preset is a config and a contract: ``csv`` (the default; two CSV systems, files in
``templates/``) and the others in ``templates/presets/<name>/``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from funnelsync.sync.demo.data import (
    MARKETING_ACTIVITY_COLUMNS,
    MARKETING_LEAD_COLUMNS,
    SALES_ACTIVITY_COLUMNS,
    SALES_LEAD_COLUMNS,
)

TEMPLATE_FILES = ("funnelsync.yaml", "contract.yaml")

EMPTY_DATA_FILES: dict[str, tuple[str, ...]] = {
    "data/marketing/leads.csv": (
        *MARKETING_LEAD_COLUMNS,
        *("fit_score", "engagement_score", "score", "stage", "stage_reason", "team"),
        *("explanation", "talking_points", "stalled"),
        *(f"{stage}_date" for stage in ("subscriber", "lead", "mql", "sal", "sql")),
        *(f"{stage}_date" for stage in ("customer", "recycled", "disqualified")),
    ),
    "data/marketing/activities.csv": MARKETING_ACTIVITY_COLUMNS,
    "data/sales/leads.csv": (
        *SALES_LEAD_COLUMNS,
        *("Fit Score", "Engagement Score", "Lead Score", "Funnel Stage", "Stage Reason"),
        *("Owning Team", "Score Explanation", "Talking Points", "Stalled"),
        *(f"{stage} Date" for stage in ("Subscriber", "Lead", "MQL", "SAL", "SQL")),
        *(f"{stage} Date" for stage in ("Customer", "Recycled", "Disqualified")),
    ),
    "data/sales/activities.csv": SALES_ACTIVITY_COLUMNS,
}
"""The CSV files the csv preset's config reads, with their header rows: every column its
mapping reads or writes, so `funnelsync check` passes on a fresh workspace."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A bundled workspace template."""

    name: str
    folder: tuple[str, ...]
    """Where its files are: the folders under ``templates/``."""
    description: str
    next_steps: tuple[str, ...]
    """What to do after `init`, one line each; ``{config}`` is the config's path."""
    empty_data: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """CSV files `init` creates with just their header row."""


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "csv",
            (),
            "two CSV systems (marketing and sales) with empty data files",
            ("Next: funnelsync validate --config {config}",),
            EMPTY_DATA_FILES,
        ),
        Preset(
            "hubspot-salesforce",
            ("presets", "hubspot-salesforce"),
            "HubSpot (marketing) and Salesforce (sales) with their standard values",
            (
                "Set HUBSPOT_ACCESS_TOKEN, SALESFORCE_MY_DOMAIN, SALESFORCE_CONSUMER_KEY and "
                "SALESFORCE_CONSUMER_SECRET in the environment.",
                "Next: funnelsync validate --config {config}",
                "Then: funnelsync check --fix --config {config}",
            ),
        ),
    )
}
DEFAULT_PRESET = "csv"


class WorkspaceExistsError(Exception):
    """The target directory already has a workspace config."""


def template_text(name: str, preset: str = DEFAULT_PRESET) -> str:
    """The bundled file ``name`` of ``preset``; ``KeyError`` for an unknown preset."""
    folder = files("funnelsync.sync.workspace").joinpath("templates", *PRESETS[preset].folder)
    return folder.joinpath(name).read_text(encoding="utf-8")


def write_templates(target: Path, *, with_empty_data: bool, preset: str = DEFAULT_PRESET) -> Path:
    """Write ``preset``'s config and contract (and, if asked, its empty CSV files) into ``target``.

    Returns the config path. Refuses to overwrite any of those files.
    """
    chosen = PRESETS[preset]
    data_files = chosen.empty_data if with_empty_data else {}
    planned = [target / name for name in TEMPLATE_FILES] + [target / path for path in data_files]
    existing = [path for path in planned if path.exists()]
    if existing:
        names = ", ".join(str(path) for path in existing)
        raise WorkspaceExistsError(f"{names} already exist(s); not overwriting")
    target.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        (target / name).write_text(template_text(name, preset), encoding="utf-8")
    for relative, header in data_files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerow(header)
    return target / "funnelsync.yaml"
