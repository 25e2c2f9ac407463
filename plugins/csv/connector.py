"""The ``csv`` connector: leads and activities kept in CSV files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from funnelsync.connector import (
    ActivityWrite,
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    LeadWrite,
    ReadBatch,
    RowBatch,
    WriteResult,
)
from funnelsync.mapping import Direction, FieldMap, Mapping
from funnelsync.models import Lead
from funnelsync.plugins.csv.cursors import parse_timestamp
from funnelsync.plugins.csv.reading import IdColumn, UniqueKey, content_id, read_records
from funnelsync.plugins.csv.row_batches import read_row_batches
from funnelsync.plugins.csv.settings import CsvSettings
from funnelsync.plugins.csv.table import CsvFormat, CsvTable, open_table
from funnelsync.plugins.csv.timeline import read_rows, write_entries
from funnelsync.plugins.csv.writing import KEY_SETTING, add_columns, upsert_leads

_READ_ONLY_LEAD_COLUMNS = ("created_at", "updated_at")
_LEAD_COLUMNS = tuple(
    name
    for name in Lead.model_fields
    if name not in ("stage_dates", "attributes") and name not in _READ_ONLY_LEAD_COLUMNS
)
"""Every canonical lead field, in a column of its own name (stage dates are per contract)."""
_ACTIVITY_COLUMNS = ("email", "type", "occurred_at", "activity_id", "campaign", "asset")

DEFAULT_MAPPING = Mapping(
    lead_fields={
        **{name: FieldMap(field=name) for name in _LEAD_COLUMNS},
        **{
            name: FieldMap(field=name, direction=Direction.read) for name in _READ_ONLY_LEAD_COLUMNS
        },
    },
    activity_fields={
        name: FieldMap(field=name, direction=Direction.read) for name in _ACTIVITY_COLUMNS
    },
)
"""Every canonical field to the column of the same name; ``created_at``/``updated_at`` are
only read, and activities are only read."""


def _unreadable_modified(table: CsvTable, column: str) -> str | None:
    """Why ``column`` cannot drive incremental reads: its first value that is not ISO 8601."""
    position = table.header.index(column)
    for row in table.rows():
        cell = row.cells[position].strip() if position < len(row.cells) else ""
        if cell and parse_timestamp(cell) is None:
            return (
                f"modified_column {column!r} holds {cell!r} (line {row.line}), which is not an "
                "ISO 8601 timestamp: incremental reads cannot use it. Convert the column to "
                "ISO 8601 (e.g. 2021-04-15T00:03:00) or remove modified_column"
            )
    return None


class CsvConnector(Connector):
    """Leads (read and upserted) and activities (read) in CSV files; significant
    activities written to an ``activities_out`` file, when one is configured.

    A missing leads file is an empty system (the first write creates it); a missing
    activities file is a :class:`ConnectorError`. Record ids are the stripped key column
    (leads), the id column, or a hash of the row's non-empty cells (activities without an
    id column). Cursors are described in :mod:`funnelsync.plugins.csv.cursors`.
    """

    name = "csv"
    settings_model = CsvSettings
    capabilities = Capabilities(
        read_leads=True,
        write_leads=True,
        read_activities=True,
        write_activities=True,
        read_activity_rows=True,
    )
    default_mapping = DEFAULT_MAPPING
    write_batch_size = None
    """Every write comes in one call: each call rewrites the whole file."""

    settings: CsvSettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        if not isinstance(settings, CsvSettings):
            raise TypeError(f"the csv connector needs CsvSettings, not {type(settings).__name__}")
        super().__init__(settings, context)
        self.format = CsvFormat(settings.delimiter, settings.encoding)
        self.text_encoding = settings.encoding

    def _path(self, path: Path) -> Path:
        return self.context.workspace_dir / path

    @property
    def leads_path(self) -> Path:
        """Where the leads file is."""
        return self._path(self.settings.leads.path)

    def _lead_columns(self) -> dict[str, str]:
        leads = self.settings.leads
        columns = {leads.key_column: KEY_SETTING}
        if leads.modified_column is not None:
            columns[leads.modified_column] = "leads.modified_column"
        return columns

    def _activity_columns(self) -> dict[str, str]:
        activities = self.settings.activities
        columns: dict[str, str] = {}
        if activities is not None and activities.id_column is not None:
            columns[activities.id_column] = "activities.id_column"
        if activities is not None and activities.modified_column is not None:
            columns[activities.modified_column] = "activities.modified_column"
        return columns

    def check(self) -> CheckResult:
        """The files open and their headers hold the configured columns."""
        if self.leads_path.exists():
            modified = self.settings.leads.modified_column
            results = [self._check_file(self.leads_path, self._lead_columns(), modified)]
        else:
            results = [(True, f"{self.leads_path}: does not exist yet; the first write creates it")]
        if self.settings.activities is not None:
            activities = self.settings.activities
            path = self._path(activities.path)
            results.append(
                self._check_file(path, self._activity_columns(), activities.modified_column)
            )
        return CheckResult(all(ok for ok, _ in results), tuple(message for _, message in results))

    def _check_file(
        self, path: Path, columns: dict[str, str], modified_column: str | None = None
    ) -> tuple[bool, str]:
        try:
            with open_table(path, self.format) as table:
                for column, setting in columns.items():
                    table.require(column, setting)
                if modified_column is not None:
                    problem = _unreadable_modified(table, modified_column)
                    if problem:
                        return False, f"{path}: {problem}"
                return True, f"{path}: readable, {len(table.header)} columns"
        except ConnectorError as exc:
            return False, str(exc)

    def describe_fields(self) -> list[FieldInfo]:
        """The leads file's columns, all text (none while the file does not exist)."""
        if not self.leads_path.exists():
            return []
        with open_table(self.leads_path, self.format) as table:
            return [FieldInfo(name, "string") for name in table.header]

    def local_fields(self) -> dict[str, list[str]]:
        """The header of the leads file and of the activities file, for those that exist
        and have one (an empty file is like a missing one: the first write makes it)."""
        found: dict[str, list[str]] = {}
        paths = {"lead_fields": self.leads_path}
        if self.settings.activities is not None:
            paths["activity_fields"] = self._path(self.settings.activities.path)
        for group, path in paths.items():
            if path.exists():
                with open_table(path, self.format) as table:
                    if table.header:
                        found[group] = list(table.header)
        return found

    def local_problems(self) -> list[str]:
        """A ``modified_column`` missing from its file or holding a value that is not ISO
        8601 (incremental reads could not use it), for the files that exist."""
        files = [("leads", self.leads_path, self.settings.leads.modified_column)]
        if self.settings.activities is not None:
            activities = self.settings.activities
            files.append(("activities", self._path(activities.path), activities.modified_column))
        problems = []
        for group, path, column in files:
            if column is None or not path.exists():
                continue
            with open_table(path, self.format) as table:
                try:
                    table.require(column, f"{group}.modified_column")
                except ConnectorError as exc:
                    problems.append(f"settings.{group}.modified_column: {exc}")
                    continue
                problem = _unreadable_modified(table, column)
            if problem:
                problems.append(f"settings.{group}.modified_column: {path}: {problem}")
        return problems

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Lead rows changed since ``cursor``; a missing file has none (cursor unchanged)."""
        if not self.leads_path.exists():
            yield ReadBatch(cursor=cursor)
            return
        leads = self.settings.leads
        self.calls.read += 1
        yield from read_records(
            self.leads_path,
            self.format,
            cursor,
            UniqueKey(leads.key_column, self.leads_path.name),
            self._lead_columns(),
            leads.modified_column,
        )

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Activity rows new since ``cursor``; no activities file configured means none."""
        activities = self.settings.activities
        if activities is None:
            yield ReadBatch(cursor=cursor)
            return
        self.calls.read += 1
        path = self._path(activities.path)
        yield from read_records(
            path,
            self.format,
            cursor,
            IdColumn(activities.id_column, path.name) if activities.id_column else content_id,
            self._activity_columns(),
            activities.modified_column,
        )

    def read_activity_rows(self, cursor: str | None) -> Iterator[RowBatch]:
        """:meth:`read_activities` as rows under the file's header."""
        activities = self.settings.activities
        if activities is None:
            yield RowBatch([], cursor=cursor)
            return
        self.calls.read += 1
        path = self._path(activities.path)
        yield from read_row_batches(
            path,
            self.format,
            cursor,
            activities.id_column,
            self._activity_columns(),
            activities.modified_column,
        )

    def create_fields(self, fields: Sequence[FieldInfo]) -> list[str]:
        """Add the missing columns to the leads file's header (creating the file if needed)."""
        self.calls.write += 1
        return add_columns(
            self.leads_path, self.settings.leads.key_column, self.format, [f.name for f in fields]
        )

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Upsert ``writes`` into the leads file (see :mod:`funnelsync.plugins.csv.writing`)."""
        self.calls.write += 1
        return upsert_leads(self.leads_path, self.settings.leads.key_column, self.format, writes)

    def takes_activities(self) -> bool:
        """Only with an ``activities_out`` file configured."""
        return self.settings.activities_out is not None

    def _activities_out(self) -> Path:
        out = self.settings.activities_out
        if out is None:
            raise ConnectorError(
                f"connection {self.context.connection!r} has no activities_out file to write "
                "timeline entries to"
            )
        return self._path(out)

    def write_activities(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """Add the entries to the ``activities_out`` file (see
        :mod:`funnelsync.plugins.csv.timeline`); an entry already there is not added again."""
        self.calls.write += 1
        settings = self.settings
        return write_entries(self._activities_out(), settings.encoding, settings.delimiter, writes)

    def find_activities(self, refs: Sequence[str]) -> dict[str, str]:
        """The refs the ``activities_out`` file holds (each its own id)."""
        self.calls.read += 1
        settings = self.settings
        rows = read_rows(self._activities_out(), settings.encoding, settings.delimiter)
        present = {row["ref"] for row in rows}
        return {ref: ref for ref in refs if ref in present}
