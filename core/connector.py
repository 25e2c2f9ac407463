"""The connector interface every system plugin implements (DESIGN §5).

A connector moves records between funnelsync and one system. It never owns state: the
engine hands it a cursor and takes back batches of system records (plus rows it could
not parse, with where and why); it hands the connector batches of writes and takes back
exactly one :class:`WriteResult` per record, in order. :mod:`funnelsync.testing` checks a
connector against these rules.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from funnelsync.emulator import Emulator
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.run_report import ApiCalls
from funnelsync.shared_limits import SharedLimits


class Capabilities(BaseModel):
    """What a connector can do; the engine only asks for what is declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    read_leads: bool = False
    write_leads: bool = False
    read_activities: bool = False
    write_activities: bool = False
    deletes: bool = False
    """Reports deleted records (:meth:`Connector.read_deletions`)."""
    read_activity_rows: bool = False
    """Also gives activities as rows of one header per batch
    (:meth:`Connector.read_activity_rows`), which a sync stores without a record per row."""

    def names(self) -> list[str]:
        """The capabilities that are switched on, by name."""
        return [name for name, on in self.model_dump().items() if on]


class ConnectorSettings(BaseModel):
    """Base of every connector's settings model; unknown keys are errors.

    Declare secrets as ``pydantic.SecretStr`` so they never print.
    """

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the engine tells a connector about where it runs."""

    connection: str
    """The connection's name in the workspace config."""
    workspace_dir: Path
    """Directory of the workspace config; relative paths in settings are relative to it."""
    state_dir: Path | None = None
    """The workspace's state directory, where a connector may keep small files of its own
    between runs (such as its API usage); ``None`` when it runs outside a workspace."""
    limits: SharedLimits | None = None
    """The API limits shared by every connection naming this one's ``budget_key``, in
    every process; ``None`` when it names none (keep them in the connector)."""


@dataclass(frozen=True, slots=True)
class SystemRecord:
    """One record as the system holds it: its id, its fields, and where it came from."""

    record_id: str
    fields: Mapping[str, Any]
    location: str
    """Where to find it, for people: ``leads.csv:17``, a record URL…"""


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record the connector could not even parse (e.g. a CSV row with too many cells)."""

    location: str
    reason: str
    payload: str


@dataclass(slots=True)
class ReadBatch:
    """A page of records read from a system, and the cursor to resume after it."""

    records: list[SystemRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    cursor: str | None = None
    """Opaque position after this batch, stored by the engine once the batch is committed.

    ``None`` means "do not move the cursor" (e.g. on every batch but the last).
    """


@dataclass(slots=True)
class RowBatch:
    """A page of records as rows of one header: record ``i`` has the id ``ids[i]``, the
    fields ``header`` → ``rows[i]`` (as many cells as the header has names) and the
    location ``locations[i]``. ``rejected`` and ``cursor`` are as in :class:`ReadBatch`."""

    header: Sequence[str]
    ids: list[str] = field(default_factory=list)
    rows: list[Sequence[str]] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    cursor: str | None = None

    def records(self) -> list[SystemRecord]:
        """The rows as the records :meth:`Connector.read_activities` gives."""
        header = self.header
        return [
            SystemRecord(record_id, dict(zip(header, cells, strict=True)), location)
            for record_id, cells, location in zip(self.ids, self.rows, self.locations, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class LeadWrite:
    """One lead to create or update in a system."""

    key: str
    """The canonical key the engine identifies the lead by: the normalised email, or for a
    person without one, ``key:value`` of their first identity key (see :attr:`email`)."""
    record_id: str | None
    """The system's id for the record, or ``None`` to create it."""
    fields: Mapping[str, Any]
    """System field → new value; only these fields are written."""
    detour: bool = False
    """The contract moves this lead into or out of a detour (recycle, disqualify…): a
    stage value that looks backward to the system is intended and may be forced."""

    @property
    def email(self) -> str | None:
        """The person's email, or ``None`` when the key is another identity key (a
        normalised email never holds ``:``). A system that needs an email to create or
        match a record rejects such a write."""
        return None if ":" in self.key else self.key


