"""The emulated org's objects and fields: what ``describe`` returns and DML checks.

Only the standard objects funnelsync uses are modelled, each with the fields that matter
for it (names, types and defaults as in a new org). Custom fields are added at run time
with :meth:`SObjectSchema.add_field`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORG_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"
"""The org's one user: owner and modifier of every record."""
USER_NAME = ("Integration", "User")
"""That user's first and last name (``Owner.Name`` is ``Integration User``)."""


class UnknownObjectError(LookupError):
    """The org has no object of that name."""


@dataclass(slots=True)
class FieldDef:
    """One field of an object."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False
    """Must be given on create and may not be blanked (``nillable`` false in describe)."""
    unique: bool = False
    external_id: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: str | None = None
    reference_to: tuple[str, ...] = ()
    scale: int = 0

    @property
    def custom(self) -> bool:
        """Whether the field is a custom one (``__c``)."""
        return self.name.endswith("__c")

    def describe(self) -> dict[str, Any]:
        """The field as Salesforce's sObject describe lists it (the keys clients read)."""
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "length": self.length,
            "scale": self.scale,
            "custom": self.custom,
            "createable": self.createable,
            "updateable": self.updateable,
            "nillable": self.nillable and not self.required,
            "unique": self.unique,
            "externalId": self.external_id,
            "calculated": not (self.createable or self.updateable) and self.type != "id",
            "restrictedPicklist": self.restricted,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.name[:-2] if self.type == "reference" else None,
            "defaultValue": None,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
        }


@dataclass(slots=True)
class SObjectSchema:
    """One object type: its name, id prefix and fields."""

    name: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    def add_field(self, definition: FieldDef) -> None:
        """Add (or replace) a field."""
        self.fields[definition.name] = definition

    def find(self, name: str) -> FieldDef | None:
        """The field called ``name``, ignoring case as Salesforce does."""
        exact = self.fields.get(name)
        if exact is not None:
            return exact
        folded = name.casefold()
        return next((f for f in self.fields.values() if f.name.casefold() == folded), None)

    def describe(self, version: str) -> dict[str, Any]:
        """The object's describe result."""
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.name,
            "custom": False,
            "keyPrefix": self.key_prefix,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "fields": [definition.describe() for definition in self.fields.values()],
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }


