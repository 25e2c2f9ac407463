"""Turning on the timeline in the small CSV workspace: significant types, and the sales
connection's ``activities_out`` file."""

from __future__ import annotations

from pathlib import Path

import yaml


def with_timeline(config: Path, significant: list[str]) -> Path:
    """Mark ``significant`` in the contract and give sales an ``activities_out`` file; its path."""
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["connections"]["sales"]["settings"]["activities_out"] = "data/sales/timeline.csv"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    contract_path = config.parent / "contract.yaml"
    contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
    labels = {"demo_request": "Demo asked"} if "demo_request" in significant else {}
    contract["timeline"] = {"significant": significant, "labels": labels}
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    return config.parent / "data" / "sales" / "timeline.csv"
