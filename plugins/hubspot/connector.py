"""The ``hubspot`` connector: contacts and their activities in a HubSpot portal."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from funnelsync.connector import (
    ActivityWrite,
    AuthenticationError,
    BudgetExhaustedError,
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    LeadWrite,
    ReadBatch,
    SystemRecord,
    WriteResult,
)
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.plugins.hubspot.activities import ActivityReader
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi, HubSpotError
from funnelsync.plugins.hubspot.changes import ChangeReader
from funnelsync.plugins.hubspot.cursors import decode_leads, encode_leads
from funnelsync.plugins.hubspot.emulator.demo import HubSpotDemoEmulator
from funnelsync.plugins.hubspot.fields import ContactProperties
from funnelsync.plugins.hubspot.mapping import DEFAULT_MAPPING
from funnelsync.plugins.hubspot.mapping_check import mapping_problems
from funnelsync.plugins.hubspot.notes import NoteWriter
from funnelsync.plugins.hubspot.settings import HubSpotSettings
from funnelsync.plugins.hubspot.times import from_ms, to_ms
from funnelsync.plugins.hubspot.tls import ca_file
from funnelsync.plugins.hubspot.writing import BATCH_LIMIT, LeadWriter
from funnelsync.retry import RetryableError
from funnelsync.secrets import register_secret


class HubSpotConnector(Connector):
    """Contacts (read, and upserted by email) and activities (read) of a HubSpot portal;
    significant activities written as notes on the contact (:meth:`write_activities`).

    The private-app token is read from the environment variable the settings name, when
    the connector is built. Cursors are described in :mod:`funnelsync.plugins.hubspot.cursors`.
    """

    name = "hubspot"
    settings_model = HubSpotSettings
    capabilities = Capabilities(
        read_leads=True, write_leads=True, read_activities=True, write_activities=True
    )
    default_mapping = DEFAULT_MAPPING
    write_batch_size = BATCH_LIMIT
    emulator = HubSpotDemoEmulator

    settings: HubSpotSettings

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        if not isinstance(settings, HubSpotSettings):
            raise TypeError(
                f"the hubspot connector needs HubSpotSettings, not {type(settings).__name__}"
            )
        super().__init__(settings, context)
        variable = settings.access_token_env
        token = os.environ.get(variable, "").strip()
        if not token:
            raise ConnectorError(
                f"environment variable {variable} is not set; set it to the HubSpot "
                f"private-app access token (connection {context.connection!r})"
            )
        register_secret(token)
        trusted = ca_file(settings.ca_bundle, settings.base_url, context.workspace_dir)
        self.api = HubSpotApi(
            settings, SecretStr(token), self.calls, variable, trusted, limits=context.limits
        )
        self.properties = ContactProperties(self.api)
        self.writer = LeadWriter(self.api, self.properties)

    def __repr__(self) -> str:
        connection, base_url = self.context.connection, self.settings.base_url
        return f"HubSpotConnector(connection={connection!r}, base_url={base_url!r})"

    def check(self) -> CheckResult:
        """The token works, the read scopes are there, and how much daily budget is left."""
        messages: list[str] = []
        try:
            self.api.call(CallKind.read, self.api.contacts_basic.get_page, limit=1)
            messages.append("token accepted; contacts readable")
            count = len(self.properties.all())
            messages.append(f"contact properties readable ({count})")
            for kind in self.settings.engagements:
                next(ChangeReader(self.api, kind, ["hs_timestamp"]).pages(None), None)
            if self.settings.engagements:
                messages.append(f"engagements readable: {', '.join(self.settings.engagements)}")
            messages += self._note_property_messages()
            self.api.limits.budget.check()
        except (AuthenticationError, BudgetExhaustedError) as exc:
            return CheckResult(False, (*messages, str(exc)))
        except (ConnectorError, RetryableError) as exc:
            return CheckResult(False, (*messages, f"HubSpot at {self.settings.base_url}: {exc}"))
        messages.append(self._budget_message())
        messages.append("write scope (crm.objects.contacts.write) is only checked by writing")
        return CheckResult(True, tuple(messages))

    def _note_property_messages(self) -> list[str]:
        name = self.settings.note_ref_property
        try:
            self.api.call(CallKind.read, self.api.properties_core.get_by_name, "notes", name)
        except HubSpotError:
            return [
                f"note: notes have no property {name}, so significant activities (the "
                f"contract's timeline) cannot be written as notes; create it as a single-line "
                "text note property"
            ]
        return []

    def _budget_message(self) -> str:
        budget = self.api.limits.budget
        if budget.used is None or budget.allowance is None:
            return "HubSpot sent no daily limit headers (OAuth tokens do not get them)"
        return (
            f"daily calls: {budget.used} of {budget.allowance} used; runs stop at "
            f"{budget.share:.0%} ({int(budget.share * budget.allowance)})"
        )

    def describe_fields(self) -> list[FieldInfo]:
        """Every contact property, with enumeration options as the picklist."""
        with _given_up("reading HubSpot's contact properties"):
            return self.properties.describe()

    def validate_mapping(self, mapping: FieldMapping) -> list[str]:
        """Mapped contact properties the portal lacks (with the closest name) or will not
        let funnelsync write; see :mod:`funnelsync.plugins.hubspot.mapping_check`."""
        with _given_up("reading HubSpot's contact properties"):
            return mapping_problems(self.properties, mapping)

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Contacts changed since ``cursor`` (all when ``None``), 200 per batch."""
        with _given_up("reading HubSpot contacts"):
            position = decode_leads(cursor)
            reader = ChangeReader(self.api, "contacts", self._lead_properties())
            datetimes = self.properties.of_type("datetime")
            for page in reader.pages(position):
                records = [_contact(item, datetimes) for item in page.records]
                cursor_after = encode_leads(page.position) if page.position else None
                yield ReadBatch(records, cursor=cursor_after)

    def _lead_properties(self) -> list[str]:
        mapped = [field.field for field in DEFAULT_MAPPING.active_lead_fields().values()]
        grouped = [
            name
            for name, item in self.properties.all().items()
            if item.get("groupName") == self.settings.property_group
        ]
        return list(dict.fromkeys([*mapped, *grouped, *self.settings.extra_properties]))

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Engagements and contact activity properties changed since ``cursor``."""
        reader = ActivityReader(
            self.api,
            self.settings.engagements,
            self.settings.contact_activities,
            self.settings.note_ref_property,
        )
        with _given_up("reading HubSpot activities"):
            yield from reader.batches(cursor)

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Upsert ``writes`` by email, at most 100 per call.

        A write marked ``detour`` may move ``lifecyclestage`` backward (an intended
        detour: cleared, then set); for any other write a backward stage is rejected.
        See :mod:`funnelsync.plugins.hubspot.writing`.
        """
        return self.writer.write(writes, frozenset(w.key for w in writes if w.detour))

    def write_activities(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """A note per write on its contact, 100 per call (see
        :mod:`funnelsync.plugins.hubspot.notes`)."""
        return NoteWriter(self.api, self.settings.note_ref_property).write(writes)

    def find_activities(self, refs: Sequence[str]) -> dict[str, str]:
        """Notes holding these references in ``note_ref_property`` (a search, then their
        contacts): ref → ``notes:<note id>:<contact id>``."""
        with _given_up("looking up funnelsync's notes in HubSpot"):
            return NoteWriter(self.api, self.settings.note_ref_property).find(refs)

    def create_fields(self, fields: Sequence[FieldInfo]) -> list[str]:
        """Create the contact properties the portal lacks, in the ``property_group`` group.

        ``FieldInfo.type`` picks the HubSpot type: ``number``, ``datetime``, ``date``,
        ``bool``, ``enumeration`` (options from ``picklist``); anything else is text.
        """
        with _given_up("creating HubSpot contact properties"):
            return self.properties.create(fields, self.settings.property_group)

    def close(self) -> None:
        """Drop pooled connections."""
        self.api.close()


@contextmanager
def _given_up(doing: str) -> Iterator[None]:
    """Turn a passing failure that outlasted the retries into a :class:`ConnectorError`."""
    try:
        yield
    except RetryableError as exc:
        raise ConnectorError(f"{doing} failed after retries: {exc}") from None


def _contact(item: dict[str, Any], datetimes: frozenset[str]) -> SystemRecord:
    """A contact as a record; datetimes as ISO 8601 with offset (how timestamps are written)."""
    values = dict(item.get("properties") or {})
    for name in datetimes & values.keys():
        ms = to_ms(values[name])
        if ms is not None:
            values[name] = from_ms(ms).isoformat()
    contact_id = str(item["id"])
    return SystemRecord(contact_id, values, f"hubspot contact {contact_id}")
