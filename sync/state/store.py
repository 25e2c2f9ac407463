"""The workspace's state database: identity links, ledger, cursors, runs, audit, quarantine.

One SQLite file by default (``state/funnelsync.db``), or a PostgreSQL database named by
the workspace's ``state: {url: …}``, through SQLAlchemy Core. Every
method that changes state runs in its own transaction, so a killed process leaves either
all of a step or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    ExceptionContext,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from funnelsync.models import Lead
from funnelsync.run_report import RunReport
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.backends import (
    bulk_cache,
    driver_rows,
    open_engine,
    serialise_migrations,
    upsert_statement,
)
from funnelsync.sync.state.backends import execute_many as _executemany
from funnelsync.sync.state.campaign_touches import mark_stale, refresh_stale
from funnelsync.sync.state.errors import StateError, state_error
from funnelsync.sync.state.journeys import append_moves, upsert_journey_rows
from funnelsync.sync.state.moments import moment_columns, stored_moment
from funnelsync.sync.state.names import NameCache, ids_of
from funnelsync.sync.state.person_rows import PersonRow
from funnelsync.sync.state.stalls import StallRecord, upsert_stalls

DATABASE_NAME = "funnelsync.db"
AUTO_ATTEMPTS = 5
"""Runs that retry a quarantined record by themselves; then it waits for `funnelsync retry`."""
_CHUNK = 500

RecordKey = tuple[str, str]
"""(connection, record id)."""

ActivityRow = tuple[str, str, str, str, datetime, str | None, str | None]
"""An activity to store: connection, activity id, identity token, type, time, campaign,
asset."""
NamedActivityRow = tuple[str, str, str, str, int, int, int | None, str | None, str | None]
"""An activity to store with its time as :mod:`~funnelsync.sync.state.moments` integers:
connection, activity id, identity token, type name, epoch seconds, microseconds, UTC
offset, campaign name, asset."""
CompactActivity = tuple[str, str, str, int, int, int, int | None, int | None, str | None]
"""An activity as stored: the values of :data:`ACTIVITY_COLUMNS` (type and campaign as
ids, the time as :mod:`~funnelsync.sync.state.moments` integers)."""
ACTIVITY_COLUMNS = (
    "connection",
    "activity_id",
    "email",
    "type_id",
    "occurred_at",
    "micros",
    "utc_offset",
    "campaign_id",
    "asset",
)


_LEDGER_JSON = json.JSONEncoder(default=str, sort_keys=True)
"""``json.dumps(…, default=str, sort_keys=True)`` for ledger rows, made once."""


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """An activity as stored: enough to score and to report on it."""

    connection: str
    activity_id: str
    email: str
    type: str
    occurred_at: datetime
    campaign: str | None
    asset: str | None


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A record set aside: why, where, and how often it was tried."""

    connection: str
    record_key: str
    kind: str
    location: str
    reason: str
    payload: str
    attempts: int
    first_seen: str
    last_seen: str
    requeued: bool

    @property
    def parked(self) -> bool:
        """Tried :data:`AUTO_ATTEMPTS` times: no more automatic retries until re-queued."""
        return self.attempts >= AUTO_ATTEMPTS and not self.requeued


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change funnelsync made to one record in one system."""

    run_id: str
    at: str
    connection: str
    record_id: str
    action: str
    changes: dict[str, list[Any]]
    reason: str


@dataclass(frozen=True, slots=True)
class StageEntry:
    """One stage move of a person."""

    from_stage: str | None
    to_stage: str
    at: str
    reason: str
    run_id: str


@dataclass(slots=True)
class Identity:
    """Who is who: record links and identity tokens, loaded once per run.

    A token is an email, or ``key:value`` of another identity key (see
    :func:`funnelsync.models.key_token`); each person has a label, their first token.
    """

    person_of: dict[RecordKey, int]
    records_of: dict[int, tuple[RecordKey, ...]]
    person_by_key: dict[str, int]
    label_of: dict[int, str]
    next_person_id: int
    keys_of: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Each person's tokens, in the order given (a tuple: most people have one)."""
    new_keys: list[tuple[str, int]] = field(default_factory=list)
    """Tokens given to a person in this run (saved with the run)."""

    def link(self, key: RecordKey, person_id: int) -> None:
        """Link a record to a person (in memory; saved with the run)."""
        if self.person_of.get(key) == person_id:
            return
        self.person_of[key] = person_id
        self.records_of[person_id] = (*self.records_of.get(person_id, ()), key)

    def forget(self, key: RecordKey) -> None:
        """Unlink a record the system deleted (in memory; saved with the run)."""
        person_id = self.person_of.pop(key, None)
        if person_id is not None:
            self.records_of[person_id] = tuple(k for k in self.records_of[person_id] if k != key)

    def new_person(self, token: str) -> int:
        """A new person id, labelled and found by ``token``."""
        person_id = self.next_person_id
        self.next_person_id += 1
        self.label_of[person_id] = token
        self.add_key(token, person_id)
        return person_id

    def add_key(self, token: str, person_id: int) -> bool:
        """Give ``token`` to ``person_id`` unless another person has it; whether it is theirs."""
        owner = self.person_by_key.setdefault(token, person_id)
        if owner != person_id:
            return False
        keys = self.keys_of.get(person_id, ())
        if token not in keys:
            self.keys_of[person_id] = (*keys, token)
            self.new_keys.append((token, person_id))
        return True


