"""Reading a block of lines at once gives exactly what reading line by line gives.

After the header, :class:`CsvTable` parses blocks of whole-line rows with one
:mod:`csv` call and reads anything unusual line by line. On messy files (encodings,
byte-order marks, quoted newlines, unclosed quotes, undecodable bytes, short and long
rows, every line ending, any block size) the rows, their lines, the unreadable rows'
reasons and text, and any error must be the same as with every line read on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelsync.connector import ConnectorError
from funnelsync.plugins.csv import table as table_module
from funnelsync.plugins.csv.table import MAX_FIELD_CHARS, MAX_LINE_CHARS, CsvFormat, open_table

PIECES = [
    "a",
    "Bob",
    "é",
    "€",
    " ",
    "'=x",
    ",",
    ";",
    '"',
    '""',
    "\n",
    "\r\n",
    "\r",
    "\t",
    b"\xff",
    b"\x81",
    b"\xc3",
    "\x00",
]
"""What messy files are made of: text, delimiters, quotes, line endings, bytes no (or
not every) encoding can decode."""


def _bytes(pieces: list[str | bytes], encoding: str) -> bytes:
    return b"".join(
        piece if isinstance(piece, bytes) else piece.encode(encoding, errors="ignore")
        for piece in pieces
    )


def read(path: Path, fmt: CsvFormat, block_chars: int) -> dict[str, Any]:
    """Everything a reader of ``path`` can see, up to an error (which is part of it)."""
    seen: dict[str, Any] = {"rows": []}
    try:
        with open_table(path, fmt, block_chars=block_chars) as table:
            seen |= {"header": table.header, "bom": table.has_bom, "newline": table.newline}
            for row in table.rows():
                seen["rows"].append((row.line, row.cells, row.problem, row.text))
    except ConnectorError as exc:
        seen["error"] = str(exc)
    return seen


messy_files = st.fixed_dictionaries(
    {
        "encoding": st.sampled_from(["utf-8", "cp1252", "latin-1"]),
        "delimiter": st.sampled_from([",", ";"]),
        "bom": st.booleans(),
        "header": st.sampled_from(["id,email,type\r\n", "id;email;type\n", "id,email\r", ""]),
        "body": st.lists(st.sampled_from(PIECES), max_size=120),
        "block_chars": st.integers(min_value=1, max_value=40),
    }
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messy=messy_files)
def test_blocks_read_the_same_rows_as_lines_on_messy_files(
    tmp_path: Path, messy: dict[str, Any]
) -> None:
    encoding = messy["encoding"]
    data = _bytes([messy["header"], *messy["body"]], encoding)
    if messy["bom"]:
        data = "\ufeff".encode(encoding, errors="ignore") + data
    path = tmp_path / "messy.csv"
    path.write_bytes(data)
    fmt = CsvFormat(messy["delimiter"], encoding)
    by_line = read(path, fmt, block_chars=0)
    assert read(path, fmt, block_chars=messy["block_chars"]) == by_line
    assert read(path, fmt, block_chars=table_module.BLOCK_CHARS) == by_line


def _rows(count: int) -> str:
    return "".join(f"A{n},a{n}@example.com,email_open\r\n" for n in range(count))


def test_a_long_line_fails_the_file_where_it_is_after_the_rows_before_it(tmp_path: Path) -> None:
    """A line longer than the limit deep in a file: the rows before it are read, then
    the same error names its line."""
    path = tmp_path / "long.csv"
    text = "id,email,type\r\n" + _rows(3000) + "x" * (MAX_LINE_CHARS + 5) + "\r\n" + _rows(2)
    path.write_text(text, encoding="utf-8")
    fmt = CsvFormat(",", "utf-8")
    by_line = read(path, fmt, block_chars=0)
    assert by_line["error"].startswith("long.csv:3002: a line longer than")
    assert len(by_line["rows"]) == 3000
    assert read(path, fmt, block_chars=table_module.BLOCK_CHARS) == by_line
    assert read(path, fmt, block_chars=100) == by_line


def test_a_cell_over_the_field_limit_is_the_same_unreadable_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    text = "id,email,type\n" + _rows(2000) + "B1," + "y" * (MAX_FIELD_CHARS + 1) + ",t\n"
    path.write_text(text + _rows(5), encoding="utf-8")
    fmt = CsvFormat(",", "utf-8")
    by_line = read(path, fmt, block_chars=0)
    problems = [row for row in by_line["rows"] if row[2] is not None]
    assert [row[0] for row in problems] == [2002]
    assert len(by_line["rows"]) == 2006
    assert read(path, fmt, block_chars=table_module.BLOCK_CHARS) == by_line


def test_a_quoted_newline_after_many_plain_rows_is_one_row(tmp_path: Path) -> None:
    """Blocks around a row across lines: it keeps its first line; the lines after it keep
    their numbers."""
    path = tmp_path / "quoted.csv"
    text = "id,email,type\n" + _rows(1500) + 'Q1,q@example.com,"two\nlines"\n' + _rows(1500)
    path.write_text(text, encoding="utf-8")
    fmt = CsvFormat(",", "utf-8")
    read_blocks = read(path, fmt, block_chars=table_module.BLOCK_CHARS)
    assert read_blocks == read(path, fmt, block_chars=0)
    quoted = read_blocks["rows"][1500]
    assert quoted[:2] == (1502, ["Q1", "q@example.com", "two\nlines"])
    assert read_blocks["rows"][-1][0] == 3003