def _system_fields() -> list[FieldDef]:
    return [
        FieldDef("Id", "id", "Record ID", 18, createable=False, updateable=False, nillable=False),
        FieldDef(
            "IsDeleted", "boolean", "Deleted", createable=False, updateable=False, nillable=False
        ),
        FieldDef(
            "CreatedDate",
            "datetime",
            "Created Date",
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldDef(
            "CreatedById",
            "reference",
            "Created By ID",
            18,
            reference_to=("User",),
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldDef(
            "LastModifiedDate",
            "datetime",
            "Last Modified Date",
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldDef(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            18,
            reference_to=("User",),
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldDef(
            "SystemModstamp",
            "datetime",
            "System Modstamp",
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldDef("OwnerId", "reference", "Owner ID", 18, reference_to=("Group", "User")),
    ]


def _text(name: str, length: int = 80, **options: Any) -> FieldDef:
    return FieldDef(name, "string", length=length, **options)


def _picklist(name: str, values: tuple[str, ...], **options: Any) -> FieldDef:
    return FieldDef(name, "picklist", length=255, picklist=values, **options)


def _reference(name: str, *targets: str, **options: Any) -> FieldDef:
    return FieldDef(name, "reference", length=18, reference_to=targets, **options)


LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
INDUSTRIES = (
    "Agriculture",
    "Banking",
    "Education",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Software",
    "Technology",
    "Other",
)


def _person_fields() -> list[FieldDef]:
    return [
        _text("LastName", required=True),
        _text("FirstName", 40),
        _text("Name", 121, createable=False, updateable=False),
        _text("Title", 128),
        FieldDef("Email", "email", length=80),
        FieldDef("Phone", "phone", length=40),
        FieldDef("MobilePhone", "phone", length=40),
        _picklist("LeadSource", LEAD_SOURCES),
        FieldDef("Description", "textarea", length=32000),
        FieldDef("HasOptedOutOfEmail", "boolean", nillable=False),
        FieldDef("DoNotCall", "boolean", nillable=False),
        _reference("MasterRecordId", createable=False, updateable=False),
    ]


SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")
GEOCODE_ACCURACIES = (
    "Address",
    "NearAddress",
    "Block",
    "Street",
    "ExtendedZip",
    "Zip",
    "Neighborhood",
    "City",
    "County",
    "State",
    "Unknown",
)
CLEAN_STATUSES = (
    "Matched",
    "Different",
    "Acknowledged",
    "NotFound",
    "Inactive",
    "Pending",
    "SelectMatch",
    "Skipped",
)


def _read_only(name: str, type: str, label: str = "", **options: Any) -> FieldDef:
    return FieldDef(name, type, label, createable=False, updateable=False, **options)


def _lead() -> SObjectSchema:
    """The standard Lead fields of a Developer Edition org, in describe's order.

    Where each comes from (see docs/connectors/salesforce.md, "The emulator"): names, types,
    lengths and labels from a recorded describe of a Developer Edition org's Lead and a
    recorded Avro schema of a real org's Lead (both in public repositories; MobilePhone,
    Fax, CleanStatus and DandbCompanyId from the latter); HasOptedOutOfEmail, DoNotCall,
    HasOptedOutOfFax, Fax and JigsawContactId also in Salesforce's Field Reference for Lead
    (the page crm-api-facts A.10 cites); CleanStatus's values and restriction, and
    CompanyDunsNumber's properties, from Salesforce's Lead object reference; CleanStatus
    ``Pending`` on a new lead from the recorded Avro record. Which fields are read-only
    (``_read_only``) beyond the system ones is the object reference as we read it.
    ``LastTransferDate`` (a read-only date, the day the lead's owner last changed) is from
    the object reference; its place in describe's order is our guess.
    """
    system = {definition.name: definition for definition in _system_fields()}
    schema = SObjectSchema("Lead", "00Q")
    for definition in [
        system["Id"],
        system["IsDeleted"],
        _reference("MasterRecordId", "Lead", createable=False, updateable=False),
        _text("LastName", required=True),
        _text("FirstName", 40),
        FieldDef("Salutation", "picklist", length=40, picklist=SALUTATIONS),
        _read_only("Name", "string", "Full Name", length=121),
        _text("Title", 128),
        _text("Company", 255, required=True),
        FieldDef("Street", "textarea", length=255),
        _text("City", 40),
        _text("State", 80, label="State/Province"),
        _text("PostalCode", 20, label="Zip/Postal Code"),
        _text("Country", 80),
        FieldDef("Latitude", "double", length=18, scale=15),
        FieldDef("Longitude", "double", length=18, scale=15),
        FieldDef("GeocodeAccuracy", "picklist", length=40, picklist=GEOCODE_ACCURACIES),
        _read_only("Address", "address"),
        FieldDef("Phone", "phone", length=40),
        FieldDef("MobilePhone", "phone", length=40),
        FieldDef("Fax", "phone", length=40),
        FieldDef("Email", "email", length=80),
        FieldDef("Website", "url", length=255),
        _read_only("PhotoUrl", "url", "Photo URL", length=255),
        FieldDef("Description", "textarea", length=32000),
        _picklist("LeadSource", LEAD_SOURCES, label="Lead Source"),
        _picklist("Status", LEAD_STATUSES, restricted=True, default=LEAD_STATUSES[0]),
        _picklist("Industry", INDUSTRIES),
        _picklist("Rating", ("Hot", "Warm", "Cold")),
        FieldDef("AnnualRevenue", "currency", "Annual Revenue", length=18, scale=0),
        FieldDef("NumberOfEmployees", "int", "Employees"),
        system["OwnerId"],
        FieldDef("HasOptedOutOfEmail", "boolean", "Email Opt Out", nillable=False),
        _read_only("IsConverted", "boolean", "Converted", nillable=False),
        _read_only("ConvertedDate", "date", "Converted Date"),
        _reference("ConvertedAccountId", "Account", createable=False, updateable=False),
        _reference("ConvertedContactId", "Contact", createable=False, updateable=False),
        _reference("ConvertedOpportunityId", "Opportunity", createable=False, updateable=False),
        FieldDef("IsUnreadByOwner", "boolean", "Unread By Owner", nillable=False),
        system["CreatedDate"],
        system["CreatedById"],
        system["LastModifiedDate"],
        system["LastModifiedById"],
        system["SystemModstamp"],
        _read_only("LastActivityDate", "date", "Last Activity"),
        FieldDef("DoNotCall", "boolean", "Do Not Call", nillable=False),
        FieldDef("HasOptedOutOfFax", "boolean", "Fax Opt Out", nillable=False),
        _read_only("LastViewedDate", "datetime", "Last Viewed Date"),
        _read_only("LastReferencedDate", "datetime", "Last Referenced Date"),
        _read_only("LastTransferDate", "date", "Last Transfer Date"),
        _text("Jigsaw", 20, label="Data.com Key"),
        _read_only("JigsawContactId", "string", "Jigsaw Contact ID", length=20),
        _picklist(
            "CleanStatus", CLEAN_STATUSES, label="Clean Status", restricted=True, default="Pending"
        ),
        _text("CompanyDunsNumber", 9, label="Company D-U-N-S Number"),
        _reference("DandbCompanyId", "DandBCompany"),
        _text("EmailBouncedReason", 255, label="Email Bounced Reason"),
        FieldDef("EmailBouncedDate", "datetime", "Email Bounced Date"),
        _reference("IndividualId", "Individual"),
        FieldDef("IsPriorityRecord", "boolean", "Important", nillable=False),
    ]:
        schema.add_field(definition)
    return schema


def _contact() -> SObjectSchema:
    schema = SObjectSchema("Contact", "003")
    for definition in [
        *_system_fields(),
        *_person_fields(),
        _reference("AccountId", "Account"),
        _text("Department", 80),
        _text("MailingStreet", 255),
        _text("MailingCity", 40),
        _text("MailingState", 80),
        _text("MailingPostalCode", 20),
        _text("MailingCountry", 80),
        FieldDef("MailingAddress", "address", createable=False, updateable=False),
    ]:
        schema.add_field(definition)
    return schema


def _account() -> SObjectSchema:
    schema = SObjectSchema("Account", "001")
    for definition in [
        *_system_fields(),
        _text("Name", 255, required=True),
        _picklist("Industry", INDUSTRIES),
        FieldDef("NumberOfEmployees", "int"),
        _text("BillingCountry", 80),
        FieldDef("Website", "url", length=255),
    ]:
        schema.add_field(definition)
    return schema


def _activity_fields() -> list[FieldDef]:
    return [
        _reference("WhoId", "Lead", "Contact"),
        _reference("WhatId", "Account", "Campaign", "Opportunity"),
        _text("Subject", 255),
        FieldDef("ActivityDate", "date"),
        FieldDef("Description", "textarea", length=32000),
        _picklist("Type", ("Call", "Email", "Meeting", "Other")),
    ]


def _task() -> SObjectSchema:
    schema = SObjectSchema("Task", "00T")
    subtypes = ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
    statuses = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
    for definition in [
        *_system_fields(),
        *_activity_fields(),
        _picklist("Status", statuses, restricted=True, required=True, default="Not Started"),
        _picklist("Priority", ("High", "Normal", "Low"), default="Normal"),
        _picklist("TaskSubtype", subtypes, updateable=False, default="Task"),
        FieldDef("IsClosed", "boolean", nillable=False, createable=False, updateable=False),
        FieldDef("CompletedDateTime", "datetime", createable=False, updateable=False),
        FieldDef("CallDurationInSeconds", "int"),
    ]:
        schema.add_field(definition)
    return schema


def _event() -> SObjectSchema:
    schema = SObjectSchema("Event", "00U")
    for definition in [
        *_system_fields(),
        *_activity_fields(),
        FieldDef("ActivityDateTime", "datetime"),
        FieldDef("StartDateTime", "datetime"),
        FieldDef("EndDateTime", "datetime"),
        FieldDef("DurationInMinutes", "int"),
        _picklist("EventSubtype", ("Event",), updateable=False, default="Event"),
        _text("Location", 255),
    ]:
        schema.add_field(definition)
    return schema


def _campaign() -> SObjectSchema:
    schema = SObjectSchema("Campaign", "701")
    types = ("Advertisement", "Conference", "Email", "Webinar", "Trade Show", "Other")
    for definition in [
        *_system_fields(),
        _text("Name", 80, required=True),
        _picklist("Type", types),
        _picklist("Status", ("Planned", "In Progress", "Completed", "Aborted")),
        FieldDef("IsActive", "boolean", nillable=False),
        FieldDef("StartDate", "date"),
        FieldDef("EndDate", "date"),
    ]:
        schema.add_field(definition)
    return schema


def _campaign_member() -> SObjectSchema:
    schema = SObjectSchema("CampaignMember", "00v")
    for definition in [
        *_system_fields(),
        _reference("CampaignId", "Campaign", required=True, updateable=False),
        _reference("LeadId", "Lead", updateable=False),
        _reference("ContactId", "Contact", updateable=False),
        _picklist("Status", ("Sent", "Responded"), default="Sent"),
        FieldDef("HasResponded", "boolean", nillable=False, createable=False, updateable=False),
        FieldDef("FirstRespondedDate", "date", createable=False, updateable=False),
        FieldDef("Email", "email", length=80, createable=False, updateable=False),
    ]:
        schema.add_field(definition)
    return schema


def _user() -> SObjectSchema:
    """Users, reached by queries through ``Owner``, ``CreatedBy`` and ``LastModifiedBy``."""
    schema = SObjectSchema("User", "005")
    system = [f for f in _system_fields() if f.name != "OwnerId"]
    for definition in [
        *system,
        _text("Username", required=True),
        _text("LastName", required=True),
        _text("FirstName", 40),
        _read_only("Name", "string", "Full Name", length=121),
        FieldDef("Email", "email", length=128, required=True),
        FieldDef("IsActive", "boolean", "Active", nillable=False),
    ]:
        schema.add_field(definition)
    return schema


def standard_schemas() -> dict[str, SObjectSchema]:
    """A fresh copy of every modelled object, by name."""
    schemas = [
        *(_lead(), _contact(), _account(), _task(), _event(), _campaign(), _campaign_member()),
        _user(),
    ]
    return {schema.name: schema for schema in schemas}
