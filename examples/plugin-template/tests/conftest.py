"""The one fixture funnelsync's conformance kit needs: this connector on a system it may fill.

``pytest`` runs the kit (``--funnelsync-conformance`` is in pyproject.toml's ``addopts``)
beside this file, then the connector's own tests in ``test_connector.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from funnelsync_jsonl import JsonlConnector, JsonlSettings

from funnelsync import ConnectorContext, Lead
from funnelsync.testing import ConformanceTarget

funnelsync_not_applicable = {
    "passing_failures_are_retryable": "a local file has no rate limits or locks",
    "spent_budget_holds_writes": "a local file has no API budget",
}


def append_leads(path: Path, leads: Sequence[Lead]) -> None:
    """Add ``leads`` to the file as a person would: one JSON object per line."""
    with path.open("a", encoding="utf-8") as file:
        for lead in leads:
            file.write(json.dumps(lead.model_dump(mode="json", exclude_none=True)) + "\n")


@pytest.fixture
def funnelsync_target(tmp_path: Path) -> ConformanceTarget:
    """A ``jsonl`` connector on an empty ``leads.jsonl``, and how to fill it."""
    path = tmp_path / "leads.jsonl"
    path.touch()
    settings = JsonlSettings(path=Path("leads.jsonl"))
    return ConformanceTarget(
        make_connector=lambda: JsonlConnector(settings, ConnectorContext("kit", tmp_path)),
        seed=lambda leads: append_leads(path, leads),
        full_reads=True,  # no modification times: a changed file is read whole
        accepts_new_fields=True,  # any key can be written to a JSON object
        rejected_fields={"title": b"bytes"},  # the file cannot store bytes as JSON
        detour_values=("mql", "lead"),
    )