@dataclass(frozen=True, slots=True)
class ActivityWrite:
    """One significant activity to put on a person's timeline in a system (a Salesforce
    Task, a HubSpot note, a row of a file)."""

    ref: str
    """funnelsync's stable reference of this entry, the same on every run: store it with
    the entry (a field you can query) so :meth:`Connector.find_activities` finds it."""
    record_id: str
    """The system's id of the person's record (a Lead, a Contact…) to attach it to."""
    email: str | None
    """The person's email, when they have one."""
    type: str
    """The canonical activity type, e.g. ``demo_request``."""
    label: str
    """The type as people read it, e.g. ``Demo request``."""
    occurred_at: datetime
    campaign: str | None
    asset: str | None
    subject: str
    """A one-line title, e.g. ``Demo request: Q3 webinar (funnelsync)``."""
    description: str
    """What happened, naming the campaign and asset, for the timeline entry's body."""


class WriteStatus(StrEnum):
    """Outcome of writing one record."""

    ok = "ok"
    rejected = "rejected"
    """The system refused the record; retrying unchanged will not help."""
    retryable = "retryable"
    """A passing failure (rate limit, lock, timeout); try again later."""
    held = "held"
    """Not sent: the system's API budget is spent; the next run sends it (not a refusal,
    and not counted as quarantined)."""
    missing = "missing"
    """The record to update is no longer in the system (deleted there): the engine
    unlinks it and reports it; it is never re-created from the write's fields."""


_NOTHING_KEPT: Mapping[str, Any] = MappingProxyType({})
"""A result's ``kept`` when the system kept nothing: one shared empty mapping."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one :class:`LeadWrite` (``key``) or :class:`ActivityWrite` (``ref``)."""

    key: str
    status: WriteStatus
    record_id: str | None = None
    message: str | None = None
    """Why it was refused or left for later; on an ``ok`` result, a note for people (a
    value the system kept), shown once per run in the run report's notes."""
    kept: Mapping[str, Any] = field(default_factory=lambda: _NOTHING_KEPT)
    """On an ``ok`` result: system field → the system's own value, for each written field
    the system left at that value (``message`` says why). funnelsync does not send that
    field's value again while the value and the system's stay as they are."""


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field as the system describes it."""

    name: str
    type: str
    writable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    """Whether the system refuses a value outside ``picklist``."""
    max_length: int | None = None
    """The longest text the system takes in the field (``None``: no limit known); a
    longer value is refused."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Whether a connection works, and what a person should know or fix."""

    ok: bool
    messages: tuple[str, ...] = ()


class ConnectorError(Exception):
    """A connection-level failure (unreachable, missing file, unexpected answer): the run
    fails. Never raise it for one bad record; return a rejected :class:`WriteResult`."""


class MappingRejectedError(ConnectorError):
    """The system cannot take the connection's mapping (fields or values it lacks).

    The engine raises it before reading when :meth:`Connector.validate_mapping` reports
    problems; the CLI exits with the configuration error code."""


class AuthenticationError(ConnectorError):
    """The system refused our credentials or permissions; nothing more is written to it.

    The run fails and the CLI exits with the authentication error code. Never put the
    credential itself in the message."""


class BudgetExhaustedError(ConnectorError):
    """The run used the share of the system's API allowance it may use; stop cleanly.

    Raised from :meth:`Connector.write_leads`, it ends this connection's writes for the
    run; what is left is written next run."""


