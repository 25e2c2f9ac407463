"""Reading a CSV file row by row, with the physical line each row starts on.

The file is streamed through :mod:`csv`, never loaded whole. A byte-order mark is skipped
(and remembered, so a rewrite can keep it). Blank lines, and rows whose cells are all
blank, are skipped. The header is the first row that is not blank.

Hostile input is bounded. A row that cannot be read — a cell longer than
:data:`MAX_FIELD_CHARS`, bytes that are not valid in the file's encoding, or a quoted
field that is never closed (it runs to the end of the file, across more than
:data:`MAX_ROW_LINES` lines, or leaves the row with the wrong number of cells) — comes
back as a :class:`Row` with a ``problem``, holding the exact text of the lines it spans.
After an unclosed quote, reading resumes at the next line that parses as a row on its
own, and the lines skipped belong to the bad row. A physical line longer than
:data:`MAX_LINE_CHARS`, a header that cannot be read, or a path that is not a regular
file (``/dev/zero``) fails the whole file with a :class:`ConnectorError`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TextIO

from funnelsync.connector import ConnectorError

BOM = "\ufeff"
DEFAULT_NEWLINE = "\r\n"
"""Line ending of files funnelsync creates (RFC 4180); existing files keep their own."""
MAX_FIELD_CHARS = csv.field_size_limit()
"""Longest cell read (the :mod:`csv` field limit, 131,072 characters)."""
MAX_LINE_CHARS = 1_048_576
"""Longest physical line; a longer one (no line breaks at all) fails the file."""
MAX_ROW_LINES = 100
"""Most physical lines one row may span before its quoted field counts as unclosed."""
QUOTE = '"'
BLOCK_CHARS = 1 << 16
"""About how much text is read at a time once the header is read (whole lines only)."""
_END_OF_BLOCK = ("\n",)
"""A blank line after a block: parsed as a row of its own only if no quote is left open."""
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""A byte the codec could not decode (kept as a lone surrogate by ``surrogateescape``)."""


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How the files of one connection are written: delimiter and text encoding."""

    delimiter: str
    encoding: str


@dataclass(frozen=True, slots=True)
class RowBlock:
    """Rows read a block at a time: ``rows[i]`` holds the cells of line ``line + i``, each
    row one whole line (a blank line's row is empty or all blank: skip it)."""

    line: int
    rows: list[list[str]]


@dataclass(slots=True)
class Row:
    """One record of a CSV file and the physical line (1-based) it starts on.

    A row that could not be read has a ``problem`` (why, and what was skipped) and no
    cells; ``text`` is then the exact text of the lines it spans.
    """

    line: int
    cells: list[str]
    problem: str | None = None
    text: str = ""


class _LineProblemError(Exception):
    """A physical line that cannot belong to a readable row."""

    def __init__(self, reason: str, *, unclosed: bool = False) -> None:
        super().__init__(reason)
        self.unclosed = unclosed


class _Lines:
    """The physical lines of a text stream, each bounded, with push-back for resyncing.

    ``taken`` holds the (line number, text) pairs handed to :mod:`csv` for the current row.
    """

    def __init__(self, path: Path, stream: TextIO, encoding: str) -> None:
        self._path = path
        self._stream = stream
        self._encoding = encoding
        self._pending: deque[tuple[int, str]] = deque()
        self._read = 0
        self.taken: list[tuple[int, str]] = []
        self.ended_in_row = False
        """The file ended while :mod:`csv` still wanted lines for the current row."""
        self.has_bom = False
        self.newline: str | None = None

    def fetch(self) -> tuple[int, str] | None:
        """The next physical line, or ``None`` at the end of the file."""
        if self._pending:
            number, line = self._pending.popleft()
            if len(line) > MAX_LINE_CHARS:  # a line read with its block
                raise self.too_long(number)
            return number, line
        try:
            line = self._stream.readline(MAX_LINE_CHARS + 1)
        except OSError as exc:
            raise ConnectorError(f"{self._path}: cannot read ({exc})") from None
        if not line:
            return None
        self._read += 1
        if len(line) > MAX_LINE_CHARS:
            raise self.too_long(self._read)
        if self._read == 1:
            self.has_bom = line.startswith(BOM)
            self.newline = _line_ending(line)
            line = line.removeprefix(BOM)
        return self._read, line

    def too_long(self, number: int) -> ConnectorError:
        """The error for line ``number``, longer than :data:`MAX_LINE_CHARS`."""
        return ConnectorError(
            f"{self._path.name}:{number}: a line longer than {MAX_LINE_CHARS:,} "
            "characters; this does not look like a CSV file (check the path)"
        )

    def block(self, chars: int) -> tuple[int, list[str], bool]:
        """The next whole lines, about ``chars`` characters (none at the end of the file),
        the number of the first, and whether all of it decoded; they count as read."""
        try:
            text = self._stream.read(chars)
            if text and not text.endswith("\n"):  # finish the last line ("\r" may be "\r\n")
                text += self._stream.readline(MAX_LINE_CHARS + 1)
        except OSError as exc:
            raise ConnectorError(f"{self._path}: cannot read ({exc})") from None
        lines = io.StringIO(text, newline="").readlines()
        first = self._read + 1
        self._read += len(lines)
        # An undecodable byte is kept as a lone surrogate: never in ASCII text.
        return first, lines, text.isascii() or _ESCAPED_BYTE.search(text) is None

    @property
    def at_boundary(self) -> bool:
        """Whether no line read is waiting to be handed out again."""
        return not self._pending

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        """Hand ``lines`` out again, before anything not yet read."""
        self._pending.extendleft(reversed(lines))

    def start_row(self) -> None:
        """Forget the lines of the row before."""
        self.taken = []
        self.ended_in_row = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        fetched = self.fetch()
        if fetched is None:
            self.ended_in_row = bool(self.taken)
            raise StopIteration
        self.taken.append(fetched)
        number, line = fetched
        # An undecodable byte is kept as a lone surrogate: never in an ASCII line.
        bad = None if line.isascii() else _ESCAPED_BYTE.search(line)
        if bad is not None:
            byte = ord(bad.group()) - 0xDC00
            raise _LineProblemError(
                f"not valid {self._encoding} text (byte 0x{byte:02x} on line {number}); "
                "set `encoding` to the file's encoding or fix the row"
            )
        if len(self.taken) > MAX_ROW_LINES:
            raise _LineProblemError(f"runs across more than {MAX_ROW_LINES} lines", unclosed=True)
        return line


class CsvTable:
    """A CSV file open for reading: its header, then its rows one at a time."""

    def __init__(
        self, path: Path, stream: TextIO, fmt: CsvFormat, *, block_chars: int = BLOCK_CHARS
    ) -> None:
        """``block_chars``: about how much text to read at a time after the header (0: read
        every line on its own)."""
        self.path = path
        self.format = fmt
        self._stream = stream
        self._opened_as = _version(stream)
        self._lines = _Lines(path, stream, fmt.encoding)
        self._reader = csv.reader(self._lines, delimiter=fmt.delimiter)
        self.header: list[str] = []
        """Column names; empty for an empty file."""
        self._block_chars = 0
        first = next(self.rows(), None)
        if first is not None and first.problem is not None:
            raise ConnectorError(f"{path.name}:{first.line}: the header: {first.problem}")
        self.header = first.cells if first is not None else []
        repeated = sorted(name for name, count in Counter(self.header).items() if count > 1)
        if repeated:
            raise ConnectorError(
                f"{path}: the header names column(s) {', '.join(map(repr, repeated))} more "
                "than once; give every column its own name"
            )
        self._block_chars = block_chars

    def again(self) -> CsvTable:
        """The same open file read again from its start: a file replaced by another since
        it was opened is not seen; one changed in place (its size or modification time)
        raises :class:`ConnectorError`."""
        if _version(self._stream) != self._opened_as:
            raise ConnectorError(f"{self.path}: changed while funnelsync was writing it; try again")
        self._stream.seek(0)
        return CsvTable(self.path, self._stream, self.format, block_chars=self._block_chars)

    @property
    def has_bom(self) -> bool:
        """Whether the file starts with a byte-order mark the codec did not remove itself."""
        return self._lines.has_bom

    @property
    def newline(self) -> str:
        """The line ending of the file's first line."""
        return self._lines.newline or DEFAULT_NEWLINE

    def rows(self) -> Iterator[Row]:
        """The remaining non-blank rows, each with the line it starts on."""
        for item in self.blocks():
            if isinstance(item, RowBlock):
                line = item.line
                for offset, cells in enumerate(item.rows):
                    if cells and "".join(cells).strip():
                        yield Row(line + offset, cells)
            else:
                yield item

    def blocks(self) -> Iterator[Row | RowBlock]:
        """The remaining rows: blocks of whole-line rows read at once (see
        :class:`RowBlock`), and rows read line by line (non-blank, or unreadable)."""
        lines = self._lines
        while True:
            if self._block_chars and lines.at_boundary:
                first, block, decoded = lines.block(self._block_chars)
                if not block:
                    return
                rows = self._parse(block) if decoded else None
                if rows is not None:
                    yield RowBlock(first, rows)
                    continue
                lines.push_back(list(enumerate(block, first)))
            row = self._next_row()
            if row is None:
                return
            if row.cells or row.problem is not None:
                yield row

    def _parse(self, block: list[str]) -> list[list[str]] | None:
        """The rows of the decoded lines ``block`` if each row is one whole line (``None``:
        read it line by line)."""
        if max(map(len, block)) > MAX_LINE_CHARS:
            return None
        reader = csv.reader(chain(block, _END_OF_BLOCK), delimiter=self.format.delimiter)
        try:
            rows = list(reader)
        except csv.Error:
            return None
        if len(rows) != len(block) + 1 or reader.line_num != len(block) + 1:
            return None  # a row across lines, or a quote left open at the end
        rows.pop()
        return rows

    def _next_row(self) -> Row | None:
        """The next row read line by line (blank: no cells), or ``None`` at the end."""
        self._lines.start_row()
        try:
            cells = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            return self._bad(_csv_reason(exc), pushback=False)
        except _LineProblemError as exc:
            return self._bad(str(exc), pushback=exc.unclosed, unclosed=exc.unclosed)
        taken = self._lines.taken
        multi_line_mismatch = len(taken) > 1 and self.header and len(cells) != len(self.header)
        if self._lines.ended_in_row:
            return self._bad("runs to the end of the file", pushback=True, unclosed=True)
        if multi_line_mismatch:
            reason = f"runs across {len(taken)} lines into a row of {len(cells)} cells"
            return self._bad(reason, pushback=True, unclosed=True)
        return Row(taken[0][0], cells if "".join(cells).strip() else [])

    def _bad(self, reason: str, *, pushback: bool, unclosed: bool = False) -> Row:
        """The row whose lines were just taken, as unreadable; resynchronises if needed."""
        taken = list(self._lines.taken)
        if not taken:  # the csv module failed before asking for a line: cannot happen
            raise ConnectorError(f"{self.path}: cannot read ({reason})")
        start = taken[0][0]
        text = "".join(line for _, line in taken)
        if pushback:
            self._lines.push_back(taken[1:])
            taken = taken[:1]
            text = taken[0][1]
        resync = unclosed or len(taken) > 1 or text.count(QUOTE) % 2 == 1
        skipped: list[str] = []
        resumed: int | None = None
        while resync:
            fetched = self._lines.fetch()
            if fetched is None:
                break
            if self._parses_alone(fetched[1]):
                self._lines.push_back([fetched])
                resumed = fetched[0]
                break
            skipped.append(fetched[1])
        if unclosed:
            reason = f"unclosed quote: a quoted field starting on this line {reason}"
        if skipped or (resync and len(taken) > 1):
            lines = len(skipped) + len(taken) - 1
            where = f"reading resumed at line {resumed}" if resumed else "up to the end of the file"
            reason += f"; {lines} more line(s) skipped, {where}"
        text += "".join(skipped)
        if not text.endswith(("\n", "\r")):
            text += self.newline
        return Row(start, [], reason, text)

    def _parses_alone(self, line: str) -> bool:
        """Whether ``line`` on its own is one complete row of the header's width."""
        if not self.header or line.count(QUOTE) % 2 or _ESCAPED_BYTE.search(line):
            return False
        try:
            cells = next(csv.reader([line], delimiter=self.format.delimiter), [])
        except csv.Error:
            return False
        return len(cells) == len(self.header)

    def require(self, column: str, setting: str) -> None:
        """Raise :class:`ConnectorError` if the (non-empty) header lacks ``column``."""
        if self.header and column not in self.header:
            raise ConnectorError(
                f"{self.path}: no column {column!r} (named by {setting}); the header has "
                f"{', '.join(map(repr, self.header))}"
            )


def _version(stream: TextIO) -> tuple[int, int]:
    """The open file's size and modification time (nanoseconds)."""
    status = os.fstat(stream.fileno())
    return status.st_size, status.st_mtime_ns


def _csv_reason(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a cell is longer than {MAX_FIELD_CHARS:,} characters (the CSV field limit)"
    return str(exc)


def _line_ending(line: str) -> str | None:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return None


def _require_file(path: Path) -> None:
    """:class:`ConnectorError` unless ``path`` is a regular file (not a device or a pipe)."""
    if not path.exists():
        raise ConnectorError(f"{path}: no such file")
    if not path.is_file():
        raise ConnectorError(
            f"{path}: not a regular file (a directory or a device); check the path"
        )


@contextmanager
def open_table(path: Path, fmt: CsvFormat, *, block_chars: int = BLOCK_CHARS) -> Iterator[CsvTable]:
    """Open ``path`` for reading; :class:`ConnectorError` naming the path if it cannot be.
    ``block_chars`` is as in :class:`CsvTable`.

    Bytes the encoding cannot decode are kept (``surrogateescape``) so the row holding
    them can be reported, and a rewrite can keep them as they were.
    """
    _require_file(path)
    try:
        stream = path.open(encoding=fmt.encoding, errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise ConnectorError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot open ({exc})") from None
    with stream:
        yield CsvTable(path, stream, fmt, block_chars=block_chars)


def file_digest(path: Path) -> str:
    """The sha256 hex digest of the file's bytes."""
    _require_file(path)
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except FileNotFoundError:
        raise ConnectorError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read ({exc})") from None
