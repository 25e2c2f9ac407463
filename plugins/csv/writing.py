"""Upserting leads into the leads file, streamed: the file is never held whole.

Writing takes two passes over the file. The first reads it row by row and keeps only
each row's key (an index); every write is then applied in order to that index, keeping
only the cells the writes change. The second pass reads the file again, row by row, and
writes the new file from each row and its changes (new rows at the end), which then
replaces the file atomically (see :mod:`funnelsync.plugins.csv.atomic`). Both passes read
one open file, so a file replaced in between is not mixed in; a file changed in place in
between (its size or modification time) fails the call (a :class:`ConnectorError`) and
is left as it was.

A write matches the row whose key cell equals its ``record_id``, or else the row whose
key matches its ``key`` ignoring case; only the fields it names change. Columns the file
lacks are appended to the header (other rows get empty cells). A create (no
``record_id``) matching no row appends one, with the key column set to the person's email
unless the fields set it (a person without an email is then rejected: the row would have
no key); an update whose row is gone (deleted by a user, or the whole file) is answered
``missing`` and appends nothing, so an update's few fields never become a partial row.

The rewrite keeps the file's delimiter, encoding, line ending, byte-order mark (only if
it had one) and every cell it does not change, byte for byte; rows with the wrong number
of cells are kept as they are, and rows that could not be read at all (undecodable
bytes, an unclosed quote, an over-long cell) are written back as the exact text they
were. Blank lines are dropped. A new file has no byte-order mark and CRLF line endings
(RFC 4180).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from funnelsync.connector import LeadWrite, WriteResult, WriteStatus
from funnelsync.plugins.csv.atomic import replace_file
from funnelsync.plugins.csv.cells import UnsupportedValueError, cells_of, defuse, undefuse
from funnelsync.plugins.csv.table import BOM, DEFAULT_NEWLINE, CsvFormat, CsvTable, open_table
from funnelsync.text_fit import encoding_holds_ascii, unencodable

KEY_SETTING = "leads.key_column"


def upsert_leads(
    path: Path, key_column: str, fmt: CsvFormat, writes: Sequence[LeadWrite]
) -> list[WriteResult]:
    """Apply ``writes`` to the leads file at ``path`` (created if missing); one result each."""
    with _indexed(path, key_column, fmt) as (sheet, table):
        results = [sheet.apply(write) for write in writes]
        if any(result.status is WriteStatus.ok for result in results):
            _rewrite(path, sheet, table)
    return results


def add_columns(path: Path, key_column: str, fmt: CsvFormat, names: Sequence[str]) -> list[str]:
    """Append the ``names`` the leads file's header lacks (file created if missing)."""
    with _indexed(path, key_column, fmt) as (sheet, table):
        added = [name for name in dict.fromkeys(names) if name not in sheet.header]
        if added:
            sheet.header.extend(added)
            _rewrite(path, sheet, table)
    return added


