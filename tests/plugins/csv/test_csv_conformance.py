"""The csv connector passes funnelsync's conformance kit, as a vendor's connector would."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest

from funnelsync import Lead
from funnelsync.connector import ConnectorContext
from funnelsync.plugins.csv import CsvConnector, CsvSettings
from funnelsync.testing import ConformanceTarget, ConnectorConformance

COLUMNS = ["email", "first_name", "last_name", "company", "created_at", "updated_at"]


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


class TestCsvConformance(ConnectorConformance):
    not_applicable = {"passing_failures_are_retryable": "a local file has no passing failures"}

    @pytest.fixture
    def funnelsync_target(self, tmp_path: Path) -> ConformanceTarget:
        settings = CsvSettings.model_validate(
            {"leads": {"path": "leads.csv", "modified_column": "updated_at"}}
        )
        seed_file(tmp_path / "leads.csv", [])  # the system: a leads file with a modified column
        return ConformanceTarget(
            make_connector=lambda: CsvConnector(settings, ConnectorContext("kit", tmp_path)),
            seed=lambda leads: seed_file(tmp_path / "leads.csv", leads),
            accepts_new_fields=True,
            rejected_fields={"email": ""},  # the key column may not be left empty
            detour_values=("mql", "lead"),
        )
