"""The HubSpot emulator as the connector's declared :class:`~funnelsync.emulator.Emulator`.

:class:`HubSpotDemoEmulator` wraps the portal emulator (:mod:`.server`)
so that the demo (and any tool that starts emulators through the plugin manager) can run
an in-memory portal, point a ``hubspot`` connection at it and fill it with canonical
leads and activities, held the way a portal holds them:

- a lead is a contact with HubSpot's standard properties (``numemployees`` as HubSpot's
  range, the lead status and stage as HubSpot's options, the source as an original-source
  code), created at ``created_at`` and last modified at ``updated_at``;
- calls, meetings and sales emails are engagements associated with the contact;
- of the marketing events, the CRM API keeps only the latest form submission (demo
  requests and content downloads are form submissions too, named after their asset) and
  the latest marketing email click and open: those become the contact's
  ``recent_conversion_*`` and ``hs_email_last_*`` properties;
- other activity types (page views, webinar attendance…) live outside the CRM objects
  the connector reads, and are left out.

- a lead's stage dates (the funnel history a funnelsync that ran all along would have
  written) go to datetime properties ``funnelsync_<stage>_date`` in the ``funnelsync``
  group, created for the stages seen; :meth:`HubSpotDemoEmulator.connection_mapping`
  maps them.

Notes have the ``funnelsync_ref`` property an admin creates for funnelsync's notes of
significant activities (see ``docs/connectors/hubspot.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from funnelsync.emulator import Emulator
from funnelsync.models import Activity, Lead
from funnelsync.plugins.hubspot.mapping import LEAD_STATUS_VALUES, LIFECYCLE_VALUES
from funnelsync.plugins.hubspot.settings import HubSpotSettings

if TYPE_CHECKING:
    from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator

TOKEN_ENV = "FUNNELSYNC_DEMO_HUBSPOT_TOKEN"  # noqa: S105 - the name of a variable
"""The environment variable the emulated portal's connection reads its token from."""

_ENGAGEMENTS: dict[str, tuple[str, dict[str, str]]] = {
    # canonical type: (engagement object, fixed properties)
    "call": ("calls", {"hs_call_status": "COMPLETED"}),
    "meeting": ("meetings", {"hs_meeting_outcome": "COMPLETED"}),
    "meeting_no_show": ("meetings", {"hs_meeting_outcome": "NO_SHOW"}),
    "meeting_canceled": ("meetings", {"hs_meeting_outcome": "CANCELED"}),
    "sales_email": ("emails", {"hs_email_direction": "EMAIL"}),
    "email_reply": ("emails", {"hs_email_direction": "INCOMING_EMAIL"}),
    "note": ("notes", {}),
}
_TITLE = {"calls": "hs_call_title", "meetings": "hs_meeting_title", "emails": "hs_email_subject"}
_FORM_SUBMISSIONS = frozenset({"form_fill", "demo_request", "content_download"})
_EMAIL_EVENTS = {"email_click": "hs_email_last_click_date", "email_open": "hs_email_last_open_date"}
_EVENT_TYPES = _FORM_SUBMISSIONS | _EMAIL_EVENTS.keys()
_SOURCES = {
    "organic search": "ORGANIC_SEARCH",
    "paid search": "PAID_SEARCH",
    "email marketing": "EMAIL_MARKETING",
    "organic social": "SOCIAL_MEDIA",
    "social media": "SOCIAL_MEDIA",
    "referral": "REFERRALS",
    "referrals": "REFERRALS",
    "direct traffic": "DIRECT_TRAFFIC",
    "event": "OFFLINE",
    "offline sources": "OFFLINE",
    "paid social": "PAID_SOCIAL",
}
"""Source names → HubSpot's original-source codes; anything else is ``OTHER_CAMPAIGNS``."""
_EMPLOYEE_RANGES = ((5, "1-5"), (25, "5-25"), (50, "25-50"), (100, "50-100"), (500, "100-500"))


def employee_range(size: int) -> str:
    """HubSpot's ``numemployees`` option for a head count."""
    for most, label in _EMPLOYEE_RANGES:
        if size <= most:
            return label
    return "500-1000" if size <= 1000 else "1000+"


def contact_properties(lead: Lead) -> dict[str, str]:
    """The contact a portal holds for ``lead`` (before any marketing event)."""
    values: dict[str, Any] = {
        "email": lead.email,
        "firstname": lead.first_name,
        "lastname": lead.last_name,
        "jobtitle": lead.title,
        "company": lead.company,
        "industry": lead.industry,
        "country": lead.country,
        "phone": lead.phone,
        "createdate": lead.created_at.isoformat() if lead.created_at else None,
        "numemployees": employee_range(lead.company_size) if lead.company_size else None,
        "hs_analytics_source": (
            _SOURCES.get(lead.source.lower(), "OTHER_CAMPAIGNS") if lead.source else None
        ),
        "hs_lead_status": LEAD_STATUS_VALUES.get(lead.lead_status or "", lead.lead_status),
        "lifecyclestage": LIFECYCLE_VALUES.get(lead.stage or "", lead.stage),
    }
    return {name: str(value) for name, value in values.items() if value is not None}