@dataclass(slots=True)
class _Sheet:
    """The leads file's index (each row's key) and the cells the writes change."""

    key_column: str
    fmt: CsvFormat
    header: list[str]
    width: int
    """The header's width as read: rows of another width are written back untouched."""
    keys: list[str] = field(default_factory=list)
    """Each row's key cell (stripped, undefused) as read; empty for rows never matched
    (no key, the wrong number of cells, or unreadable)."""
    changes: dict[int, dict[str, str]] = field(default_factory=dict)
    """Row index → column → the cell the writes leave there (rows past the file's end are new)."""
    has_bom: bool = False
    newline: str = DEFAULT_NEWLINE
    _by_id: dict[str, int] = field(default_factory=dict)
    _by_key: dict[str, int] = field(default_factory=dict)
    _position: dict[str, int] = field(default_factory=dict)
    _rows: int = 0
    """Rows in the sheet: the file's, then the new ones."""

    def columns(self) -> dict[str, int]:
        """Column name → its index in the header (kept in step as columns are added)."""
        if len(self._position) != len(self.header):
            self._position = {name: i for i, name in enumerate(self.header)}
        return self._position

    def add_row(self, key: str) -> None:
        """Index the next row of the file, whose key cell is ``key`` (empty: never matched)."""
        index = len(self.keys)
        self.keys.append(key)
        self._rows = index + 1
        self._index(index)

    def _key_of(self, index: int) -> str:
        changed = self.changes.get(index)
        if changed is not None and self.key_column in changed:
            return undefuse(changed[self.key_column]).strip()
        return self.keys[index] if index < len(self.keys) else ""

    def _index(self, index: int) -> None:
        key = self._key_of(index)
        if key:
            self._by_id.setdefault(key, index)
            self._by_key.setdefault(key.casefold(), index)

    def _find(self, write: LeadWrite) -> int | None:
        if write.record_id is not None and write.record_id.strip() in self._by_id:
            return self._by_id[write.record_id.strip()]
        return self._by_key.get(write.key.strip().casefold())

    def apply(self, write: LeadWrite) -> WriteResult:
        """Apply one write, or reject it (leaving the sheet as it was) with the reason."""
        try:
            cells = cells_of(write.fields)
        except UnsupportedValueError as exc:
            return WriteResult(write.key, WriteStatus.rejected, message=str(exc))
        index = self._find(write)
        if index is None and write.record_id is not None:
            message = f"no row with {self.key_column} {write.record_id!r}: deleted from the file"
            return WriteResult(write.key, WriteStatus.missing, message=message)
        if index is None and self.key_column not in cells:
            if write.email is None:
                message = (
                    f"a new row needs a value in the key column {self.key_column}; this "
                    f"person has no email and the mapping writes nothing there ({write.key})"
                )
                return WriteResult(write.key, WriteStatus.rejected, message=message)
            cells[self.key_column] = defuse(write.email.strip())
        if self.key_column in cells and not undefuse(cells[self.key_column]).strip():
            message = f"the write would leave {self.key_column} empty"
            return WriteResult(write.key, WriteStatus.rejected, message=message)
        unfit = self._unfit(cells)
        if unfit is not None:
            return WriteResult(write.key, WriteStatus.rejected, message=unfit)
        if index is None:
            index = self._rows
            self._rows += 1
        return WriteResult(write.key, WriteStatus.ok, record_id=self._set(index, cells))

    def _unfit(self, cells: dict[str, str]) -> str | None:
        """Why the file's encoding cannot hold a column name or a cell, if it cannot."""
        try:  # every character is checked on its own: all fit if all do together
            "".join([*cells, *cells.values()]).encode(self.fmt.encoding)
            return None
        except UnicodeEncodeError:
            pass
        ascii_fits = encoding_holds_ascii(self.fmt.encoding)
        for column, text in cells.items():
            if ascii_fits and column.isascii() and text.isascii():
                continue  # what unencodable gives both
            for part, what in ((column, "column name"), (text, "value")):
                character = unencodable(part, self.fmt.encoding)
                if character is not None:
                    return (
                        f"{column}: {what} {part!r} has {character!r} (U+{ord(character):04X}),"
                        f" which {self.fmt.encoding} cannot hold"
                    )
        return None

    def _set(self, index: int, cells: dict[str, str]) -> str:
        """Change row ``index``'s ``cells``; the row's key then."""
        old_key = self._key_of(index)
        columns = self.columns()
        for name in cells:
            if name not in columns:
                columns[name] = len(self.header)
                self.header.append(name)
        self.changes.setdefault(index, {}).update(cells)
        key = old_key
        if self.key_column in cells:
            key = undefuse(cells[self.key_column]).strip()
        if key != old_key:
            if self._by_id.get(old_key) == index:
                del self._by_id[old_key]
            if self._by_key.get(old_key.casefold()) == index:
                del self._by_key[old_key.casefold()]
        if key:
            self._by_id.setdefault(key, index)
            self._by_key.setdefault(key.casefold(), index)
        return key

    def new_rows(self) -> range:
        """The indexes of the rows the writes append."""
        return range(len(self.keys), self._rows)


@contextmanager
def _indexed(
    path: Path, key_column: str, fmt: CsvFormat
) -> Iterator[tuple[_Sheet, CsvTable | None]]:
    """The leads file's index, and the file still open (``None`` for a missing file)."""
    if not path.exists():
        yield _Sheet(key_column, fmt, [key_column], 1), None
        return
    with open_table(path, fmt) as table:
        table.require(key_column, KEY_SETTING)
        header = table.header or [key_column]
        sheet = _Sheet(
            key_column, fmt, header, len(header), has_bom=table.has_bom, newline=table.newline
        )
        position = header.index(key_column)
        width = len(header)
        for row in table.rows():
            good = row.problem is None and len(row.cells) == width
            sheet.add_row(undefuse(row.cells[position]).strip() if good else "")
        yield sheet, table


def _rewrite(path: Path, sheet: _Sheet, table: CsvTable | None) -> None:
    """Replace the file with its rows (read again from ``table``) and the sheet's changes."""
    replace_file(path, sheet.fmt.encoding, lambda out: _dump(sheet, table, out))


def _dump(sheet: _Sheet, table: CsvTable | None, out: TextIO) -> None:
    if sheet.has_bom:
        out.write(BOM)
    writer = csv.writer(
        _LineEnding(out, sheet.newline), delimiter=sheet.fmt.delimiter, lineterminator="\r\n"
    )
    writer.writerow(sheet.header)
    width = len(sheet.header)
    position = sheet.columns()
    changes = sheet.changes
    for index, row in enumerate(table.again().rows() if table is not None else ()):
        if row.problem is not None:
            out.write(row.text)
        elif len(row.cells) != sheet.width:
            writer.writerow(row.cells)
        else:
            cells = row.cells + [""] * (width - len(row.cells))
            for name, cell in changes.get(index, {}).items():
                cells[position[name]] = cell
            writer.writerow(cells)
    for index in sheet.new_rows():
        cells = [""] * width
        for name, cell in changes[index].items():
            cells[position[name]] = cell
        writer.writerow(cells)


class _LineEnding:
    """Gives ``csv.writer`` rows ending in CRLF, so it quotes every cell holding a CR or a
    LF (it only quotes its own line ending's characters), and writes them with the
    file's own line ending. ``csv.writer`` writes each row in a single call."""

    def __init__(self, out: TextIO, newline: str) -> None:
        self._out = out
        self._newline = newline

    def write(self, line: str) -> int:
        return self._out.write(line.removesuffix("\r\n") + self._newline)
