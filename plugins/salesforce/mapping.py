"""The salesforce connector's default mapping of canonical fields to Lead fields.

Salesforce owns a lead's working status and owner (read only here); funnelsync writes
the score, the stage (the contract's value for this connection), the explanation and the
talking points (cut to :data:`TALKING_POINTS_LENGTH`) into
the custom fields named in :class:`FunnelFields`. Activities are read through the fields
the connector adds to each one (see :mod:`~funnelsync.plugins.salesforce.activities`).
"""

from __future__ import annotations

from funnelsync.mapping import Direction, FieldMap, Mapping
from funnelsync.plugins.salesforce.settings import FunnelFields

TALKING_POINTS_LENGTH = 255
"""The talking points field is Text(255) (docs/connectors/salesforce.md): longer is cut."""
STAGE_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.000%z"
"""How Salesforce shows a Date/Time (``2024-05-01T10:00:00.000+0000``): map stage dates
with this ``format`` so a value read back compares equal to the one written."""

_LEAD_FIELDS = {
    "email": "Email",
    "first_name": "FirstName",
    "last_name": "LastName",
    "title": "Title",
    "company": "Company",
    "industry": "Industry",
    "company_size": "NumberOfEmployees",
    "country": "Country",
    "phone": "Phone",
    "source": "LeadSource",
}
_READ_ONLY_LEAD_FIELDS = {
    "owner": "OwnerId",
    "lead_status": "Status",
    "created_at": "CreatedDate",
    "updated_at": "LastModifiedDate",
}
_ACTIVITY_FIELDS = {
    "activity_id": "Id",
    "email": "Email",
    "type": "ActivityType",
    "occurred_at": "OccurredAt",
    "campaign": "Campaign",
    "asset": "Subject",
}


def default_mapping(fields: FunnelFields) -> Mapping:
    """The mapping for a connection whose custom fields are named as in ``fields``."""
    lead: dict[str, FieldMap | None] = {
        name: FieldMap(field=field) for name, field in _LEAD_FIELDS.items()
    }
    lead |= {
        name: FieldMap(field=field, direction=Direction.read)
        for name, field in _READ_ONLY_LEAD_FIELDS.items()
    }
    for canonical, field in fields.by_canonical().items():
        is_date = canonical.startswith("stage_dates.")
        lead[canonical] = FieldMap(
            field=field,
            format=STAGE_DATE_FORMAT if is_date else None,
            max_length=TALKING_POINTS_LENGTH if canonical == "talking_points" else None,
        )
    activity: dict[str, FieldMap | None] = {
        name: FieldMap(field=field, direction=Direction.read)
        for name, field in _ACTIVITY_FIELDS.items()
    }
    return Mapping(lead_fields=lead, activity_fields=activity)


DEFAULT_MAPPING = default_mapping(FunnelFields())
