"""The leads writer streams the file: what it writes and answers is, byte for byte, what
the writer that held the whole file in memory did (:mod:`csv_sheet_oracle`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from csv_sheet_oracle import add_columns_in_memory, upsert_in_memory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelsync.connector import ConnectorError, LeadWrite
from funnelsync.plugins.csv.table import CsvFormat, open_table
from funnelsync.plugins.csv.writing import add_columns, upsert_leads

_KEYS = ["ann@example.com", "Ann@Example.com", " bob@example.com ", "'=cy@example.com", "", "dee"]
_TEXT = st.sampled_from(["x", "", "Zoë", "a,b", 'q"t', "line\nbreak", "=1+1", "€5", " pad "])


@st.composite
def _files(draw: st.DrawFn) -> tuple[bytes, CsvFormat, str]:
    """A leads file with good, duplicate, malformed, unreadable and blank rows."""
    encoding = draw(st.sampled_from(["utf-8", "latin-1"]))
    delimiter = draw(st.sampled_from([",", ";"]))
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    others = draw(st.lists(st.sampled_from(["first_name", "company", "score"]), unique=True))
    header = draw(st.permutations(["email", *others]))
    lines = [delimiter.join(header)]
    for kind in draw(st.lists(st.sampled_from("ggggsluqb"), max_size=12)):
        key = draw(st.sampled_from(_KEYS))
        if kind == "g":  # good: one cell per column
            cells = [
                key if name == "email" else draw(st.sampled_from(["v", ""])) for name in header
            ]
            lines.append(delimiter.join(cells))
        elif kind == "s":  # short
            lines.append(key)
        elif kind == "l":  # long
            lines.append(delimiter.join([key, *["w"] * len(header)]))
        elif kind == "u":  # unreadable bytes in utf-8 (latin-1 reads any byte)
            lines.append(key + "\udcff")
        elif kind == "q":  # an unclosed quote
            lines.append('"' + key)
        else:
            lines.append("")
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    bom = "\ufeff" if draw(st.booleans()) and encoding == "utf-8" else ""
    data = (bom + text).encode(encoding, errors="surrogateescape")
    return data, CsvFormat(delimiter, encoding), "email"


@st.composite
def _writes(draw: st.DrawFn) -> list[LeadWrite]:
    writes = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from([*_KEYS[:3], "new@example.com", "NEW@example.com", "k:1"]))
        record_id = draw(st.sampled_from([None, *_KEYS, "gone"]))
        fields: dict[str, Any] = {}
        for name in draw(st.lists(st.sampled_from(["first_name", "stage", "email", "note"]))):
            if name == "email":
                fields[name] = draw(
                    st.sampled_from(["", " ", "new2@example.com", "Ann@Example.com"])
                )
            elif name == "note":
                fields[name] = draw(
                    st.one_of(
                        _TEXT, st.integers(), st.floats(), st.booleans(), st.just([1]), st.none()
                    )
                )
            else:
                fields[name] = draw(_TEXT)
        writes.append(LeadWrite(key.strip() or "k:2", record_id, fields))
    return writes


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.one_of(st.none(), _files()), writes=_writes(), add=st.booleans())
def test_the_streamed_rewrite_equals_the_whole_file_rewrite(
    file: tuple[bytes, CsvFormat, str] | None, writes: list[LeadWrite], add: bool
) -> None:
    data, fmt, key_column = file or (b"", CsvFormat(",", "utf-8"), "email")
    with tempfile.TemporaryDirectory() as directory:
        streamed, in_memory = Path(directory, "a.csv"), Path(directory, "b.csv")
        if file is not None:
            streamed.write_bytes(data)
            in_memory.write_bytes(data)
        try:
            expected: Any = upsert_in_memory(in_memory, key_column, fmt, writes)
        except ConnectorError as exc:
            expected = str(exc).replace("b.csv", "a.csv")
        try:
            answered: Any = upsert_leads(streamed, key_column, fmt, writes)
        except ConnectorError as exc:
            answered = str(exc)
        assert answered == expected
        if add and isinstance(answered, list):
            added = add_columns(streamed, key_column, fmt, ["stage", "extra"])
            assert added == add_columns_in_memory(in_memory, key_column, fmt, ["stage", "extra"])
        assert streamed.exists() == in_memory.exists()
        if streamed.exists():
            assert streamed.read_bytes() == in_memory.read_bytes()


def test_a_file_changed_in_place_while_being_rewritten_fails_and_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"email,score\r\nann@example.com,1\r\n")
    fmt = CsvFormat(",", "utf-8")
    with open_table(path, fmt) as table:
        assert [row.cells for row in table.rows()] == [["ann@example.com", "1"]]
        with path.open("ab") as out:
            out.write(b"bob@example.com,2\r\n")
        with pytest.raises(ConnectorError, match="changed while funnelsync was writing it"):
            table.again()
    assert path.read_bytes() == b"email,score\r\nann@example.com,1\r\nbob@example.com,2\r\n"
