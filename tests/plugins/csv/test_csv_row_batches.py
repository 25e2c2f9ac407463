"""Activities as rows (``read_activity_rows``) are the records ``read_activities`` gives.

For random messy files and every way of naming records (an id column or the row's
content) and of resuming (by file fingerprint or by modified column, from no cursor or
from an earlier read's), each batch must hold the same records (id, fields, location),
the same rejections (location, reason, text) and the same cursor.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from csv_support import make_connector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelsync.connector import ConnectorError, ReadBatch, RowBatch
from funnelsync.plugins.csv.reading import BATCH_SIZE, IdColumn, content_id, read_records
from funnelsync.plugins.csv.row_batches import read_row_batches
from funnelsync.plugins.csv.table import CsvFormat

HEADER = ["id", "email", "type", "modified"]
CELLS = {
    "id": ["A1", "A2", " A1 ", "a1", "", "  ", "=A3", "'=A3", "A4"],
    "email": ["ann@example.com", " Bob@Example.com", "not-an-email", "", "-x@example.com"],
    "type": ["email_open", "", " ", "+call", "two\nlines", "é"],
    "modified": ["2024-01-01T00:00:00Z", "2024-01-02", "2024-01-01T00:00:00+00:00", "junk", ""],
}
RAW_LINES = ['A9,"open,quote,t\n', "A8,\xff@example.com,t,2024-01-03\n", "\n", " , , , \n"]
"""Lines written as they are: an unclosed quote, an undecodable byte, blank rows."""


def _row(draw: st.DrawFn) -> list[str]:
    cells = [draw(st.sampled_from(CELLS[name])) for name in HEADER]
    width = draw(st.sampled_from([4, 4, 4, 4, 3, 5, 1]))
    return [*cells, "extra"][:width]


@st.composite
def messy_files(draw: st.DrawFn) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(HEADER)
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            text.write(draw(st.sampled_from(RAW_LINES)))
        else:
            writer.writerow(_row(draw))
    return text.getvalue().encode("utf-8", errors="surrogateescape").replace(b"\xc3\xbf", b"\xff")


def _records(batches: list[ReadBatch]) -> list[Any]:
    return [
        (
            [(r.record_id, dict(r.fields), r.location) for r in batch.records],
            batch.rejected,
            batch.cursor,
        )
        for batch in batches
    ]


def _rows(batches: list[RowBatch]) -> list[Any]:
    for batch in batches:
        assert len(batch.ids) == len(batch.rows) == len(batch.locations)
    return _records([ReadBatch(b.records(), b.rejected, b.cursor) for b in batches])


def _both(
    path: Path, cursor: str | None, id_column: str | None, modified: str | None, chars: int
) -> tuple[Any, Any]:
    fmt = CsvFormat(",", "utf-8")
    identify = IdColumn(id_column, path.name) if id_column else content_id
    required = {id_column: "activities.id_column"} if id_column else {}
    try:
        records = _records(list(read_records(path, fmt, cursor, identify, required, modified)))
    except ConnectorError as exc:
        records = str(exc)
    try:
        rows = _rows(
            list(
                read_row_batches(
                    path, fmt, cursor, id_column, required, modified, block_chars=chars
                )
            )
        )
    except ConnectorError as exc:
        rows = str(exc)
    return records, rows


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=messy_files(),
    then=messy_files(),
    id_column=st.sampled_from(["id", None]),
    modified=st.sampled_from(["modified", None]),
    chars=st.sampled_from([1, 7, 50, 1 << 16]),
)
def test_rows_are_the_records_with_the_same_rejections_and_cursors(
    tmp_path: Path,
    first: bytes,
    then: bytes,
    id_column: str | None,
    modified: str | None,
    chars: int,
) -> None:
    path = tmp_path / "activities.csv"
    path.write_bytes(first)
    records, rows = _both(path, None, id_column, modified, chars)
    assert rows == records
    cursor = records[-1][2] if isinstance(records, list) else None
    path.write_bytes(first + then.partition(b"\n")[2])  # rows added, as an export grows
    records, rows = _both(path, cursor, id_column, modified, chars)
    assert rows == records


def test_batches_split_at_the_same_rows_around_rejections(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    lines = ["id,email,type,modified"]
    for n in range(BATCH_SIZE * 2 + 10):
        lines.append(f"A{n % (BATCH_SIZE + 3)},a{n}@example.com,t,2024-01-01" if n % 7 else "x,y")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, rows = _both(path, None, "id", None, 1 << 16)
    assert len(records) == 3
    assert rows == records


def test_the_connector_reads_rows_as_it_reads_records(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text(
        'id,email,type\nA1,ann@example.com,open\nA1,bob@example.com,open\n,c@example.com,x\n"A2,b\n',
        encoding="utf-8",
    )
    connector = make_connector(tmp_path, activities={"path": "activities.csv", "id_column": "id"})
    records = _records(list(connector.read_activities(None)))
    assert _rows(list(connector.read_activity_rows(None))) == records
    assert [rejected.reason for rejected in records[0][1]] == [
        "duplicate id 'A1'; first on activities.csv:2",
        "id is empty",
        "unclosed quote: a quoted field starting on this line runs to the end of the file",
    ]
    assert connector.calls.read == 2
