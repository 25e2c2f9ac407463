"""The csv connector passes funnelsync's conformance kit, as a vendor's connector would.
With ``--funnelsync-conformance`` (in the project's pytest ``addopts``) the kit collects
its checks beside this conftest, as it does for a vendor's.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest

from funnelsync import Activity, Lead
from funnelsync.connector import ConnectorContext
from funnelsync.plugins.csv import CsvConnector, CsvSettings
from funnelsync.testing import ConformanceTarget

COLUMNS = ["email", "first_name", "last_name", "company", "created_at", "updated_at"]
ACTIVITY_COLUMNS = ["email", "type", "occurred_at", "asset"]


def seed_file(path: Path, leads: Sequence[Lead]) -> None:
    """Append ``leads`` as rows, last modified at ``updated_at`` (keeping other columns)."""
    rows: list[dict[str, str]] = []
    header = list(COLUMNS)
    if path.exists():
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            header += [name for name in reader.fieldnames or [] if name not in header]
            rows = list(reader)
    for lead in leads:
        values = lead.model_dump(mode="json")
        rows.append({name: str(values.get(name) or "") for name in COLUMNS})
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, header, restval="")
        writer.writeheader()
        writer.writerows(rows)


def seed_activities(folder: Path, leads: Sequence[Lead], activities: Sequence[Activity]) -> None:
    """Append ``leads`` to the leads file and ``activities`` to the activities file."""
    seed_file(folder / "leads.csv", leads)
    with (folder / "activities.csv").open("a", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, ACTIVITY_COLUMNS)
        for activity in activities:
            writer.writerow(activity.model_dump(mode="json", include=set(ACTIVITY_COLUMNS)))


funnelsync_not_applicable = {
    "passing_failures_are_retryable": "a local file has no passing failures",
    "spent_budget_holds_writes": "a local file has no API budget",
}


@pytest.fixture
def funnelsync_target(tmp_path: Path) -> ConformanceTarget:
    settings = CsvSettings.model_validate(
        {
            "leads": {"path": "leads.csv", "modified_column": "updated_at"},
            "activities": {"path": "activities.csv", "modified_column": "occurred_at"},
        }
    )
    # The system: a leads file and an activities file, each with a modified column.
    seed_file(tmp_path / "leads.csv", [])
    (tmp_path / "activities.csv").write_text(",".join(ACTIVITY_COLUMNS) + "\n")
    return ConformanceTarget(
        make_connector=lambda: CsvConnector(settings, ConnectorContext("kit", tmp_path)),
        seed=lambda leads: seed_file(tmp_path / "leads.csv", leads),
        seed_activities=lambda leads, done: seed_activities(tmp_path, leads, done),
        accepts_new_fields=True,
        rejected_fields={"email": ""},  # the key column may not be left empty
        detour_values=("mql", "lead"),
    )
