"""Cells starting with a tab or a carriage return are defused like ``=``, ``+``, ``-``, ``@``."""

from __future__ import annotations

from pathlib import Path

from csv_support import make_connector, read_all

from funnelsync.connector import LeadWrite

VALUES = {"a": "\t=cmd|' /C calc'!A0", "b": "\r=1+1", "c": "\tplain"}


def test_tab_and_carriage_return_starts_are_defused_and_round_trip(tmp_path: Path) -> None:
    """A spreadsheet runs a cell starting with a tab or CR as a formula too."""
    connector = make_connector(tmp_path)
    connector.write_leads(
        [LeadWrite("ann@example.com", None, {"email": "ann@example.com", **VALUES})]
    )
    text = (tmp_path / "leads.csv").read_bytes().decode("utf-8")
    assert "'\t=cmd" in text
    assert "'\r=1+1" in text
    assert "'\tplain" in text
    [record] = read_all(connector.read_leads(None)).records
    assert {k: v for k, v in record.fields.items() if k != "email"} == VALUES