STAGE_DATE_PROPERTY = "funnelsync_{stage}_date"
"""The contact property holding the date a lead entered ``stage`` (as the preset names
``funnelsync_mql_date``)."""


def marketing_events(activities: Sequence[Activity]) -> dict[str, str]:
    """Contact properties for the latest form submission and marketing email click/open."""
    values: dict[str, str] = {}
    latest_email = None
    for activity in sorted(activities, key=lambda a: a.occurred_at):
        when = activity.occurred_at.isoformat()
        if activity.type in _FORM_SUBMISSIONS:
            values["recent_conversion_date"] = when
            values["recent_conversion_event_name"] = activity.asset or activity.type
        elif activity.type in _EMAIL_EVENTS:
            values[_EMAIL_EVENTS[activity.type]] = when
            latest_email = activity.campaign or latest_email
    if latest_email:
        values["hs_email_last_email_name"] = latest_email
    return values


class HubSpotDemoEmulator(Emulator):
    """An in-memory HubSpot portal on ``127.0.0.1`` that a ``hubspot`` connection can use."""

    def __init__(self) -> None:
        # The server is imported on use: declaring this class on the connector must not
        # cost every sync (CSV-only ones too) the emulator's import.
        from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator

        self.portal: HubSpotEmulator = HubSpotEmulator()
        """The wrapped emulator, for inspection (``calls``, ``contact_by_email``…)."""
        self.portal.add_property(
            "notes",
            {
                "name": HubSpotSettings.model_fields["note_ref_property"].default,
                "label": "funnelsync reference",
                "type": "string",
                "fieldType": "text",
                "groupName": "noteinformation",
            },
        )
        self._stages: set[str] = set()

    def start(self) -> None:
        """Serve the portal on a free port."""
        self.portal.start()

    def stop(self) -> None:
        """Stop serving; the portal's data is gone with the process."""
        self.portal.stop()

    def connection_settings(self) -> dict[str, Any]:
        """``hubspot`` settings reaching this portal; its search index has no lag to wait out."""
        return {
            "access_token_env": TOKEN_ENV,
            "base_url": self.portal.base_url,
            "search_settle_s": 0,
        }

    def environment(self) -> Mapping[str, str]:
        """The portal's throwaway private-app token, under :data:`TOKEN_ENV`."""
        from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN

        return {TOKEN_ENV: DEFAULT_TOKEN}

    def seed(self, leads: Sequence[Lead], activities: Sequence[Activity]) -> None:
        """Contacts for ``leads``, with their activities as engagements and contact events.

        Activities of people who are not among ``leads``, and of types the CRM API does
        not hold, are left out (see the module's description).
        """
        by_email: dict[str, list[Activity]] = defaultdict(list)
        for activity in activities:
            by_email[activity.person_key].append(activity)
        self._add_stage_date_properties({stage for lead in leads for stage in lead.stage_dates})
        for lead in leads:
            done = by_email.get(lead.email or "", [])
            events = {**marketing_events(done), **_stage_dates(lead)}
            stamps = [lead.updated_at, *(a.occurred_at for a in done if a.type in _EVENT_TYPES)]
            modified = max((stamp for stamp in stamps if stamp is not None), default=None)
            (contact,) = self.portal.add_contacts(
                [{**contact_properties(lead), **events}], modified_at=modified
            )
            for activity in done:
                self._add_engagement(contact, activity)

    def connection_mapping(self) -> dict[str, Any]:
        """``stage_dates.<stage>`` → its ``funnelsync_<stage>_date`` property, for each
        stage :meth:`seed` stored a date of."""
        return {
            f"stage_dates.{stage}": STAGE_DATE_PROPERTY.format(stage=stage)
            for stage in sorted(self._stages)
        }

    def _add_stage_date_properties(self, stages: set[str]) -> None:
        for stage in sorted(stages - self._stages):
            self.portal.add_property(
                "contacts",
                {
                    "name": STAGE_DATE_PROPERTY.format(stage=stage),
                    "label": f"Entered {stage}",
                    "type": "datetime",
                    "fieldType": "date",
                    "groupName": "funnelsync",
                },
            )
        self._stages |= stages

    def _add_engagement(self, contact: str, activity: Activity) -> None:
        engagement = _ENGAGEMENTS.get(activity.type)
        if engagement is None:
            return
        kind, properties = engagement
        title = _TITLE.get(kind)
        if title and activity.asset:
            properties = {**properties, title: activity.asset}
        self.portal.add_engagement(
            kind, [contact], activity.occurred_at, properties, modified_at=activity.occurred_at
        )


def _stage_dates(lead: Lead) -> dict[str, str]:
    return {
        STAGE_DATE_PROPERTY.format(stage=stage): moment.isoformat()
        for stage, moment in lead.stage_dates.items()
    }
