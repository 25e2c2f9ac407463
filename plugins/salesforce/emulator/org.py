"""The emulated org's state, and the Python API tests and the demo use to set it up.

Everything the HTTP side serves lives here: records, users and connected apps, sessions,
the clock, the daily API allowance, injected errors and call counters. Every public
method takes the org's lock, so tests may call them while the server runs.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from funnelsync.plugins.salesforce.emulator import dml
from funnelsync.plugins.salesforce.emulator.schema import (
    ORG_ID,
    USER_ID,
    USER_NAME,
    FieldDef,
    SObjectSchema,
    UnknownObjectError,
    standard_schemas,
)
from funnelsync.plugins.salesforce.emulator.values import to_json

DEFAULT_API_LIMIT = 100_000


class EmulatorError(Exception):
    """The seeding API was used wrongly (unknown record, invalid data, …)."""


@dataclass(slots=True)
class InjectedError:
    """A per-record error to answer instead of saving, for the next ``times`` matches."""

    match: str
    """A record Id, or an Email / external id value of the record being saved."""
    status_code: str
    message: str
    fields: tuple[str, ...] = ()
    times: int = 1


@dataclass(slots=True)
class ValidationRule:
    """Like a Setup validation rule: ``failing(record)`` true means the save is refused."""

    sobject: str
    failing: Callable[[Mapping[str, Any]], bool]
    message: str
    field: str | None = None


@dataclass(slots=True)
class ConnectedApp:
    """An OAuth client: a secret for the password grant, a PEM public key for JWT bearer."""

    consumer_key: str
    consumer_secret: str | None = None
    public_key: str | None = None
    run_as: str | None = None
    """The user the client-credentials flow runs as (``None``: the flow is not enabled)."""


@dataclass(slots=True)
class Org:
    """One emulated Salesforce org."""

    schemas: dict[str, SObjectSchema] = field(default_factory=standard_schemas)
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Username → (password, security token)."""
    apps: dict[str, ConnectedApp] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    """Live session id → username."""
    reject_sessions: bool = False
    """While true every REST call answers 401 INVALID_SESSION_ID, even with a fresh session."""
    api_used: int = 0
    api_limit: int = DEFAULT_API_LIMIT
    query_batch_size: int = 2000
    """Rows per query page (Salesforce's default; ``Sforce-Query-Options`` may ask 200-2000)."""
    locators: dict[str, tuple[list[dict[str, Any]], int]] = field(default_factory=dict)
    """Open query cursors: locator → (every row of the query, rendered; page size)."""
    jobs: dict[str, Any] = field(default_factory=dict)
    """Bulk API 2.0 ingest jobs by id (see :mod:`~funnelsync.plugins.salesforce.emulator.bulk`)."""
    injected: list[InjectedError] = field(default_factory=list)
    rules: list[ValidationRule] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    """Calls answered, by endpoint name (``query``, ``collections_update``, ``bulk_upload``…)."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    _frozen_at: datetime | None = None
    _counter: int = 0
    echo_failure_ids: bool = False
    """Knob: give failed sObject Collections items the record's ``id``. Salesforce's documented
    failure items carry none (``{"success": false, "errors": [...]}``); results are matched
    to records by position either way."""

    def __post_init__(self) -> None:
        first, last = USER_NAME
        when = self.now()
        self.table("User")[USER_ID] = {
            "Id": USER_ID,
            "IsDeleted": False,
            "Username": "integration.user@emulated.example",
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Email": "integration.user@emulated.example",
            "IsActive": True,
            "CreatedDate": when,
            "CreatedById": USER_ID,
            "LastModifiedDate": when,
            "LastModifiedById": USER_ID,
            "SystemModstamp": when,
        }

    # --- clock -------------------------------------------------------------------------

    def now(self) -> datetime:
        """The org's time: frozen if set, else the wall clock; whole seconds, UTC."""
        when = self._frozen_at or datetime.now(UTC)
        return when.astimezone(UTC).replace(microsecond=0)

    def set_time(self, when: datetime) -> None:
        """Freeze the org's clock at ``when`` (records saved now share its timestamp)."""
        with self.lock:
            self._frozen_at = when if when.tzinfo else when.replace(tzinfo=UTC)

    def advance(self, seconds: float = 1.0) -> datetime:
        """Move the (then frozen) clock forward; returns the new time."""
        with self.lock:
            self._frozen_at = self.now() + timedelta(seconds=seconds)
            return self._frozen_at

    # --- identity and access -----------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh 18-character id with a key prefix (``00Q`` for a lead, ``750`` a job…)."""
        self._counter += 1
        return f"{prefix}{self._counter:012d}AAA"

    def add_user(self, username: str, password: str, security_token: str = "") -> None:
        """A user who may log in with ``password`` + ``security_token``."""
        with self.lock:
            self.users[username] = (password, security_token)

    def add_connected_app(
        self,
        consumer_key: str,
        consumer_secret: str | None = None,
        public_key: str | None = None,
        run_as: str | None = None,
    ) -> None:
        """An OAuth client (``public_key`` in PEM for the JWT bearer flow; ``run_as`` a
        user to enable the client-credentials flow, as an External Client App does)."""
        with self.lock:
            app = ConnectedApp(consumer_key, consumer_secret, public_key, run_as)
            self.apps[consumer_key] = app

    def issue_session(self, username: str) -> str:
        """Log ``username`` in; returns the new session id (access token)."""
        with self.lock:
            if username not in self.users:
                raise EmulatorError(f"no user {username!r}")
            session_id = f"{ORG_ID[:15]}!{secrets.token_urlsafe(24)}"
            self.sessions[session_id] = username
            return session_id

    def expire_sessions(self) -> None:
        """End every session: the next call with one gets 401 INVALID_SESSION_ID."""
        with self.lock:
            self.sessions.clear()

    def set_api_usage(self, used: int, limit: int | None = None) -> None:
        """Set the calls used in the last 24 h (and the daily allowance)."""
        with self.lock:
            self.api_used = used
            if limit is not None:
                self.api_limit = limit

    # --- schema ------------------------------------------------------------------------

    def schema(self, sobject: str) -> SObjectSchema:
        """The object's schema; :class:`UnknownObjectError` if the org has no such object."""
        found = self.schemas.get(sobject) or next(
            (s for s in self.schemas.values() if s.name.casefold() == sobject.casefold()), None
        )
        if found is None:
            raise UnknownObjectError(f"sObject type '{sobject}' is not supported.")
        return found

    def add_field(self, sobject: str, name: str, type: str, **options: Any) -> None:
        """Add a custom field, e.g. ``add_field("Lead", "Score__c", "double")``."""
        with self.lock:
            length = options.pop("length", 255 if type in ("string", "picklist") else 0)
            self.schema(sobject).add_field(FieldDef(name, type, length=length, **options))

    def set_picklist(
        self,
        sobject: str,
        name: str,
        values: tuple[str, ...] | None = None,
        *,
        restricted: bool = True,
    ) -> None:
        """Change a picklist as Setup does: its values (kept if ``None``) and whether it is
        restricted (a save of any other value is refused with
        ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), e.g. ``set_picklist("Lead", "LeadSource")``.
        """
        with self.lock:
            definition = self.schema(sobject).find(name)
            if definition is None or definition.type not in ("picklist", "multipicklist"):
                raise EmulatorError(f"{sobject} has no picklist {name!r}")
            if values is not None:
                definition.picklist = tuple(values)
            definition.restricted = restricted

    # --- errors ------------------------------------------------------------------------

    def inject_error(
        self,
        match: str,
        status_code: str,
        message: str | None = None,
        fields: tuple[str, ...] = (),
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` saves of the record matching ``match`` with an error.

        ``match`` is a record Id, or the Email, external id or ``WhoId`` (a Task's Lead or
        Contact) value of a record being saved.
        """
        default = {
            "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
            "DUPLICATE_VALUE": f"duplicate value found: {match}",
        }.get(status_code, status_code.replace("_", " ").lower())
        with self.lock:
            self.injected.append(
                InjectedError(match, status_code, message or default, fields, times)
            )

    def add_validation_rule(
        self,
        sobject: str,
        failing: Callable[[Mapping[str, Any]], bool],
        message: str,
        field: str | None = None,
    ) -> None:
        """Refuse saves of ``sobject`` records for which ``failing(record)`` is true."""
        with self.lock:
            self.rules.append(ValidationRule(sobject, failing, message, field))

    # --- records -----------------------------------------------------------------------

    def find(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """The object name and stored record with ``record_id`` (deleted ones too)."""
        for schema in self.schemas.values():
            if record_id.startswith(schema.key_prefix):
                record = self.records.get(schema.name, {}).get(record_id)
                if record is not None:
                    return schema.name, record
        return None

    def table(self, sobject: str) -> dict[str, dict[str, Any]]:
        """Every stored record of ``sobject`` (deleted ones too), by Id."""
        return self.records.setdefault(self.schema(sobject).name, {})

    def insert(self, sobject: str, **fields: Any) -> str:
        """Create a record as a user would; returns its Id. :class:`EmulatorError` if refused."""
        with self.lock:
            return self._raise_on_error(dml.save(self, sobject, fields, None))

    def update(self, record_id: str, **fields: Any) -> None:
        """Change a record as a user would (its SystemModstamp moves)."""
        with self.lock:
            sobject, _ = self._existing(record_id)
            self._raise_on_error(dml.save(self, sobject, fields, record_id))

    def delete(self, record_id: str, master_id: str | None = None) -> None:
        """Move a record to the recycle bin (``master_id``: the record it was merged into)."""
        with self.lock:
            _, record = self._existing(record_id)
            dml.delete(self, record, master_id)

    def convert_lead(
        self, lead_id: str, status: str = "Closed - Converted", contact_id: str | None = None
    ) -> str:
        """Convert a lead: a new Account and Contact, or the existing Contact ``contact_id``
        (several leads can be converted into one Contact); the lead becomes read-only."""
        with self.lock:
            try:
                return dml.convert_lead(self, lead_id, status, contact_id)
            except LookupError as exc:
                raise EmulatorError(str(exc)) from None

    def get(self, record_id: str) -> dict[str, Any]:
        """A record as the API shows it (JSON values), deleted ones included."""
        with self.lock:
            sobject, record = self._existing(record_id)
            schema = self.schema(sobject)
            return {name: to_json(schema.find(name), value) for name, value in record.items()}

    def ids(self, sobject: str) -> list[str]:
        """Ids of the live records of ``sobject``, oldest first."""
        with self.lock:
            return [key for key, rec in self.table(sobject).items() if not rec["IsDeleted"]]

    # --- conveniences for seeding ------------------------------------------------------

    def add_lead(self, **fields: Any) -> str:
        """A lead; ``LastName`` and ``Company`` default to placeholders."""
        return self.insert("Lead", **{"LastName": "Unknown", "Company": "Unknown", **fields})

    def add_contact(self, **fields: Any) -> str:
        """A contact; ``LastName`` defaults to a placeholder."""
        return self.insert("Contact", **{"LastName": "Unknown", **fields})

    def add_task(self, who_id: str, **fields: Any) -> str:
        """A completed task on a lead or contact (``TaskSubtype`` e.g. ``Call``, ``Email``)."""
        defaults = {"Status": "Completed", "Subject": "Task", "ActivityDate": self.now().date()}
        return self.insert("Task", **{**defaults, "WhoId": who_id, **fields})

    def add_event(self, who_id: str, **fields: Any) -> str:
        """A meeting with a lead or contact, starting now unless ``StartDateTime`` is given."""
        start = fields.pop("StartDateTime", self.now())
        return self.insert(
            "Event", **{"Subject": "Meeting", "WhoId": who_id, "StartDateTime": start, **fields}
        )

    def add_campaign(self, name: str, **fields: Any) -> str:
        """A campaign."""
        return self.insert("Campaign", Name=name, **fields)

    def add_campaign_member(self, campaign_id: str, person_id: str, **fields: Any) -> str:
        """A lead or contact (by id) in a campaign; ``Status="Responded"`` makes a response."""
        key = "LeadId" if person_id.startswith(self.schemas["Lead"].key_prefix) else "ContactId"
        return self.insert("CampaignMember", CampaignId=campaign_id, **{key: person_id, **fields})

    # --- helpers -----------------------------------------------------------------------

    def _existing(self, record_id: str) -> tuple[str, dict[str, Any]]:
        found = self.find(record_id)
        if found is None:
            raise EmulatorError(f"no record with Id {record_id!r}")
        return found

    @staticmethod
    def _raise_on_error(outcome: dml.SaveOutcome) -> str:
        if outcome.errors or outcome.record_id is None:
            raise EmulatorError(
                "; ".join(f"{e['statusCode']}: {e['message']}" for e in outcome.errors)
            )
        return outcome.record_id