def _chunks(items: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (a generator is consumed a chunk at a time)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _translator(where: Path | str) -> Any:
    def translate(context: ExceptionContext) -> None:
        raise state_error(context.original_exception, where) from None

    return translate


class StateStore:
    """Access to one workspace's state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.type_names = NameCache(engine, t.activity_types)
        """Activity type id → name."""
        self.campaign_names = NameCache(engine, t.campaigns)
        """Campaign id → name."""
        with engine.begin() as connection:
            serialise_migrations(connection)
            self.schema_version = t.migrate(connection)

    @classmethod
    def open(cls, state_dir: Path, url: str | None = None) -> StateStore:
        """Open (creating and migrating if needed) the store at ``url``.

        Without ``url``, the SQLite file ``funnelsync.db`` under ``state_dir``. Every
        database failure, here or later, is a :class:`StateError` saying what to do (a
        lock held longer than ``BUSY_TIMEOUT_S``, a damaged file, a read-only or full disk).
        """
        where: Path | str = state_dir / DATABASE_NAME
        if url is not None:
            where = make_url(url).render_as_string(hide_password=True)
        try:
            engine = open_engine(state_dir / DATABASE_NAME, url)
            event.listen(engine, "handle_error", _translator(where))
            return cls(engine)
        except StateError:
            raise
        except (OSError, SQLAlchemyError) as exc:
            raise state_error(exc, where) from None

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # --- identity ---------------------------------------------------------------------

    def load_identity(self) -> Identity:
        """Every record link and identity token.

        A link whose person was never committed (the run that made it was killed before
        its end) is ignored: the record is linked again when it is next read.
        """
        person_of: dict[RecordKey, int] = {}
        linked: dict[int, list[RecordKey]] = {}
        with self.engine.connect() as connection:
            emails = {
                row.person_id: row.email
                for row in connection.execute(select(t.persons.c.person_id, t.persons.c.email))
            }
            highest = max(emails, default=0)
            for row in connection.execute(
                select(t.links.c.connection, t.links.c.record_id, t.links.c.person_id)
            ):
                highest = max(highest, row.person_id)
                if row.person_id not in emails:
                    continue
                key = (row.connection, row.record_id)
                person_of[key] = row.person_id
                linked.setdefault(row.person_id, []).append(key)
            person_by_key = {label: pid for pid, label in emails.items()}
            keys_of: dict[int, tuple[str, ...]] = {pid: (label,) for pid, label in emails.items()}
            tokens = select(t.person_keys.c.token, t.person_keys.c.person_id)
            for key_row in connection.execute(tokens):
                if key_row.person_id in emails:
                    person_by_key.setdefault(key_row.token, key_row.person_id)
                    keys = keys_of[key_row.person_id]
                    if key_row.token not in keys:
                        keys_of[key_row.person_id] = (*keys, key_row.token)
        return Identity(
            person_of=person_of,
            records_of={person_id: tuple(keys) for person_id, keys in linked.items()},
            person_by_key=person_by_key,
            label_of=emails,
            next_person_id=highest + 1,
            keys_of=keys_of,
        )

    def all_person_ids(self) -> list[int]:
        """Every person ever seen."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(t.persons.c.person_id)).scalars())

    def leads(self, person_ids: Iterable[int]) -> dict[int, Lead]:
        """The stored canonical leads of ``person_ids``."""
        found: dict[int, Lead] = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(list(person_ids)):
                query = select(t.persons.c.person_id, t.persons.c.lead).where(
                    t.persons.c.person_id.in_(chunk)
                )
                for row in connection.execute(query):
                    found[row.person_id] = Lead.model_validate_json(row.lead)
        return found

    def person_by_key(self, token: str) -> tuple[int, Lead] | None:
        """The person with identity token ``token`` (an email or ``key:value``), if any."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(t.person_keys.c.person_id).where(t.person_keys.c.token == token)
            ).scalar()
            condition = (
                t.persons.c.person_id == found if found is not None else t.persons.c.email == token
            )
            person = connection.execute(
                select(t.persons.c.person_id, t.persons.c.lead).where(condition)
            ).first()
        return (person.person_id, Lead.model_validate_json(person.lead)) if person else None

    def person_keys(self, person_id: int) -> list[str]:
        """Every identity token of ``person_id``."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(t.person_keys.c.token).where(t.person_keys.c.person_id == person_id)
            )
            return sorted(rows.scalars())

    def field_warnings(self, run_id: str | None = None) -> list[FieldWarning]:
        """The field warnings of ``run_id`` (default: the latest run that had any)."""
        with self.engine.connect() as connection:
            if run_id is None:
                run_id = connection.execute(
                    select(t.field_warnings.c.run_id)
                    .order_by(t.field_warnings.c.warning_id.desc())
                    .limit(1)
                ).scalar()
            rows = connection.execute(
                select(t.field_warnings)
                .where(t.field_warnings.c.run_id == run_id)
                .order_by(t.field_warnings.c.warning_id)
            )
            return [
                FieldWarning(row.connection, row.record_key, row.location, row.message)
                for row in rows
            ]

    # --- ledger and cursors -------------------------------------------------------------

    def ledger(self, keys: Iterable[RecordKey]) -> dict[RecordKey, dict[str, Any]]:
        """What funnelsync last read from or wrote to each record, field by field."""
        wanted = list(keys)
        found: dict[RecordKey, dict[str, Any]] = {}
        by_connection: dict[str, list[str]] = {}
        for connection_name, record_id in wanted:
            by_connection.setdefault(connection_name, []).append(record_id)
        with self.engine.connect() as connection:
            for name, record_ids in by_connection.items():
                for chunk in _chunks(record_ids):
                    query = select(t.ledger.c.record_id, t.ledger.c.fields).where(
                        t.ledger.c.connection == name, t.ledger.c.record_id.in_(chunk)
                    )
                    for row in connection.execute(query):
                        found[(name, row.record_id)] = json.loads(row.fields)
        return found

    def cursor(self, connection_name: str, stream: str) -> str | None:
        """The committed cursor of one stream of one connection."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(t.cursors.c.value).where(
                    t.cursors.c.connection == connection_name, t.cursors.c.stream == stream
                )
            ).scalar()
        return value

    def setting(self, key: str) -> str | None:
        """A stored workspace setting (e.g. the fingerprint of the last contract used)."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(t.settings.c.value).where(t.settings.c.key == key)
            ).scalar()

    def save_settings(self, values: Mapping[str, str]) -> None:
        """Store workspace settings at once, in one transaction of their own."""
        with self.engine.begin() as connection:
            _upsert_settings(connection, values)

    # --- activities ---------------------------------------------------------------------

    def activities(self, emails: Iterable[str] | None) -> Iterator[StoredActivity]:
        """Stored activities of ``emails`` (every activity when ``None``)."""
        if emails is None:
            rows: Iterable[CompactActivity] = self.activity_rows(None)
        else:
            rows = self.activity_rows(emails)
        type_name, campaign_name = self.type_names, self.campaign_names
        for name, activity_id, email, kind, seconds, micros, offset, campaign, asset in rows:
            yield StoredActivity(
                name,
                activity_id,
                email,
                type_name(kind),
                stored_moment(seconds, micros, offset),
                None if campaign is None else campaign_name(campaign),
                asset,
            )

    def store_activity_rows(self, rows: Sequence[ActivityRow]) -> None:
        """Store activities (new ones added, known ones replaced) in one transaction."""
        self.store_named_rows([_named_row(row) for row in rows], [row[2] for row in rows])

    def store_named_rows(self, rows: Sequence[NamedActivityRow], stale: Iterable[str]) -> None:
        """Store activities (new ones added, known ones replaced) in one transaction, and
        mark the identity tokens ``stale`` for the commit's ``campaign_touches`` refresh.

        ``stale`` must hold every token of ``rows`` not already marked since the last
        commit (a marked token stays marked until :meth:`commit_run` refreshes it)."""
        if rows:
            with (
                self.engine.connect() as connection,
                bulk_cache(connection),
                connection.begin(),
            ):
                _upsert_activities(connection, rows, stale)

    def activity_rows(self, tokens: Iterable[str] | None) -> Iterator[CompactActivity]:
        """Stored activities of the identity tokens ``tokens`` (all when ``None``), as
        compact rows (in no set order); :attr:`type_names` and :attr:`campaign_names`
        name their ids."""
        columns = [t.activities.c[name] for name in ACTIVITY_COLUMNS]
        with self.engine.connect() as connection:
            if tokens is None:
                for batch in connection.execute(select(*columns)).partitions(10_000):
                    yield from (tuple(row) for row in batch)
                return
            for chunk in _chunks(list(tokens)):
                query = select(*columns).where(t.activities.c.email.in_(chunk))
                yield from driver_rows(connection, query)  # one fetch, no row objects

    # --- quarantine ---------------------------------------------------------------------

    def quarantine(self, connection_name: str | None = None) -> list[QuarantineEntry]:
        """Quarantined records, oldest first (of one connection, or all)."""
        query = select(t.quarantine).order_by(t.quarantine.c.first_seen)
        if connection_name is not None:
            query = query.where(t.quarantine.c.connection == connection_name)
        with self.engine.connect() as connection:
            return [
                QuarantineEntry(
                    row.connection,
                    row.record_key,
                    row.kind,
                    row.location,
                    row.reason,
                    row.payload,
                    row.attempts,
                    row.first_seen,
                    row.last_seen,
                    bool(row.requeued),
                )
                for row in connection.execute(query)
            ]

    def requeue(self, connection_name: str | None = None, record_key: str | None = None) -> int:
        """Mark quarantined records to be tried afresh on the next run; returns how many."""
        query = update(t.quarantine).values(requeued=1, attempts=0)
        if connection_name is not None:
            query = query.where(t.quarantine.c.connection == connection_name)
        if record_key is not None:
            query = query.where(t.quarantine.c.record_key == record_key)
        with self.engine.begin() as connection:
            return connection.execute(query).rowcount

    # --- runs, audit, history -------------------------------------------------------------

    def recent_runs(self, limit: int = 10) -> list[RunReport]:
        """The latest finished runs, newest first."""
        query = (
            select(t.runs.c.report)
            .where(t.runs.c.report.is_not(None))
            .order_by(t.runs.c.started_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [
                RunReport.model_validate_json(value)
                for value in connection.execute(query).scalars()
            ]

    def history(self, person_id: int) -> tuple[list[AuditEntry], list[StageEntry]]:
        """Every change funnelsync made to a person's records, and its stage moves."""
        with self.engine.connect() as connection:
            changes = [
                AuditEntry(
                    row.run_id,
                    row.at,
                    row.connection,
                    row.record_id,
                    row.action,
                    json.loads(row.changes),
                    row.reason,
                )
                for row in connection.execute(
                    select(t.audit)
                    .where(t.audit.c.person_id == person_id)
                    .order_by(t.audit.c.audit_id)
                )
            ]
            stages = [
                StageEntry(row.from_stage, row.to_stage, row.at, row.reason, row.run_id)
                for row in connection.execute(
                    select(t.stage_history)
                    .where(t.stage_history.c.person_id == person_id)
                    .order_by(t.stage_history.c.entry_id)
                )
            ]
        return changes, stages

    def records_of(self, person_id: int) -> list[RecordKey]:
        """The system records linked to one person (an indexed lookup)."""
        query = select(t.links.c.connection, t.links.c.record_id).where(
            t.links.c.person_id == person_id
        )
        with self.engine.connect() as connection:
            return [(row.connection, row.record_id) for row in connection.execute(query)]

    def person_of_record(self, record_id: str, connections: Sequence[str]) -> int | None:
        """The person a system record (by its id, in any of ``connections``) is linked to
        (an indexed lookup: the links' key is connection, then record id)."""
        query = (
            select(t.links.c.person_id)
            .where(t.links.c.connection.in_(connections), t.links.c.record_id == record_id)
            .limit(1)
        )
        with self.engine.connect() as connection:
            found: int | None = connection.execute(query).scalar()
        return found

    def emails_at_stage(self, stage: str, limit: int = 500) -> list[str]:
        """Emails of the persons now at ``stage``, alphabetical, at most ``limit``."""
        query = (
            select(t.persons.c.email)
            .where(t.persons.c.stage == stage)
            .order_by(t.persons.c.email)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def stage_counts(self) -> dict[str, int]:
        """How many persons are in each stage."""
        query = select(t.persons.c.stage, func.count()).group_by(t.persons.c.stage)
        with self.engine.connect() as connection:
            return {stage: count for stage, count in connection.execute(query) if stage}

    def count(self, table: str) -> int:
        """Rows in one of the state tables (for status displays)."""
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(t.metadata.tables[table])
                ).scalar()
                or 0
            )

    # --- writing state ------------------------------------------------------------------

    def commit_writes(
        self,
        run_id: str,
        written: Iterable[tuple[tuple[RecordKey, Mapping[str, Any]], dict[str, Any]]],
        links: Sequence[tuple[RecordKey, int]],
        resolved: Sequence[RecordKey],
    ) -> None:
        """Record one batch of successful writes: ledger, audit, new links, resolved quarantine.

        ``written`` gives each write's ledger row and audit row; it may be a generator
        (stored a chunk at a time) that fills ``links`` and ``resolved``: those are read
        after it."""
        with self.engine.begin() as connection:
            for chunk in _chunks(written, 5000):
                self._upsert_ledger(connection, run_id, [ledger for ledger, _ in chunk])
                _executemany(connection, insert(t.audit), [audit for _, audit in chunk])
            self._insert_links(connection, run_id, links)
            self._resolve(connection, resolved)

    def commit_run(self, commit: RunCommit) -> None:
        """Record everything a run learnt, in one transaction; cursors last of all."""
        with self.engine.begin() as connection:
            for name, record_id in commit.deleted:
                for table in (t.links, t.ledger):
                    connection.execute(
                        delete(table).where(
                            table.c.connection == name, table.c.record_id == record_id
                        )
                    )
            self._upsert_persons(connection, commit)
            self._insert_links(connection, commit.run_id, commit.links)
            if commit.person_keys:
                statement = upsert_statement(connection, t.person_keys)
                _executemany(
                    connection,
                    statement.on_conflict_do_nothing(index_elements=["token"]),
                    [{"token": token, "person_id": pid} for token, pid in commit.person_keys],
                )
            if commit.field_warnings:
                connection.execute(
                    insert(t.field_warnings),
                    [
                        {
                            "run_id": commit.run_id,
                            "connection": item.connection,
                            "record_key": item.record_key,
                            "location": item.location,
                            "message": item.message,
                        }
                        for item in commit.field_warnings
                    ],
                )
            self._upsert_ledger(connection, commit.run_id, commit.ledger_rows)
            for chunk in _chunks(commit.activities, 5000):
                named = [_named_row(_activity_row(item)) for item in chunk]
                _upsert_activities(connection, named, [row[2] for row in named])
            for chunk in _chunks(commit.stage_moves, 5000):  # read once: may be a generator
                _executemany(connection, insert(t.stage_history), chunk)
                append_moves(connection, chunk)
            for table, rows in (
                (t.handoffs, commit.handoffs),
                (t.handoff_deliveries, commit.handoff_deliveries),
            ):
                if rows:
                    connection.execute(insert(table), rows)
            self._quarantine(connection, commit)
            upsert_stalls(connection, commit.stalls)
            refresh_stale(connection)
            _upsert_settings(connection, commit.settings)
            for (name, stream), value in commit.cursors.items():
                statement = upsert_statement(self.engine, t.cursors).values(
                    connection=name, stream=stream, value=value, run_id=commit.run_id
                )
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["connection", "stream"],
                        set_={"value": value, "run_id": commit.run_id},
                    )
                )

    def save_run(self, report: RunReport) -> None:
        """Store a finished run's report."""
        statement = upsert_statement(self.engine, t.runs).values(
            run_id=report.run_id,
            status=report.status.value,
            started_at=report.started_at.isoformat(),
            report=report.model_dump_json(),
        )
        with self.engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["run_id"],
                    set_={"status": report.status.value, "report": report.model_dump_json()},
                )
            )

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _upsert_ledger(
        connection: Any, run_id: str, rows: Iterable[tuple[RecordKey, Mapping[str, Any]]]
    ) -> None:
        statement = upsert_statement(connection, t.ledger)
        upsert = statement.on_conflict_do_update(
            index_elements=["connection", "record_id"],
            set_={"fields": statement.excluded.fields, "run_id": statement.excluded.run_id},
        )
        for chunk in _chunks(rows, 5000):
            _executemany(
                connection,
                upsert,
                [
                    {
                        "connection": key[0],
                        "record_id": key[1],
                        "fields": _LEDGER_JSON.encode(fields),
                        "run_id": run_id,
                    }
                    for key, fields in chunk
                ],
            )

    @staticmethod
    def _insert_links(connection: Any, run_id: str, links: Sequence[tuple[RecordKey, int]]) -> None:
        if not links:
            return
        statement = upsert_statement(connection, t.links)
        upsert = statement.on_conflict_do_update(
            index_elements=["connection", "record_id"],
            set_={"person_id": statement.excluded.person_id},
        )
        for chunk in _chunks(links, 5000):
            _executemany(
                connection,
                upsert,
                [
                    {
                        "connection": key[0],
                        "record_id": key[1],
                        "person_id": pid,
                        "first_run": run_id,
                    }
                    for key, pid in chunk
                ],
            )

    @staticmethod
    def _upsert_persons(connection: Any, commit: RunCommit) -> None:
        statement = upsert_statement(connection, t.persons)
        upsert = statement.on_conflict_do_update(
            index_elements=["person_id"],
            set_={
                "email": statement.excluded.email,
                "stage": statement.excluded.stage,
                "lead": statement.excluded.lead,
                "run_id": statement.excluded.run_id,
            },
        )
        for rows in commit.persons:
            _executemany(
                connection,
                upsert,
                [
                    {
                        "person_id": row.person_id,
                        "email": row.email,
                        "stage": row.stage,
                        "lead": row.lead,
                        "run_id": commit.run_id,
                    }
                    for row in rows
                ],
            )
            upsert_journey_rows(connection, [row.journey for row in rows])

    @staticmethod
    def _resolve(connection: Any, keys: Sequence[RecordKey]) -> None:
        if not keys:
            return
        statement = delete(t.quarantine).where(
            t.quarantine.c.connection == bindparam("name"),
            t.quarantine.c.record_key == bindparam("key"),
        )
        connection.execute(statement, [{"name": name, "key": key} for name, key in keys])

    def _quarantine(self, connection: Any, commit: RunCommit) -> None:
        self._resolve(connection, commit.resolved)
        now = commit.at
        for entry in commit.quarantined:
            statement = upsert_statement(self.engine, t.quarantine).values(
                connection=entry.connection,
                record_key=entry.record_key,
                kind=entry.kind,
                location=entry.location,
                reason=entry.reason,
                payload=entry.payload,
                attempts=1,
                first_seen=now,
                last_seen=now,
                requeued=0,
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["connection", "record_key"],
                    set_={
                        "kind": entry.kind,
                        "location": entry.location,
                        "reason": entry.reason,
                        "payload": entry.payload,
                        "attempts": t.quarantine.c.attempts + 1,
                        "last_seen": now,
                        "requeued": 0,
                    },
                )
            )


