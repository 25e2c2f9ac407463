"""Turning CSV rows into system records, in batches, from a cursor.

Each record's ``location`` is ``<file name>:<line>``, the physical line its row starts on
(the header is line 1). A row that cannot be read (see :mod:`funnelsync.plugins.csv.table`),
a row with the wrong number of cells, an empty id, or the id of an earlier row in the
same file (lead keys ignoring case; the reason names both lines) becomes a
:class:`RejectedRecord`; reading goes on.

Batches hold up to :data:`BATCH_SIZE` records and rejections. Only the last batch of a
read carries the cursor; the ones before it carry ``None``. Rows whose modified cell is
not an ISO 8601 timestamp are returned on every read (for the engine to quarantine with
its reason) and do not move the cursor; so are rejected rows when reading by modified
column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from funnelsync.connector import ReadBatch, RejectedRecord, SystemRecord
from funnelsync.plugins.csv import cursors
from funnelsync.plugins.csv.cells import undefuse
from funnelsync.plugins.csv.seen_ids import SeenIds
from funnelsync.plugins.csv.table import CsvFormat, CsvTable, Row, file_digest, open_table

BATCH_SIZE = 5_000
MAX_PAYLOAD_CHARS = 2_000
"""How much of a rejected row's text is kept with its quarantine entry."""


class RowRejectedError(ValueError):
    """A row that cannot be a record; the message says why."""


Identify = Callable[[Mapping[str, str], int], str]
"""Gives a row's record id from its fields and line, or raises :class:`RowRejectedError`."""


class UniqueKey:
    """Record id from a key column that must be filled in and unique ignoring case (leads)."""

    def __init__(self, column: str, file_name: str = "") -> None:
        self.column = column
        self.file_name = file_name
        self._first_line: dict[str, tuple[int, str]] = {}

    def __call__(self, fields: Mapping[str, str], line: int) -> str:
        """The stripped key cell; rejects an empty key or a repeat of an earlier row's."""
        return self.cell(fields[self.column], line)

    def cell(self, cell: str, line: int) -> str:
        """:meth:`__call__` for the key cell ``cell`` of the row on ``line``."""
        key = cell.strip()
        if not key:
            raise RowRejectedError(f"{self.column} is empty")
        first, spelling = self._first(key, line)
        if first != line:
            also = f"{self.file_name}:{first}" if self.file_name else f"line {first}"
            same = "" if spelling == key else f" (as {spelling!r})"
            raise RowRejectedError(f"duplicate {self.column} {key!r}; first on {also}{same}")
        return key

    def _first(self, key: str, line: int) -> tuple[int, str]:
        """The line and spelling ``key`` was first met with (``line``, ``key`` if now)."""
        return self._first_line.setdefault(key.casefold(), (line, key))


class IdColumn(UniqueKey):
    """Record id from an id column that must be filled in and unique, exactly (activities).

    The ids met are kept compactly (:class:`SeenIds`): an activities file may hold far
    more rows than the leads file.
    """

    def __init__(self, column: str, file_name: str = "") -> None:
        super().__init__(column, file_name)
        self._seen = SeenIds()

    def _first(self, key: str, line: int) -> tuple[int, str]:
        return self._seen.first_line(key, line), key


def content_id(fields: Mapping[str, str], line: int) -> str:
    """A stable id for a row without an id column: 32 hex digits of the sha256 of its
    non-empty ``(column, value)`` pairs, so adding or reordering columns keeps ids."""
    cells = sorted((name, value) for name, value in fields.items() if value)
    text = json.dumps(cells, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def read_records(
    path: Path,
    fmt: CsvFormat,
    cursor: str | None,
    identify: Identify,
    required: Mapping[str, str],
    modified_column: str | None,
) -> Iterator[ReadBatch]:
    """Batches of the records in ``path`` new since ``cursor``.

    ``required`` maps each column the settings name to the setting naming it; a header
    without one is a :class:`~funnelsync.connector.ConnectorError`.
    """
    start = read_start(path, cursor, modified_column)
    if start is None:
        yield ReadBatch(cursor=cursor)
        return
    watermark = start.watermark
    with open_table(path, fmt) as table:
        for column, setting in required.items():
            table.require(column, setting)
        batch = ReadBatch()
        records, rejections = batch.records, batch.rejected
        header, width, prefix = table.header, len(table.header), f"{table.path.name}:"
        for row in table.rows():
            cells, line = row.cells, row.line
            if row.problem is not None or len(cells) != width:
                rejections.append(rejected_row(table, row, row_problem(row, width)))
            else:
                # One C-level scan for a defused cell (a false alarm is harmless).
                joined = "\n".join(cells)
                if joined.startswith("'") or "\n'" in joined:
                    cells = [undefuse(cell) for cell in cells]
                fields = dict(zip(header, cells, strict=False))  # widths checked above
                try:
                    record_id = identify(fields, line)
                except RowRejectedError as exc:
                    rejections.append(rejected_row(table, row, str(exc)))
                else:
                    if watermark is None or taken(watermark, fields[watermark.column], record_id):
                        records.append(SystemRecord(record_id, fields, f"{prefix}{line}"))
            if len(records) + len(rejections) >= BATCH_SIZE:
                yield batch
                batch = ReadBatch()
                records, rejections = batch.records, batch.rejected
    batch.cursor = start.end_cursor()
    yield batch


def row_problem(row: Row, width: int) -> str:
    """Why ``row`` (unreadable, or of the wrong width) is rejected."""
    if row.problem is not None:
        return row.problem
    return f"expected {width} cells, found {len(row.cells)}"


def rejected_row(table: CsvTable, row: Row, reason: str) -> RejectedRecord:
    text = row.text.rstrip("\r\n") if row.problem else table.format.delimiter.join(row.cells)
    location = f"{table.path.name}:{row.line}"
    return RejectedRecord(location, reason, text[:MAX_PAYLOAD_CHARS])


def taken(watermark: cursors.Watermark, modified: str, record_id: str) -> bool:
    """Whether a row modified at ``modified`` (its cell) is new past ``watermark`` (a
    modified time that cannot be read: yes)."""
    moment = cursors.parse_timestamp(modified)
    return moment is None or watermark.take(moment, record_id)


@dataclass(frozen=True, slots=True)
class ReadStart:
    """Where a read of a file starts: past a modified-time watermark, or (without a
    modified column) anywhere, the file's digest becoming the next cursor."""

    watermark: cursors.Watermark | None
    fingerprint: str | None

    def end_cursor(self) -> str | None:
        """The cursor after every row was read."""
        return self.fingerprint if self.watermark is None else self.watermark.cursor()


def read_start(path: Path, cursor: str | None, modified_column: str | None) -> ReadStart | None:
    """Where a read of ``path`` since ``cursor`` starts; ``None``: nothing to read (no
    modified column, and the file is the one the cursor's digest names)."""
    start = cursors.decode(cursor)
    if modified_column is not None:
        return ReadStart(cursors.Watermark(modified_column, start), None)
    digest = file_digest(path)
    if start == cursors.FingerprintCursor(digest):
        return None
    return ReadStart(None, cursors.encode(cursors.FingerprintCursor(digest)))