class Connector(ABC):
    """Base class of connectors. Subclasses set the class attributes and the methods."""

    name: ClassVar[str]
    """Unique connector name used in configs, e.g. ``csv``."""
    settings_model: ClassVar[type[ConnectorSettings]]
    capabilities: ClassVar[Capabilities]
    default_mapping: ClassVar[FieldMapping]
    write_batch_size: ClassVar[int | None] = None
    """Most records per :meth:`write_leads` call; ``None`` means all in one call."""
    emulator: ClassVar[type[Emulator] | None] = None
    """A local emulator of the system (see :mod:`funnelsync.emulator`), if the plugin ships one."""
    calls: ApiCalls
    """Calls made to the system so far (``calls.read``, ``calls.write``): add 1 for each
    request; funnelsync reports them per run."""

    @classmethod
    def mapping_for(cls, settings: ConnectorSettings) -> FieldMapping:
        """The default mapping of a connection with ``settings`` (where the settings name the
        system's fields, they decide it); :attr:`default_mapping` unless a connector says."""
        return cls.default_mapping

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context
        self.calls = ApiCalls()
        self.text_encoding = "utf-8"
        """The text encoding the system stores; a connector that stores another (a
        latin-1 CSV file) sets it, and funnelsync fits what it writes to it."""

    @abstractmethod
    def check(self) -> CheckResult:
        """Check the system is reachable and usable with these settings."""

    @abstractmethod
    def describe_fields(self) -> list[FieldInfo]:
        """The lead fields the system has."""

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Lead records changed since ``cursor`` (all of them when ``None``)."""
        raise NotImplementedError(f"{self.name} does not read leads")

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Activity records since ``cursor`` (all of them when ``None``)."""
        raise NotImplementedError(f"{self.name} does not read activities")

    def read_activity_rows(self, cursor: str | None) -> Iterator[RowBatch]:
        """What :meth:`read_activities` gives for ``cursor`` (the same records in the same
        order, the same rejections and cursors), as :class:`RowBatch`es: a sync then stores
        activities without a record per row. Optional (:attr:`Capabilities.read_activity_rows`)."""
        raise NotImplementedError(f"{self.name} does not read activities as rows")

    def read_deletions(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Lead records deleted since ``cursor``, as records carrying the deleted id (only
        called when :attr:`Capabilities.deletes` is declared)."""
        raise NotImplementedError(f"{self.name} does not report deletions")

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Upsert leads by key; exactly one result per write, in the order of the writes.

        ``rejected`` when the system refused the record (its error as the message),
        ``retryable`` for a passing failure (rate limit, lock, timeout), ``held`` when the
        API budget is spent before it was sent."""
        raise NotImplementedError(f"{self.name} does not write leads")

    def write_activities(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """Create timeline entries; exactly one result per write, in order, keyed by ``ref``.

        An ``ok`` result's ``record_id`` is the entry's id as :meth:`read_activities`
        would return it, so funnelsync never reads its own entry back as engagement."""
        raise NotImplementedError(f"{self.name} does not write activities")

    def find_activities(self, refs: Sequence[str]) -> dict[str, str]:
        """The entries with these ``ref``s that the system holds: ref → the id
        :meth:`read_activities` would give it. funnelsync asks after a run stopped in the
        middle of :meth:`write_activities`, before sending anything again."""
        raise NotImplementedError(f"{self.name} does not write activities")

    def takes_activities(self) -> bool:
        """Whether this connection is set up to take timeline entries (a connector may
        need a setting first, e.g. a CSV file to write them to); by default, whether
        :attr:`Capabilities.write_activities` is declared."""
        return self.capabilities.write_activities

    def create_defaults(self) -> dict[str, Any]:
        """System field → the value the system gives a record created without it (such as a
        picklist's default); none by default. funnelsync carries these values to the other
        systems in the run that creates the record, so the next run has nothing to carry."""
        return {}

    def create_fields(self, fields: Sequence[FieldInfo]) -> list[str]:
        """Create missing custom fields in the system; returns the names created."""
        raise NotImplementedError(f"{self.name} cannot create fields")

    def local_fields(self) -> dict[str, list[str]] | None:
        """The fields the system has, known without calling it (a file's header):
        ``lead_fields`` and/or ``activity_fields`` → field names. ``None`` (the default)
        when only an online describe can tell; `validate` then checks nothing here."""
        return None

    def local_problems(self) -> list[str]:
        """Problems with the settings found without calling the system (a file column that
        cannot serve as configured), one sentence each naming the setting; `validate` stops
        on them. None by default."""
        return []

    def validate_mapping(self, mapping: FieldMapping) -> list[str]:
        """Problems the system has with ``mapping``, one sentence each (none by default).

        Name every field the mapping writes that the system lacks or will not take, and
        values (stage values…) it refuses; a non-empty answer stops a run before reading."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Release connections and files; called once at the end of a run."""
