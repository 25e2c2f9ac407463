"""Workspace configuration and the mapping each connection runs with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.config import ConnectionConfig, WorkspaceConfig, effective_mapping
from funnelsync.contract import FunnelContract
from funnelsync.mapping import Mapping, read_lead, write_fields
from funnelsync.models import Lead

CONTRACT = FunnelContract.model_validate(
    {
        "version": "1",
        "stages": [
            {"name": "lead", "team": "marketing", "values": {"crm": "Open", "mktg": "lead"}},
            {
                "name": "mql",
                "team": "marketing",
                "values": {"crm": "Marketing Qualified", "mktg": "marketingqualifiedlead"},
            },
            {"name": "sql", "team": "sales", "values": {"mktg": "salesqualifiedlead"}},
        ],
        "detours": [
            {"name": "disqualified", "team": "sales", "values": {"crm": "Closed - Not Converted"}}
        ],
    }
)

DEFAULT = Mapping.model_validate(
    {
        "lead_fields": {
            "email": "Email",
            "stage": {
                "field": "Status",
                "values": {"lead": "New", "sql": "Sales Qualified", "nurture": "Nurturing"},
            },
        }
    }
)


def _workspace(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract": "funnel.yaml",
        "connections": {"crm": {"connector": "salesforce", "settings": {"domain": "login"}}},
    }
    data.update(overrides)
    return data


# --- effective mapping ----------------------------------------------------------------


def test_stage_values_come_from_the_contract_for_this_connection() -> None:
    mapping = effective_mapping(DEFAULT, ConnectionConfig(connector="salesforce"), CONTRACT, "crm")
    stage = mapping.active_lead_fields()["stage"]
    assert stage.values == {
        "lead": "Open",  # contract wins over the connector default "New"
        "mql": "Marketing Qualified",
        "disqualified": "Closed - Not Converted",
        "sql": "Sales Qualified",  # contract has no crm value for sql: mapping's is kept
        "nurture": "Nurturing",  # stage the contract does not know: kept
    }
    assert stage.field == "Status"


def test_other_connections_values_are_left_alone() -> None:
    mapping = effective_mapping(DEFAULT, ConnectionConfig(connector="hubspot"), CONTRACT, "mktg")
    values = mapping.active_lead_fields()["stage"].values
    assert values["mql"] == "marketingqualifiedlead"
    assert values["sql"] == "salesqualifiedlead"
    assert "Open" not in values.values()
    assert "Closed - Not Converted" not in values.values()
    # the connector's default mapping object is not changed either
    assert "mql" not in DEFAULT.lead_fields["stage"].values  # type: ignore[union-attr]


def test_effective_mapping_reads_and_writes_contract_values() -> None:
    mapping = effective_mapping(DEFAULT, ConnectionConfig(connector="salesforce"), CONTRACT, "crm")
    lead = read_lead(mapping, {"Email": "ann@example.com", "Status": "closed - not converted"})
    assert lead.stage == "disqualified"
    assert write_fields(mapping, Lead(email="ann@example.com", stage="mql"), only={"stage"}) == {
        "Status": "Marketing Qualified"
    }


def test_connection_overrides_apply_before_contract_values() -> None:
    connection = ConnectionConfig.model_validate(
        {
            "connector": "salesforce",
            "mapping": {
                "lead_fields": {"stage": {"field": "Lead_Stage__c"}, "title": "Title"},
                "timezone": "Europe/Berlin",
            },
        }
    )
    mapping = effective_mapping(DEFAULT, connection, CONTRACT, "crm")
    stage = mapping.active_lead_fields()["stage"]
    assert stage.field == "Lead_Stage__c"
    assert stage.values == {
        "lead": "Open",
        "mql": "Marketing Qualified",
        "disqualified": "Closed - Not Converted",
    }
    assert mapping.active_lead_fields()["title"].field == "Title"
    assert mapping.timezone == "Europe/Berlin"


def test_dropped_stage_field_stays_dropped() -> None:
    connection = ConnectionConfig.model_validate(
        {"connector": "salesforce", "mapping": {"lead_fields": {"stage": None}}}
    )
    mapping = effective_mapping(DEFAULT, connection, CONTRACT, "crm")
    assert "stage" not in mapping.active_lead_fields()


def test_connection_the_contract_does_not_mention_keeps_the_default() -> None:
    mapping = effective_mapping(DEFAULT, ConnectionConfig(connector="csv"), CONTRACT, "sheet")
    assert mapping.active_lead_fields()["stage"] == DEFAULT.lead_fields["stage"]


# --- workspace config -----------------------------------------------------------------


def test_workspace_loads_with_defaults() -> None:
    config = WorkspaceConfig.model_validate(_workspace())
    assert config.contract == Path("funnel.yaml")
    assert config.state_dir == Path("state")
    assert config.connections["crm"].create_leads is True
    assert config.connections["crm"].mapping is None


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"conections": {}}, ("conections",)),
        (
            {"connections": {"crm": {"connector": "x", "setings": {}}}},
            ("connections", "crm", "setings"),
        ),
        (
            {"connections": {"crm": {"connector": "x", "mapping": {"timezon": "UTC"}}}},
            ("connections", "crm", "mapping", "timezon"),
        ),
    ],
)
def test_unknown_keys_are_errors_at_their_path(data: dict[str, Any], loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkspaceConfig.model_validate(_workspace(**data))
    assert (loc, "extra_forbidden") in [
        (tuple(error["loc"]), error["type"]) for error in caught.value.errors()
    ]


@pytest.mark.parametrize("name", ["sales force", "crm/eu", "crm.eu", "", "crm!"])
def test_invalid_connection_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkspaceConfig.model_validate(_workspace(connections={name: {"connector": "csv"}}))
    (error,) = caught.value.errors()
    assert error["loc"] == ("connections",)
    assert f"connection name {name!r} may only use letters, digits, '-' and '_'" in error["msg"]


@pytest.mark.parametrize("name", ["crm", "hubspot-eu", "sfdc_2"])
def test_valid_connection_names(name: str) -> None:
    config = WorkspaceConfig.model_validate(_workspace(connections={name: {"connector": "csv"}}))
    assert list(config.connections) == [name]


def test_a_workspace_needs_a_connection_and_a_contract() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkspaceConfig.model_validate({"connections": {}})
    assert sorted(str(error["loc"][0]) for error in caught.value.errors()) == [
        "connections",
        "contract",
    ]


def test_unsupported_config_version_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkspaceConfig.model_validate(_workspace(version=2))
    assert [error["loc"] for error in caught.value.errors()] == [("version",)]
