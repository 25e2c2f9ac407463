"""Property definitions and value checks, as HubSpot's properties API describes them.

Every stored value is a string, as the CRM API returns it. Writes are checked against the
definition (unknown property, read-only value, bad number or date, option not in the
enumeration, text over :data:`TEXT_LIMIT` characters) and normalised: datetimes to
``2024-01-17T19:55:04.281Z``, dates to ``2024-01-17``, booleans to ``true``/``false``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from funnelsync.plugins.hubspot.emulator.errors import PropertyProblem, validation_error

TYPES_AND_FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"text", "textarea", "phonenumber", "html", "file"}),
    "number": frozenset({"number", "calculation_equation"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "enumeration": frozenset({"select", "radio", "checkbox", "booleancheckbox"}),
    "bool": frozenset({"booleancheckbox"}),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TEXT_LIMIT = 65_536
"""The most characters a text property takes through the CRM (HubSpot's knowledge base,
"Property field types": single- and multi-line text). HubSpot documents the limit, not
the error: ``INVALID_LONG_STRING`` and its wording are the emulator's own."""
_CREATED = "2019-08-06T02:43:14.491Z"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class PropertyDef:
    """One property of an object type."""

    name: str
    type: str = "string"
    field_type: str = "text"
    group: str = "contactinformation"
    label: str = ""
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    read_only: bool = False
    external_options: bool = False
    unique: bool = False
    created_at: str = _CREATED

    def as_json(self) -> dict[str, Any]:
        """The property as ``GET /crm/v3/properties/{objectType}`` returns it."""
        return {
            "name": self.name,
            "label": self.label or self.name.replace("_", " ").capitalize(),
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group,
            "options": self.options,
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "formField": not self.read_only,
            "modificationMetadata": {
                "archivable": not self.read_only,
                "readOnlyDefinition": True,
                "readOnlyValue": self.read_only,
            },
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "archived": False,
        }

    def option_order(self, value: str) -> int | None:
        """The display order of an enumeration option (``None`` if it is not one)."""
        for option in self.options:
            if option["value"] == value:
                return int(option.get("displayOrder", 0))
        return None

    def normalise(self, raw: str) -> str | PropertyProblem:
        """``raw`` as stored, or the problem with it; ``""`` clears the value."""
        text = raw.strip()
        if not text:
            return ""
        match self.type:
            case "number":
                return text if _is_number(text) else self._problem("INVALID_NUMBER", "number")
            case "bool":
                lowered = text.lower()
                if lowered in ("true", "false"):
                    return lowered
                return self._problem("INVALID_BOOLEAN", "boolean")
            case "datetime":
                moment = parse_moment(text)
                if moment is None:
                    return self._problem("INVALID_DATETIME", "datetime")
                return format_datetime(moment)
            case "date":
                moment = parse_moment(text)
                if moment is None or moment.time() != datetime.min.time():
                    return self._problem("INVALID_DATE", "date (midnight UTC)")
                return moment.date().isoformat()
            case "enumeration":
                return self._check_options(text)
            case "string" if len(text) > TEXT_LIMIT:
                return PropertyProblem(
                    self.name,
                    "INVALID_LONG_STRING",
                    f"{self.name}: {len(text)} characters, more than the {TEXT_LIMIT} a text "
                    "property holds",
                )
        return text

    def _problem(self, code: str, kind: str) -> PropertyProblem:
        return PropertyProblem(self.name, code, f"value is not a valid {kind} for {self.name}")

    def _check_options(self, text: str) -> str | PropertyProblem:
        if self.external_options:
            return text
        allowed = [str(option["value"]) for option in self.options]
        chosen = text.split(";") if self.field_type == "checkbox" else [text]
        for value in chosen:
            if value not in allowed:
                return PropertyProblem(
                    self.name,
                    "INVALID_OPTION",
                    f"{value} was not one of the allowed options: [{', '.join(allowed)}]",
                )
        return text

    def numeric(self, stored: str) -> float | None:
        """A stored number, date or datetime as a number (epoch ms for dates)."""
        if self.type == "number":
            return float(stored)
        if self.type in ("date", "datetime"):
            moment = parse_moment(stored)
            return float(epoch_ms(moment)) if moment else None
        return None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 timestamp or date, or epoch milliseconds, as an aware datetime."""
    text = text.strip()
    if text.isdigit():
        return _EPOCH + timedelta(milliseconds=int(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment``, exactly (no float rounding)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def format_datetime(moment: datetime) -> str:
    """HubSpot's datetime form: UTC with milliseconds and a ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _options(*values: str) -> list[dict[str, Any]]:
    return [
        {"label": value.replace("_", " ").title(), "value": value, "displayOrder": order,
         "hidden": False}
        for order, value in enumerate(values)
    ]  # fmt: skip


LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LEAD_STATUSES = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)


def _common(group: str) -> list[PropertyDef]:
    created = "createdate" if group == "contactinformation" else "hs_createdate"
    modified = "lastmodifieddate" if group == "contactinformation" else "hs_lastmodifieddate"
    return [
        PropertyDef("hs_object_id", "number", "number", group, "Record ID", read_only=True),
        PropertyDef(created, "datetime", "date", group, "Create date", read_only=True),
        PropertyDef(modified, "datetime", "date", group, "Last modified date", read_only=True),
        PropertyDef("hubspot_owner_id", "enumeration", "select", group, external_options=True),
    ]


