"""Cells starting with a tab or a carriage return are defused like ``=``, ``+``, ``-``, ``@``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from csv_support import make_connector, read_all
from hypothesis import given
from hypothesis import strategies as st

from funnelsync.connector import LeadWrite
from funnelsync.plugins.csv.cells import UnsupportedValueError, cell_text, cells_of

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


_STARTS = st.sampled_from(["", "'", "''", "=", "+", "-", "@", "\t", "\r", "x", "5", ".5", "1e3"])
_VALUES = st.one_of(
    st.builds(str.__add__, _STARTS, st.text(max_size=4)),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES))
def test_a_writes_cells_are_each_value_as_its_own_cell_text(fields: dict[str, Any]) -> None:
    """The cells of a write spell out common values without a call each: the same text
    (``-inf`` defused, ``-5`` and ``true`` not) as each value alone."""
    assert cells_of(fields) == {name: cell_text(value) for name, value in fields.items()}


def test_a_value_that_has_no_cell_is_refused_among_others() -> None:
    with pytest.raises(UnsupportedValueError, match="a list cannot be written to a CSV cell"):
        cells_of({"a": "x", "b": [1]})
