"""Tests for the jsonl connector: the kind of suite a vendor writes for their own."""

from __future__ import annotations

import json
from pathlib import Path

from funnelsync_jsonl import JsonlConnector, JsonlSettings

from funnelsync import ConnectorContext, LeadWrite, WriteStatus
from funnelsync.mapping import read_lead
from funnelsync.plugin_manager import create_plugins


def connector_for(workspace: Path, text: str) -> JsonlConnector:
    """A connector on ``workspace/leads.jsonl`` holding ``text``."""
    (workspace / "leads.jsonl").write_text(text, encoding="utf-8")
    return JsonlConnector(JsonlSettings(path=Path("leads.jsonl")), ConnectorContext("t", workspace))


def test_the_entry_point_registers_the_connector() -> None:
    assert create_plugins().connector("jsonl") is JsonlConnector


def test_reads_leads_and_sets_bad_lines_aside(tmp_path: Path) -> None:
    connector = connector_for(tmp_path, '{"email": " Ada@Example.com ", "company_size": 40}\n[1]\n')
    [batch] = connector.read_leads(None)
    assert [record.record_id for record in batch.records] == ["Ada@Example.com"]
    assert [(r.location, r.payload) for r in batch.rejected] == [("leads.jsonl:2", "[1]")]
    lead = read_lead(JsonlConnector.default_mapping, batch.records[0].fields)
    assert (lead.email, lead.company_size) == ("ada@example.com", 40)
    assert list(connector.read_leads(batch.cursor)) == []  # unchanged file: nothing new


def test_writes_upsert_by_email_and_return_one_result_each(tmp_path: Path) -> None:
    connector = connector_for(tmp_path, '{"email": "Ada@Example.com", "title": "CTO"}\n')
    results = connector.write_leads(
        [
            LeadWrite("ada@example.com", None, {"score": 80}),
            LeadWrite("bob@example.com", None, {"score": 10}),
        ]
    )
    assert [result.status for result in results] == [WriteStatus.ok, WriteStatus.ok]
    lines = (tmp_path / "leads.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"email": "Ada@Example.com", "title": "CTO", "score": 80},
        {"email": "bob@example.com", "score": 10},
    ]
