"""The Salesforce emulator as the connector's declared :class:`~funnelsync.emulator.Emulator`.

:class:`SalesforceDemoEmulator` wraps
:class:`~funnelsync.plugins.salesforce.emulator.SalesforceEmulator`: an in-memory org
with an integration user and, on Lead and Contact, the custom fields funnelsync writes
(the default names of :class:`~funnelsync.plugins.salesforce.settings.FunnelFields`, and
the Task field of :class:`~funnelsync.plugins.salesforce.settings.TaskSettings`, as
an admin would create them after ``funnelsync check``), and an External Client App whose
client-credentials flow runs as that user. It is filled with canonical
leads and activities the way an org holds them:

- a lead is a Lead, created at ``created_at``; its ``lead_status`` is set at
  ``updated_at`` as its Status, which must be a value of the org's Lead Status picklist.
  A lead with the converted status (``Closed - Converted``) is converted, so it lives on
  as a Contact, as in Salesforce;
- calls and sales emails are completed Tasks (``TaskSubtype`` Call / Email), meetings are
  Events, webinar attendance and other campaign responses are responded CampaignMembers
  of a campaign named after the activity's campaign; each at the time it happened;
- other activity types (marketing's page views, clicks…) are not Salesforce records
  and are left out;
- a lead's stage dates (the funnel history a funnelsync that ran all along would have
  written) go to Date/Time fields ``Funnel_<Stage>_Date__c`` on Lead and Contact,
  created for the stages seen; :meth:`SalesforceDemoEmulator.connection_mapping` maps them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from funnelsync.emulator import Emulator
from funnelsync.models import Activity, Lead
from funnelsync.plugins.salesforce.mapping import STAGE_DATE_FORMAT
from funnelsync.plugins.salesforce.settings import FunnelFields, TaskSettings

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator import Org

USERNAME = "integration@funnelsync-demo.example"
PASSWORD = "demo-Passw0rd"  # noqa: S105 - a made-up password of an in-memory org
SECURITY_TOKEN = "DEMOtoken0123"  # noqa: S105 - likewise
CONSUMER_KEY = "3MVG9funnelsync.demo.app"
CONSUMER_SECRET = "demo-app-s3cret"  # noqa: S105 - likewise
SECRET_ENV = "FUNNELSYNC_DEMO_SALESFORCE_SECRET"  # noqa: S105 - the name of a variable
CONVERTED_STATUS = "Closed - Converted"
PLACEHOLDER = "[not provided]"
"""LastName and Company of a lead that has none (Salesforce requires both)."""

_FUNNEL_FIELD_TYPES = {
    # FunnelFields key: (field type, length), as docs/connectors/salesforce.md says to create them
    "score": ("double", 0),
    "fit_score": ("double", 0),
    "engagement_score": ("double", 0),
    "stage": ("string", 80),
    "explanation": ("textarea", 32768),
    "talking_points": ("string", 255),
}
_TASKS = {"call": {"TaskSubtype": "Call", "Type": "Call"}, "sales_email": {"TaskSubtype": "Email"}}
_CAMPAIGN_TYPES = {"webinar_attended": "Webinar", "campaign_response": "Other"}


def lead_fields(lead: Lead) -> dict[str, Any]:
    """The Lead an org holds for ``lead`` (without its status)."""
    values: dict[str, Any] = {
        "FirstName": lead.first_name,
        "LastName": lead.last_name or PLACEHOLDER,
        "Email": lead.email,
        "Title": lead.title,
        "Company": lead.company or PLACEHOLDER,
        "Industry": lead.industry,
        "NumberOfEmployees": lead.company_size,
        "Country": lead.country,
        "Phone": lead.phone,
        "LeadSource": lead.source,
    }
    return {name: value for name, value in values.items() if value is not None}


def stage_date_field(stage: str) -> str:
    """The Date/Time field holding when a lead entered ``stage``."""
    return f"Funnel_{stage.capitalize()}_Date__c"


class SalesforceDemoEmulator(Emulator):
    """An in-memory Salesforce org on ``127.0.0.1`` that a ``salesforce`` connection can use."""

    def __init__(self) -> None:
        # The server is imported on use: declaring this class on the connector must not
        # cost every sync (CSV-only ones too) the emulator's import (JWT, cryptography).
        from funnelsync.plugins.salesforce.emulator import SalesforceEmulator

        self.server = SalesforceEmulator()
        """The wrapped emulator; its ``org`` holds the data."""
        self.org: Org = self.server.org
        self.org.add_user(USERNAME, PASSWORD, SECURITY_TOKEN)
        self.org.add_connected_app(CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, run_as=USERNAME)
        names = FunnelFields().model_dump(exclude={"stage_dates"})
        for sobject in ("Lead", "Contact"):
            for key, name in names.items():
                kind, length = _FUNNEL_FIELD_TYPES[key]
                self.org.add_field(sobject, name, kind, length=length)
        self.org.add_field("Task", TaskSettings().ref_field, "string", length=40)
        self._stages: set[str] = set()
        self._campaigns: dict[tuple[str, str], str] = {}

    def start(self) -> None:
        """Serve the org on a free port."""
        self.server.start()

    def stop(self) -> None:
        """Stop serving; the org's data is gone with the process."""
        self.server.stop()

    def connection_settings(self) -> dict[str, Any]:
        """``salesforce`` settings reaching this org: the client-credentials login of an
        External Client App that runs as its integration user."""
        return {
            "auth": {
                "kind": "client_credentials",
                "consumer_key": CONSUMER_KEY,
                "consumer_secret_env": SECRET_ENV,
            },
            "domain": self.server.base_url,
            "bulk_poll_seconds": 0,
        }

    def environment(self) -> Mapping[str, str]:
        """The app's throwaway consumer secret."""
        return {SECRET_ENV: CONSUMER_SECRET}

    def seed(self, leads: Sequence[Lead], activities: Sequence[Activity]) -> None:
        """Leads (converted ones as Contacts) with their Tasks, Events and campaign responses.

        Each record is saved at the time it happened, by the org's clock, which then runs
        in real time again. Activities of people not among ``leads``, and of types that
        are not Salesforce records, are left out. A status the org's picklist lacks
        raises :class:`~funnelsync.plugins.salesforce.emulator.EmulatorError`.
        """
        by_email: dict[str, list[Activity]] = defaultdict(list)
        for activity in activities:
            by_email[activity.person_key].append(activity)
        for stage in sorted({s for lead in leads for s in lead.stage_dates} - self._stages):
            for sobject in ("Lead", "Contact"):
                self.org.add_field(sobject, stage_date_field(stage), "datetime")
            self._stages.add(stage)
        try:
            for lead in leads:
                self._add_lead(lead, by_email.get(lead.email or "", []))
        finally:
            _resume_clock(self.org)

    def _add_lead(self, lead: Lead, done: Sequence[Activity]) -> None:
        org = self.org
        created = lead.created_at or org.now()
        org.set_time(created)
        dates = {stage_date_field(stage): at for stage, at in lead.stage_dates.items()}
        lead_id = org.add_lead(**lead_fields(lead), **dates)
        for activity in sorted(done, key=lambda a: a.occurred_at):
            self._add_activity(lead_id, activity)
        if lead.lead_status is None:
            return
        org.set_time(max(lead.updated_at or created, created))
        if lead.lead_status == CONVERTED_STATUS:
            org.convert_lead(lead_id, CONVERTED_STATUS)
        else:
            org.update(lead_id, Status=lead.lead_status)

    def connection_mapping(self) -> dict[str, Any]:
        """``stage_dates.<stage>`` → its ``Funnel_<Stage>_Date__c`` field (in Salesforce's
        Date/Time format), for each stage :meth:`seed` stored a date of."""
        return {
            f"stage_dates.{stage}": {"field": stage_date_field(stage), "format": STAGE_DATE_FORMAT}
            for stage in sorted(self._stages)
        }

    def _add_activity(self, person: str, activity: Activity) -> None:
        org = self.org
        org.set_time(activity.occurred_at)
        subject = activity.asset or activity.type.replace("_", " ").capitalize()
        if activity.type in _TASKS:
            org.add_task(person, Subject=subject, **_TASKS[activity.type])
        elif activity.type == "meeting":
            org.add_event(person, Subject=subject, StartDateTime=activity.occurred_at)
        elif activity.type in _CAMPAIGN_TYPES:
            campaign = self._campaign(activity.campaign or subject, activity.type)
            org.add_campaign_member(campaign, person, Status="Responded")

    def _campaign(self, name: str, activity_type: str) -> str:
        kind = _CAMPAIGN_TYPES[activity_type]
        key = (name, kind)
        if key not in self._campaigns:
            self._campaigns[key] = self.org.add_campaign(name, Type=kind)
        return self._campaigns[key]


def _resume_clock(org: Org) -> None:
    """Let the org's clock run in real time again after seeding froze it.

    ``Org`` can freeze its clock but has no public way to unfreeze it yet.
    """
    with org.lock:
        org._frozen_at = None
