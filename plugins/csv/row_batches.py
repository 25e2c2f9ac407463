"""Reading a CSV file as :class:`~funnelsync.connector.RowBatch`es: the records
:func:`~funnelsync.plugins.csv.reading.read_records` gives, with the same rejections,
batches and cursor, as lists of cells under the header instead of a record per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from funnelsync.connector import RowBatch
from funnelsync.plugins.csv.cells import undefuse
from funnelsync.plugins.csv.reading import (
    BATCH_SIZE,
    IdColumn,
    RowRejectedError,
    content_id,
    read_start,
    rejected_row,
    row_problem,
    taken,
)
from funnelsync.plugins.csv.table import BLOCK_CHARS, CsvFormat, Row, open_table


def read_row_batches(
    path: Path,
    fmt: CsvFormat,
    cursor: str | None,
    id_column: str | None,
    required: Mapping[str, str],
    modified_column: str | None,
    *,
    block_chars: int = BLOCK_CHARS,
) -> Iterator[RowBatch]:
    """Batches of the rows in ``path`` new since ``cursor``; each row's id is its
    ``id_column`` cell (filled in and unique), or a hash of its cells without one.
    ``block_chars`` is as in :class:`~funnelsync.plugins.csv.table.CsvTable`."""
    start = read_start(path, cursor, modified_column)
    if start is None:
        yield RowBatch([], cursor=cursor)
        return
    watermark = start.watermark
    with open_table(path, fmt, block_chars=block_chars) as table:
        for column, setting in required.items():
            table.require(column, setting)
        header = table.header
        width, prefix = len(header), f"{table.path.name}:"
        key = IdColumn(id_column, table.path.name).cell if id_column is not None else None
        id_at = header.index(id_column) if header and id_column is not None else 0
        watched = header.index(watermark.column) if header and watermark is not None else 0
        batch = RowBatch(header)
        ids, rows, locations, rejections = batch.ids, batch.rows, batch.locations, batch.rejected
        for item in table.blocks():
            if isinstance(item, Row):
                first, block = item.line, [item.cells]
                if item.problem is not None:
                    rejections.append(rejected_row(table, item, item.problem))
                    block = []
            else:
                first, block = item.line, item.rows
            for offset, read in enumerate(block):
                line = first + offset
                cells: Sequence[str] = read
                joined = "\n".join(cells)
                if not joined or joined.isspace():  # a blank row
                    continue
                if len(cells) != width:
                    wrong = Row(line, read)
                    rejections.append(rejected_row(table, wrong, row_problem(wrong, width)))
                else:
                    # One C-level scan for a defused cell (a false alarm is harmless).
                    if joined.startswith("'") or "\n'" in joined:
                        cells = [undefuse(cell) for cell in cells]
                    try:
                        if key is not None:
                            record_id = key(cells[id_at], line)
                        else:
                            record_id = content_id(dict(zip(header, cells, strict=True)), line)
                    except RowRejectedError as exc:
                        rejections.append(rejected_row(table, Row(line, read), str(exc)))
                    else:
                        if watermark is None or taken(watermark, cells[watched], record_id):
                            ids.append(record_id)
                            rows.append(cells)
                            locations.append(f"{prefix}{line}")
                if len(ids) + len(rejections) >= BATCH_SIZE:
                    yield batch
                    batch = RowBatch(header)
                    ids, rows, locations = batch.ids, batch.rows, batch.locations
                    rejections = batch.rejected
            if len(ids) + len(rejections) >= BATCH_SIZE:  # after a rejected unreadable row
                yield batch
                batch = RowBatch(header)
                ids, rows, locations = batch.ids, batch.rows, batch.locations
                rejections = batch.rejected
    batch.cursor = start.end_cursor()
    yield batch
