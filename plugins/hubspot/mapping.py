"""The default mapping: canonical lead and activity fields ↔ HubSpot contact properties.

The computed fields (scores, explanation, talking points) go to custom properties named
``funnelsync_…`` (``funnelsync check --fix`` creates them); the stage goes to
``lifecyclestage`` through a value map the funnel contract's per-connection values
extend. Stage dates have no default: their names depend on the contract's stages, so a
connection maps the ones it wants (``stage_dates.mql: funnelsync_mql_date``).
``company_size`` is not mapped: the contact property ``numemployees`` holds ranges
(``25-50``), not numbers.
"""

from __future__ import annotations

from funnelsync.mapping import Direction, FieldMap, Mapping

LIFECYCLE_VALUES = {
    "subscriber": "subscriber",
    "lead": "lead",
    "mql": "marketingqualifiedlead",
    "sql": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "other": "other",
}
"""Canonical stage → HubSpot's default ``lifecyclestage`` option."""

LEAD_STATUS_VALUES = {
    "Open - Not Contacted": "NEW",
    "Working - Contacted": "IN_PROGRESS",
    "Closed - Converted": "OPEN_DEAL",
    "Closed - Not Converted": "UNQUALIFIED",
}
"""Salesforce's default lead statuses → HubSpot's default ``hs_lead_status`` options."""

ACTIVITY_TYPES = {
    "call": "CALL",
    "meeting": "MEETING",
    "meeting_no_show": "MEETING_NO_SHOW",
    "meeting_canceled": "MEETING_CANCELED",
    "sales_email": "EMAIL",
    "email_reply": "INCOMING_EMAIL",
    "note": "NOTE",
    "form_fill": "FORM_SUBMISSION",
    "email_click": "MARKETING_EMAIL_CLICK",
    "email_open": "MARKETING_EMAIL_OPEN",
}
"""Canonical activity type → the type token the connector gives each activity record."""

TEXT_LIMIT = 65_536
"""The most characters a HubSpot text property takes through the CRM API (HubSpot's
knowledge base, "Property field types"); longer talking points are cut to it."""

_READ = Direction.read

DEFAULT_MAPPING = Mapping(
    lead_fields={
        "email": FieldMap(field="email"),
        "first_name": FieldMap(field="firstname"),
        "last_name": FieldMap(field="lastname"),
        "title": FieldMap(field="jobtitle"),
        "company": FieldMap(field="company"),
        "industry": FieldMap(field="industry"),
        "country": FieldMap(field="country"),
        "phone": FieldMap(field="phone"),
        "source": FieldMap(field="hs_analytics_source", direction=_READ),
        "owner": FieldMap(field="hubspot_owner_id", direction=_READ),
        "lead_status": FieldMap(field="hs_lead_status", values=LEAD_STATUS_VALUES),
        "created_at": FieldMap(field="createdate", direction=_READ),
        "updated_at": FieldMap(field="lastmodifieddate", direction=_READ),
        "fit_score": FieldMap(field="funnelsync_fit_score"),
        "engagement_score": FieldMap(field="funnelsync_engagement_score"),
        "score": FieldMap(field="funnelsync_score"),
        "stage": FieldMap(field="lifecyclestage", values=LIFECYCLE_VALUES),
        "explanation": FieldMap(field="funnelsync_explanation"),
        "talking_points": FieldMap(field="funnelsync_talking_points", max_length=TEXT_LIMIT),
    },
    activity_fields={
        "email": FieldMap(field="contact_email", direction=_READ),
        "type": FieldMap(field="activity_type", direction=_READ, values=ACTIVITY_TYPES),
        "occurred_at": FieldMap(field="hs_timestamp", direction=_READ),
        "activity_id": FieldMap(field="activity_id", direction=_READ),
        "campaign": FieldMap(field="campaign", direction=_READ),
        "asset": FieldMap(field="title", direction=_READ),
    },
)
"""How HubSpot contacts and their activities map to canonical leads and activities."""