def _upsert_settings(connection: Any, values: Mapping[str, str]) -> None:
    if not values:
        return
    statement = upsert_statement(connection, t.settings)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"value": statement.excluded.value}
        ),
        [{"key": key, "value": value} for key, value in values.items()],
    )


def _activity_row(activity: StoredActivity) -> ActivityRow:
    return (
        activity.connection,
        activity.activity_id,
        activity.email,
        activity.type,
        activity.occurred_at,
        activity.campaign,
        activity.asset,
    )


def _named_row(row: ActivityRow) -> NamedActivityRow:
    name, activity_id, token, kind, moment, campaign, asset = row
    return (name, activity_id, token, kind, *moment_columns(moment), campaign, asset)


def _upsert_activities(
    connection: Connection, rows: Sequence[NamedActivityRow], stale: Iterable[str]
) -> None:
    """Store ``rows`` compact (new names get their ids, each name looked up once),
    replacing those already stored; mark ``stale`` for the ``campaign_touches`` refresh."""
    types = ids_of(connection, t.activity_types, {row[3] for row in rows})
    campaigns = ids_of(connection, t.campaigns, {row[7] for row in rows if row[7] is not None})
    campaigns_or_none: dict[str | None, int | None] = {None: None}
    campaigns_or_none.update(campaigns)
    compact = [
        (
            name,
            activity_id,
            token,
            types[kind],
            seconds,
            micros,
            offset,
            campaigns_or_none[campaign],
            asset,
        )
        for name, activity_id, token, kind, seconds, micros, offset, campaign, asset in rows
    ]
    mark_stale(connection, stale)
    statement = upsert_statement(connection, t.activities)
    upsert = statement.on_conflict_do_update(
        index_elements=["connection", "activity_id"],
        set_={name: statement.excluded[name] for name in ACTIVITY_COLUMNS[2:]},
    )
    compiled = upsert.compile(dialect=connection.dialect, column_keys=list(ACTIVITY_COLUMNS))
    if compiled.positiontup is None:
        named = [dict(zip(ACTIVITY_COLUMNS, row, strict=True)) for row in compact]
        connection.exec_driver_sql(str(compiled), named)
    elif tuple(compiled.positiontup) == ACTIVITY_COLUMNS:
        connection.exec_driver_sql(str(compiled), compact)
    else:
        raise RuntimeError(f"unexpected parameter order {compiled.positiontup}")


