"""The connector as the engine sees it: registration, settings, secrets, check, fields."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hs_support import TOKEN_ENV
from pydantic import ValidationError

from funnelsync.connector import ConnectorContext, ConnectorError, FieldInfo, LeadWrite, WriteStatus
from funnelsync.mapping import FieldMap, Mapping
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.hubspot import HubSpotConnector, HubSpotSettings
from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator
from funnelsync.plugins.hubspot.mapping import DEFAULT_MAPPING

SECRET = "pat-na1-s3cr3t-value"
COMPUTED_FIELDS = [
    FieldInfo("funnelsync_score", "number"),
    FieldInfo("funnelsync_fit_score", "number"),
    FieldInfo("funnelsync_engagement_score", "number"),
    FieldInfo("funnelsync_explanation", "string"),
    FieldInfo("funnelsync_talking_points", "string"),
]
"""The properties the default mapping writes that a fresh portal lacks."""


def test_registered_through_the_real_entry_point() -> None:
    plugins = create_plugins()
    assert plugins.connectors()["hubspot"] is HubSpotConnector
    assert not [failure for failure in plugins.failures if failure.name == "hubspot"]
    assert HubSpotConnector.write_batch_size == 100
    assert HubSpotConnector.capabilities.names() == [
        "read_leads",
        "write_leads",
        "read_activities",
        "write_activities",
    ]


def test_settings_have_defaults_and_refuse_unknown_keys() -> None:
    settings = HubSpotSettings()
    assert (settings.base_url, settings.daily_budget_share) == ("https://api.hubapi.com", 0.5)
    with pytest.raises(ValidationError, match="access_token"):
        HubSpotSettings.model_validate({"access_token": SECRET})


def test_a_missing_token_variable_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NO_SUCH_TOKEN_VAR", raising=False)
    settings = HubSpotSettings(access_token_env="NO_SUCH_TOKEN_VAR")
    with pytest.raises(ConnectorError, match="NO_SUCH_TOKEN_VAR is not set"):
        HubSpotConnector(settings, ConnectorContext("marketing", tmp_path))


def test_the_token_never_shows(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(tokens={SECRET: None})
    connector = connect(emulator, token=SECRET)
    shown = [
        str(connector.settings),
        repr(connector.settings),
        repr(connector),
        str(vars(connector)),
    ]
    shown += [connector.settings.model_dump_json()]
    assert not [text for text in shown if SECRET in text]
    assert connector.check().ok
    assert TOKEN_ENV in repr(connector.settings)


def test_check_reports_access_and_budget(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.set_daily_used(1000)
    result = connect(emulator).check()
    assert result.ok, result.messages
    assert "token accepted; contacts readable" in result.messages
    # 1000 + a list call + a properties call + one search per engagement type + the note
    # property (for the timeline)
    assert "daily calls: 1007 of 1000000 used; runs stop at 50% (500000)" in result.messages
    assert any("notes have no property funnelsync_ref" in m for m in result.messages)
    bad = connect(emulator, token="nope").check()
    assert not bad.ok
    assert "401 INVALID_AUTHENTICATION" in bad.messages[-1]


def test_describe_fields_lists_properties_with_options(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    fields = {field.name: field for field in connect(emulator).describe_fields()}
    stage = fields["lifecyclestage"]
    assert stage.type == "enumeration" and stage.writable
    assert stage.picklist[:3] == ("subscriber", "lead", "marketingqualifiedlead")
    assert not fields["lastmodifieddate"].writable
    assert fields["createdate"].type == "datetime"


def test_create_fields_creates_missing_properties_once(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    wanted = [
        FieldInfo("funnelsync_score", "number"),
        FieldInfo("funnelsync_explanation", "string"),
        FieldInfo("funnelsync_mql_date", "datetime"),
        FieldInfo("firstname", "string"),
    ]
    connector = connect(emulator)
    created = connector.create_fields(wanted)
    assert created == ["funnelsync_score", "funnelsync_explanation", "funnelsync_mql_date"]
    fields = {field.name: field for field in connect(emulator).describe_fields()}
    assert fields["funnelsync_mql_date"].type == "datetime"
    assert connect(emulator).create_fields(wanted) == []
    [result] = connector.write_leads(
        [LeadWrite("a@example.com", None, {"funnelsync_mql_date": "2024-05-01T09:00:00+00:00"})]
    )
    assert result.status is WriteStatus.ok
    reread = [r for b in connect(emulator).read_leads(None) for r in b.records]
    assert reread[0].fields["funnelsync_mql_date"] == "2024-05-01T09:00:00+00:00"


def test_validate_mapping_names_missing_and_read_only_properties_with_the_closest_name(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    connector = connect(emulator)
    mapping = DEFAULT_MAPPING.overlay(
        Mapping(lead_fields={"title": FieldMap(field="jobtitel"), "owner": "lastmodifieddate"})
    )
    problems = connector.validate_mapping(mapping)
    assert (
        "lead_fields.title: HubSpot has no contact property 'jobtitel'; did you mean "
        "'jobtitle'? Map an existing property, or create it (`funnelsync check --fix` "
        "creates funnelsync's own fields)"
    ) in problems
    assert (
        "lead_fields.owner: the contact property 'lastmodifieddate' is read-only in HubSpot; "
        "map it with direction: read"
    ) in problems
    assert any("'funnelsync_score'" in problem for problem in problems)  # not created yet
    connector.create_fields(COMPUTED_FIELDS)
    assert connector.validate_mapping(DEFAULT_MAPPING) == []


def test_properties_another_hand_created_meanwhile_are_known_after_create_fields(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    """The properties cache is read again after creating: a property created by someone
    else since it was read (HubSpot answers 409) is not reported missing."""
    connector = connect(emulator)
    assert connector.validate_mapping(DEFAULT_MAPPING)  # caches the portal's properties
    assert connect(emulator).create_fields(COMPUTED_FIELDS[:1]) == ["funnelsync_score"]
    assert connector.create_fields(COMPUTED_FIELDS) == [f.name for f in COMPUTED_FIELDS[1:]]
    assert connector.validate_mapping(DEFAULT_MAPPING) == []