def _contact_properties() -> list[PropertyDef]:
    info = "contactinformation"
    return [
        *_common(info),
        PropertyDef("email", group=info, label="Email", unique=True),
        PropertyDef("hs_additional_emails", "enumeration", "checkbox", info, read_only=True,
                    external_options=True),
        *(PropertyDef(name, group=info) for name in
          ("firstname", "lastname", "jobtitle", "company", "industry", "country")),
        PropertyDef("phone", "string", "phonenumber", info, "Phone number"),
        PropertyDef("numemployees", "enumeration", "select", info, "Number of employees",
                    options=_options("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000",
                                     "1000+")),
        PropertyDef("lifecyclestage", "enumeration", "radio", info, "Lifecycle stage",
                    options=_options(*LIFECYCLE_STAGES)),
        PropertyDef("hs_lead_status", "enumeration", "select", "sales_properties", "Lead status",
                    options=_options(*LEAD_STATUSES)),
        PropertyDef("hs_analytics_source", "enumeration", "select", "analyticsinformation",
                    "Original source", read_only=True,
                    options=_options("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING",
                                     "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
                                     "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")),
        PropertyDef("hs_email_last_open_date", "datetime", "date", "emailinformation",
                    read_only=True),
        PropertyDef("hs_email_last_click_date", "datetime", "date", "emailinformation",
                    read_only=True),
        PropertyDef("hs_email_last_email_name", group="emailinformation", read_only=True),
        PropertyDef("recent_conversion_date", "datetime", "date", "conversioninformation",
                    read_only=True),
        PropertyDef("recent_conversion_event_name", group="conversioninformation",
                    read_only=True),
    ]  # fmt: skip


def _engagement_properties(kind: str) -> list[PropertyDef]:
    group = f"{kind[:-1]}information"
    specific: dict[str, list[PropertyDef]] = {
        "calls": [
            PropertyDef("hs_call_title", group=group),
            PropertyDef("hs_call_body", "string", "textarea", group),
            PropertyDef("hs_call_direction", "enumeration", "select", group,
                        options=_options("INBOUND", "OUTBOUND")),
            PropertyDef("hs_call_status", "enumeration", "select", group,
                        options=_options("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED",
                                         "CONNECTING", "FAILED", "IN_PROGRESS", "MISSED",
                                         "NO_ANSWER", "QUEUED", "RINGING")),
            PropertyDef("hs_call_duration", "number", "number", group),
        ],
        "meetings": [
            PropertyDef("hs_meeting_title", group=group),
            PropertyDef("hs_meeting_body", "string", "textarea", group),
            PropertyDef("hs_meeting_outcome", "enumeration", "select", group,
                        options=_options("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW",
                                         "CANCELED")),
            PropertyDef("hs_meeting_start_time", "datetime", "date", group),
            PropertyDef("hs_meeting_end_time", "datetime", "date", group),
        ],
        "emails": [
            PropertyDef("hs_email_subject", group=group),
            PropertyDef("hs_email_text", "string", "textarea", group),
            PropertyDef("hs_email_direction", "enumeration", "select", group,
                        options=_options("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
            PropertyDef("hs_email_status", "enumeration", "select", group,
                        options=_options("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
        ],
        "notes": [PropertyDef("hs_note_body", "string", "textarea", group)],
    }  # fmt: skip
    return [
        *_common(group),
        PropertyDef("hs_timestamp", "datetime", "date", group, "Activity date"),
        *specific[kind],
    ]


ENGAGEMENT_TYPES = ("calls", "meetings", "emails", "notes")


def default_properties() -> dict[str, dict[str, PropertyDef]]:
    """Object type → property name → definition, for a new portal."""
    types = {"contacts": _contact_properties()}
    types.update({kind: _engagement_properties(kind) for kind in ENGAGEMENT_TYPES})
    return {kind: {prop.name: prop for prop in props} for kind, props in types.items()}


def default_groups() -> dict[str, dict[str, str]]:
    """Object type → group name → label."""
    contact_groups = {
        "contactinformation": "Contact information",
        "sales_properties": "Sales properties",
        "analyticsinformation": "Web analytics history",
        "emailinformation": "Email information",
        "conversioninformation": "Conversion information",
    }
    groups = {"contacts": contact_groups}
    for kind in ENGAGEMENT_TYPES:
        groups[kind] = {f"{kind[:-1]}information": f"{kind[:-1].title()} information"}
    return groups


def property_from_create(body: Any, groups: dict[str, str]) -> PropertyDef:
    """A new custom property from a ``PropertyCreate`` body; 400 if it is not valid."""
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object.")
    missing = [
        key for key in ("name", "label", "type", "fieldType", "groupName") if key not in body
    ]
    if missing:
        raise validation_error(f"Missing required fields: {', '.join(missing)}")
    name, kind, field_type = str(body["name"]), str(body["type"]), str(body["fieldType"])
    if not _NAME.match(name):
        raise validation_error(f"Property name {name!r} must be lower case letters, digits, _.")
    if field_type not in TYPES_AND_FIELD_TYPES.get(kind, frozenset()):
        raise validation_error(f"fieldType {field_type!r} is not valid for a {kind!r} property.")
    if body["groupName"] not in groups:
        raise validation_error(f"Property group {body['groupName']} does not exist.")
    options = body.get("options") or []
    if kind == "enumeration" and not options:
        raise validation_error("An enumeration property needs options.")
    return PropertyDef(
        name,
        kind,
        field_type,
        str(body["groupName"]),
        str(body["label"]),
        str(body.get("description", "")),
        options=[
            {
                "label": str(option.get("label", "")),
                "value": str(option.get("value", "")),
                "displayOrder": int(option.get("displayOrder", order)),
                "hidden": bool(option.get("hidden", False)),
            }
            for order, option in enumerate(options)
        ],
        unique=bool(body.get("hasUniqueValue", False)),
        created_at=format_datetime(datetime.now(UTC)),
    )
