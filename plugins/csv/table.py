"""Reading a CSV file row by row, with the physical line each row starts on.

The file is streamed through :mod:`csv`, never loaded whole. A byte-order mark is skipped
(and remembered, so a rewrite can keep it). Blank lines, and rows whose cells are all
blank, are skipped. The header is the first row that is not blank.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from funnelsync.connector import ConnectorError

BOM = "\ufeff"
DEFAULT_NEWLINE = "\r\n"
"""Line ending of files funnelsync creates (RFC 4180); existing files keep their own."""


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How the files of one connection are written: delimiter and text encoding."""

    delimiter: str
    encoding: str


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a CSV file and the physical line (1-based) it starts on."""

    line: int
    cells: list[str]


class CsvTable:
    """A CSV file open for reading: its header, then its rows one at a time."""

    def __init__(self, path: Path, stream: TextIO, fmt: CsvFormat) -> None:
        self.path = path
        self.format = fmt
        self.has_bom = False
        """Whether the file starts with a byte-order mark the codec did not remove itself."""
        self.newline = DEFAULT_NEWLINE
        """The line ending of the file's first line."""
        self._reader = csv.reader(self._lines(stream), delimiter=fmt.delimiter)
        self.header: list[str] = next((row.cells for row in self.rows()), [])
        """Column names; empty for an empty file."""
        repeated = sorted(name for name, count in Counter(self.header).items() if count > 1)
        if repeated:
            raise ConnectorError(
                f"{path}: the header names column(s) {', '.join(map(repr, repeated))} more "
                "than once; give every column its own name"
            )

    def _lines(self, stream: TextIO) -> Iterator[str]:
        first = True
        for line in stream:
            if first:
                first = False
                self.has_bom = line.startswith(BOM)
                self.newline = _line_ending(line) or DEFAULT_NEWLINE
                yield line.removeprefix(BOM)
            else:
                yield line

    def rows(self) -> Iterator[Row]:
        """The remaining non-blank rows, each with the line it starts on."""
        while True:
            start = self._reader.line_num + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ConnectorError(f"{self.path.name}:{start}: {exc}") from None
            except UnicodeDecodeError as exc:
                raise ConnectorError(
                    f"{self.path}: not valid {self.format.encoding} text ({exc.reason}); "
                    "set `encoding` to the file's encoding"
                ) from None
            except OSError as exc:
                raise ConnectorError(f"{self.path}: cannot read ({exc})") from None
            if any(cell.strip() for cell in cells):
                yield Row(start, cells)

    def require(self, column: str, setting: str) -> None:
        """Raise :class:`ConnectorError` if the (non-empty) header lacks ``column``."""
        if self.header and column not in self.header:
            raise ConnectorError(
                f"{self.path}: no column {column!r} (named by {setting}); the header has "
                f"{', '.join(map(repr, self.header))}"
            )


def _line_ending(line: str) -> str | None:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return None


@contextmanager
def open_table(path: Path, fmt: CsvFormat) -> Iterator[CsvTable]:
    """Open ``path`` for reading; :class:`ConnectorError` naming the path if it cannot be."""
    try:
        stream = path.open(encoding=fmt.encoding, newline="")
    except FileNotFoundError:
        raise ConnectorError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot open ({exc})") from None
    with stream:
        yield CsvTable(path, stream, fmt)


def file_digest(path: Path) -> str:
    """The sha256 hex digest of the file's bytes."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except FileNotFoundError:
        raise ConnectorError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read ({exc})") from None