@dataclass(frozen=True, slots=True)
class NewQuarantine:
    """A record to quarantine (or whose quarantine entry to refresh)."""

    connection: str
    record_key: str
    kind: str
    location: str
    reason: str
    payload: str


@dataclass(frozen=True, slots=True)
class FieldWarning:
    """An optional value left empty (or read one of two ways) instead of quarantining."""

    connection: str
    record_key: str
    location: str
    message: str


@dataclass(slots=True)
class RunCommit:
    """Everything one run saves at its end."""

    run_id: str
    at: str
    persons: Iterable[Sequence[PersonRow]]
    """Chunks of the rows of the persons this run computed (``person_row_chunks`` makes
    them from leads; a sync keeps them compactly as it goes)."""
    links: list[tuple[RecordKey, int]]
    ledger_rows: Iterable[tuple[RecordKey, Mapping[str, Any]]]
    """Ledger rows of the records read: may be a generator, consumed once by the commit."""
    activities: list[StoredActivity]
    stage_moves: Iterable[dict[str, Any]]
    """Rows of ``stage_history``: may be a generator, consumed once by the commit."""
    quarantined: list[NewQuarantine]
    resolved: list[RecordKey]
    settings: dict[str, str]
    cursors: dict[tuple[str, str], str]
    deleted: list[RecordKey] = field(default_factory=list)
    person_keys: list[tuple[str, int]] = field(default_factory=list)
    """Identity tokens given to persons in this run."""
    field_warnings: list[FieldWarning] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    """Hand-offs this run's stage moves cause (rows of ``handoffs``), recorded with them."""
    handoff_deliveries: list[dict[str, Any]] = field(default_factory=list)
    """Their pending deliveries, one per notifier plugin."""
    stalls: list[StallRecord] = field(default_factory=list)
    """Stalls found in this run that were not stored yet."""
