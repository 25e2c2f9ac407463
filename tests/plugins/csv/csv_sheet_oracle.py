"""The csv connector's leads writer as it was before it streamed the file: the whole file
held in memory. The differential test holds the streaming writer to it, byte for byte
(a reference copied from plugins/csv/writing.py at 1961118, not used by funnelsync)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from funnelsync.connector import LeadWrite, WriteResult, WriteStatus
from funnelsync.plugins.csv.atomic import replace_file
from funnelsync.plugins.csv.cells import UnsupportedValueError, cell_text, defuse, undefuse
from funnelsync.plugins.csv.table import BOM, DEFAULT_NEWLINE, CsvFormat, open_table
from funnelsync.text_fit import encoding_holds_ascii, unencodable


def upsert_in_memory(
    path: Path, key_column: str, fmt: CsvFormat, writes: Sequence[LeadWrite]
) -> list[WriteResult]:
    """What the csv connector's writer did before it streamed: the whole file loaded, each
    write applied in order, the whole file dumped."""
    sheet = _load(path, key_column, fmt)
    results = [sheet.apply(write) for write in writes]
    if any(result.status is WriteStatus.ok for result in results):
        replace_file(path, fmt.encoding, sheet.dump)
    return results


@dataclass(slots=True)
class _Sheet:
    """The leads file in memory, indexed by key."""

    key_column: str
    fmt: CsvFormat
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    malformed: set[int] = field(default_factory=set)
    """Rows whose cell count differs from the header's: written back untouched."""
    verbatim: dict[int, str] = field(default_factory=dict)
    """Rows that could not be read, by index: their original text, written back as it was."""
    has_bom: bool = False
    newline: str = DEFAULT_NEWLINE
    _by_id: dict[str, int] = field(default_factory=dict)
    _by_key: dict[str, int] = field(default_factory=dict)
    _position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index in range(len(self.rows)):
            if index not in self.malformed and index not in self.verbatim:
                self._index(index)

    def _positions(self) -> dict[str, int]:
        """Column name → its index in the header (kept in step as columns are added)."""
        if len(self._position) != len(self.header):
            self._position = {name: i for i, name in enumerate(self.header)}
        return self._position

    def _key_of(self, index: int) -> str:
        row = self.rows[index]
        position = self._positions()[self.key_column]
        return undefuse(row[position]).strip() if position < len(row) else ""

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
            cells = {name: cell_text(value) for name, value in write.fields.items()}
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
        ascii_fits = encoding_holds_ascii(self.fmt.encoding)
        for column, text in cells.items():
            if ascii_fits and column.isascii() and text.isascii():
                continue  # what unencodable gives both
            for part, what in ((column, "column name"), (text, "value")):
                character = unencodable(part, self.fmt.encoding)
                if character is not None:
                    message = (
                        f"{column}: {what} {part!r} has {character!r} (U+{ord(character):04X}),"
                        f" which {self.fmt.encoding} cannot hold"
                    )
                    return WriteResult(write.key, WriteStatus.rejected, message=message)
        if index is None:
            index = len(self.rows)
            self.rows.append([])
        self._set(index, cells)
        return WriteResult(write.key, WriteStatus.ok, record_id=self._key_of(index))

    def _set(self, index: int, cells: dict[str, str]) -> None:
        old_key = self._key_of(index)
        position = self._positions()
        for name in cells:
            if name not in position:
                position[name] = len(self.header)
                self.header.append(name)
        row = self.rows[index]
        row.extend([""] * (len(self.header) - len(row)))
        for name, cell in cells.items():
            row[position[name]] = cell
        if self._key_of(index) != old_key:
            if self._by_id.get(old_key) == index:
                del self._by_id[old_key]
            if self._by_key.get(old_key.casefold()) == index:
                del self._by_key[old_key.casefold()]
        self._index(index)

    def dump(self, out: TextIO) -> None:
        """Write the sheet as CSV text to ``out``."""
        if self.has_bom:
            out.write(BOM)
        writer = csv.writer(
            _LineEnding(out, self.newline), delimiter=self.fmt.delimiter, lineterminator="\r\n"
        )
        writer.writerow(self.header)
        width = len(self.header)
        for index, row in enumerate(self.rows):
            if index in self.verbatim:
                out.write(self.verbatim[index])
                continue
            padding = 0 if index in self.malformed else width - len(row)
            writer.writerow(row + [""] * padding)


class _LineEnding:
    """Gives ``csv.writer`` rows ending in CRLF, so it quotes every cell holding a CR or a
    LF (it only quotes its own line ending's characters), and writes them with the
    file's own line ending. ``csv.writer`` writes each row in a single call."""

    def __init__(self, out: TextIO, newline: str) -> None:
        self._out = out
        self._newline = newline

    def write(self, line: str) -> int:
        return self._out.write(line.removesuffix("\r\n") + self._newline)


def _load(path: Path, key_column: str, fmt: CsvFormat) -> _Sheet:
    if not path.exists():
        return _Sheet(key_column, fmt, [key_column])
    with open_table(path, fmt) as table:
        table.require(key_column, "leads.key_column")
        header = table.header or [key_column]
        rows: list[list[str]] = []
        malformed: set[int] = set()
        verbatim: dict[int, str] = {}
        for index, row in enumerate(table.rows()):
            rows.append(row.cells)
            if len(row.cells) != len(header):
                malformed.add(index)
            if row.problem is not None:
                verbatim[index] = row.text
        return _Sheet(
            key_column,
            fmt,
            header,
            rows,
            malformed=malformed,
            verbatim=verbatim,
            has_bom=table.has_bom,
            newline=table.newline,
        )


def add_columns_in_memory(
    path: Path, key_column: str, fmt: CsvFormat, names: Sequence[str]
) -> list[str]:
    """Append the ``names`` the leads file's header lacks (file created if missing)."""
    sheet = _load(path, key_column, fmt)
    added = [name for name in dict.fromkeys(names) if name not in sheet.header]
    if added:
        sheet.header.extend(added)
        replace_file(path, fmt.encoding, sheet.dump)
    return added
