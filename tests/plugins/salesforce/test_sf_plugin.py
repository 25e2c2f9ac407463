"""The connector as the engine sees it: registration, capabilities, mapping, settings."""

from __future__ import annotations

from typing import Any

import pytest

from funnelsync.connector import FieldInfo
from funnelsync.mapping import Direction
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.salesforce import FunnelFields, SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.mapping import (
    DEFAULT_MAPPING,
    STAGE_DATE_FORMAT,
    default_mapping,
)


def test_registered_through_the_real_entry_point() -> None:
    plugins = create_plugins()
    assert plugins.connectors()["salesforce"] is SalesforceConnector
    assert not [failure for failure in plugins.failures if failure.name == "salesforce"]


def test_capabilities_and_batching() -> None:
    assert SalesforceConnector.capabilities.names() == [
        "read_leads",
        "write_leads",
        "read_activities",
        "write_activities",
        "deletes",
    ]
    assert SalesforceConnector.write_batch_size is None


def test_default_mapping_reads_sales_fields_and_writes_the_funnel_fields() -> None:
    fields = DEFAULT_MAPPING.active_lead_fields()
    assert fields["email"].field == "Email"
    assert {name for name, f in fields.items() if f.direction is Direction.read} == {
        "owner",
        "lead_status",
        "created_at",
        "updated_at",
    }
    assert {fields[name].field for name in ("score", "stage", "explanation")} == {
        "Funnel_Score__c",
        "Funnel_Stage__c",
        "Funnel_Explanation__c",
    }
    activity = DEFAULT_MAPPING.active_activity_fields()
    assert (activity["type"].field, activity["occurred_at"].field) == ("ActivityType", "OccurredAt")


def test_renamed_fields_and_stage_dates_make_their_own_mapping() -> None:
    fields = FunnelFields(score="Lead_Score__c", stage_dates={"mql": "MQL_Date__c"})
    mapping = default_mapping(fields).active_lead_fields()
    assert mapping["score"].field == "Lead_Score__c"
    assert (mapping["stage_dates.mql"].field, mapping["stage_dates.mql"].format) == (
        "MQL_Date__c",
        STAGE_DATE_FORMAT,
    )


def test_settings_schema_describes_every_field() -> None:
    schema = SalesforceSettings.model_json_schema()
    for model in [schema, *schema["$defs"].values()]:
        for name, spec in model["properties"].items():
            assert spec.get("description"), f"{model.get('title')}.{name} has no description"


def test_creating_fields_needs_setup(connector: Any) -> None:
    with pytest.raises(NotImplementedError, match="Metadata API") as caught:
        connector.create_fields([FieldInfo("Funnel_Score__c", "double")])
    assert "Funnel_Score__c" in str(caught.value)
