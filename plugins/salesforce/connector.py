"""The ``salesforce`` connector: Leads and Contacts, their activities, and deletions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

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
    WriteResult,
)
from funnelsync.mapping import Mapping
from funnelsync.plugins.salesforce.budget import UsageLedger, ledger_path
from funnelsync.plugins.salesforce.emulator.demo import SalesforceDemoEmulator
from funnelsync.plugins.salesforce.mapping import DEFAULT_MAPPING, default_mapping
from funnelsync.plugins.salesforce.settings import PasswordAuth, SalesforceSettings

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.api import SalesforceApi
    from funnelsync.plugins.salesforce.describe import Describer

RETIRING_LOGIN_WARNING = (
    "warning: auth kind password logs in with the user's password and security token, "
    "which works only while the org allows it; Salesforce is retiring password-based "
    "logins for integrations (the OAuth username-password flow from 2027-02-20). Move to "
    "auth kind client_credentials (an External Client App) or jwt."
)


class SalesforceConnector(Connector):
    """Salesforce through its REST API (simple-salesforce).

    Reads Leads (and, if configured, Contacts) changed since a cursor, converted Leads as
    their Contact, completed Tasks/Events and campaign responses as activities, and
    deletions (:meth:`read_deletions`); writes through sObject Collections or Bulk API
    2.0, and significant activities as completed Tasks (:meth:`write_activities`). See
    ``docs/connectors/salesforce.md``.
    """

    name = "salesforce"
    settings_model = SalesforceSettings
    capabilities = Capabilities(
        read_leads=True,
        write_leads=True,
        read_activities=True,
        write_activities=True,
        deletes=True,
    )
    default_mapping = DEFAULT_MAPPING
    write_batch_size = None
    """All writes in one call: the connector picks Collections (200 a call) or Bulk API."""
    emulator = SalesforceDemoEmulator

    settings: SalesforceSettings

    @classmethod
    def mapping_for(cls, settings: ConnectorSettings) -> Mapping:
        """The default mapping with the custom fields named in ``settings.fields`` (score,
        stage, explanation, and each ``stage_dates`` entry as ``stage_dates.<stage>``)."""
        if not isinstance(settings, SalesforceSettings):
            return cls.default_mapping
        return default_mapping(settings.fields)

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        if not isinstance(settings, SalesforceSettings):
            raise TypeError(
                f"the salesforce connector needs SalesforceSettings, not {type(settings).__name__}"
            )
        super().__init__(settings, context)
        self.sleep: Callable[[float], None] = time.sleep
        """How to wait between retries (tests replace it)."""
        state_dir = context.state_dir
        ledger = UsageLedger(ledger_path(state_dir, context.connection) if state_dir else None)
        # simple-salesforce (and requests) load only when a connector is built.
        from funnelsync.plugins.salesforce.api import SalesforceApi
        from funnelsync.plugins.salesforce.describe import Describer

        self.api: SalesforceApi = SalesforceApi(
            settings, context.workspace_dir, self.calls, ledger, context.limits
        )
        self.describer: Describer = Describer(self.api)

    def check(self) -> CheckResult:
        """Log in, report the org's and funnelsync's API usage and whether the next sync
        would be held by the budget, and say which custom fields to create, if any."""
        from funnelsync.plugins.salesforce.describe import missing_fields

        try:
            client = self.api.client
            missing = missing_fields(self.describer, self.settings)
        except ConnectorError as exc:
            return CheckResult(False, (str(exc),))
        messages = [
            f"logged in to {self.api.instance_url} (API v{client.sf_version})",
            *self.api.budget.summary(),
        ]
        if isinstance(self.settings.auth, PasswordAuth):
            messages.append(RETIRING_LOGIN_WARNING)
        if not self._has_task_ref_field():
            ref_field = self.settings.tasks.ref_field
            messages.append(
                f"note: Task has no writable field {ref_field}, so significant activities "
                f"(the contract's timeline) cannot be written as Tasks; create it as "
                f"Text(40) on Activities (Setup > Object Manager > Activity > Fields)"
            )
        return CheckResult(not missing, (*messages, *missing))

    def _has_task_ref_field(self) -> bool:
        wanted = self.settings.tasks.ref_field.casefold()
        try:
            return wanted in {name.casefold() for name in self.describer.writable("Task")}
        except ConnectorError:
            return True  # the org's answer is already reported; nothing to add

    def validate_mapping(self, mapping: Mapping) -> list[str]:
        """Problems with ``mapping`` in this org: missing or read-only fields, and value-map
        values (such as the contract's stage values) that are not picklist values."""
        from funnelsync.plugins.salesforce.describe import mapping_problems

        return mapping_problems(self.describer, mapping)

    def describe_fields(self) -> list[FieldInfo]:
        """The Lead's fields, with types and active picklist values."""
        return self.describer.field_infos("Lead")

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Leads (and Contacts) changed since ``cursor``; one batch per query page."""
        from funnelsync.plugins.salesforce.reading import PeopleReader

        yield from PeopleReader(self.api, self.describer, self.settings).read(cursor)

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Completed Tasks, Events and campaign responses changed since ``cursor``; not
        the Tasks funnelsync wrote (a value in ``tasks.ref_field``)."""
        from funnelsync.plugins.salesforce.activities import read_activities

        ref_field = self.settings.tasks.ref_field
        own = ref_field if self.describer.find("Task", ref_field) else None
        yield from read_activities(self.api, cursor, own)

    def read_deletions(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Leads and Contacts deleted since ``cursor``, as tombstone records."""
        from funnelsync.plugins.salesforce.reading import read_deletions

        yield from read_deletions(self.api, cursor)

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Create or update leads (see :mod:`~funnelsync.plugins.salesforce.writing`)."""
        from funnelsync.plugins.salesforce.writing import LeadWriter

        return LeadWriter(self.api, self.describer, self.settings, self.sleep).write(writes)

    def write_activities(self, writes: Sequence[ActivityWrite]) -> list[WriteResult]:
        """A completed Task per write (see :mod:`~funnelsync.plugins.salesforce.timeline`)."""
        from funnelsync.plugins.salesforce.timeline import TaskWriter

        return TaskWriter(self.api, self.settings.tasks).write(writes)

    def find_activities(self, refs: Sequence[str]) -> dict[str, str]:
        """Tasks holding these references in ``tasks.ref_field``: ref → Task Id."""
        from funnelsync.plugins.salesforce.timeline import TaskWriter

        return TaskWriter(self.api, self.settings.tasks).find(refs)

    def create_defaults(self) -> dict[str, Any]:
        """The default value of each Lead picklist (funnelsync creates Leads only)."""
        return dict(self.describer.picklist_defaults("Lead"))

    def create_fields(self, fields: Sequence[FieldInfo]) -> list[str]:
        """Not possible here: Salesforce creates fields through the Metadata API only."""
        from funnelsync.plugins.salesforce.describe import setup_advice

        wanted = [(field.name, field.type) for field in fields]
        raise NotImplementedError(
            "funnelsync does not create Salesforce fields (that needs the Metadata API). "
            + setup_advice("Lead", wanted)
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self.api.close()
