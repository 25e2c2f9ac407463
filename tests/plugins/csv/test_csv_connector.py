"""The connector as the engine sees it: registration, settings, mapping, check, fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from csv_support import make_connector
from pydantic import ValidationError

from funnelsync.mapping import Direction
from funnelsync.models import Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv import CsvConnector, CsvSettings


def test_registered_through_the_real_entry_point() -> None:
    plugins = create_plugins()
    assert plugins.connectors()["csv"] is CsvConnector
    assert not [f for f in plugins.failures if f.name == "csv"]


def test_capabilities_and_write_batching() -> None:
    assert CsvConnector.capabilities.names() == [
        "read_leads",
        "write_leads",
        "read_activities",
        "write_activities",
        "read_activity_rows",
    ]
    assert CsvConnector.write_batch_size is None


def test_default_mapping_maps_every_lead_field_to_its_own_column() -> None:
    fields = CsvConnector.default_mapping.active_lead_fields()
    assert set(fields) == set(Lead.model_fields) - {"stage_dates", "attributes"}
    assert all(fields[name].field == name for name in fields)
    assert {name for name, f in fields.items() if not f.writes} == {"created_at", "updated_at"}
    assert fields["created_at"].direction is Direction.read
    activity = CsvConnector.default_mapping.active_activity_fields()
    assert {name: f.field for name, f in activity.items()} == {
        name: name for name in ("email", "type", "occurred_at", "activity_id", "campaign", "asset")
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"delimiter": ";;"}, "exactly one character"),
        ({"delimiter": '"'}, "cannot be the delimiter"),
        ({"encoding": "klingon"}, "unknown text encoding 'klingon'"),
        ({"encoding": "rot13"}, "unknown text encoding 'rot13'"),
        ({"sheet": "x"}, "Extra inputs are not permitted"),
        ({"leads": {"path": "a.csv", "key": "id"}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CsvSettings.model_validate({"leads": {"path": "leads.csv"}, **settings})


def test_settings_schema_describes_every_field() -> None:
    schema = CsvSettings.model_json_schema()
    for model in [schema, *schema["$defs"].values()]:
        for name, spec in model["properties"].items():
            assert spec.get("description"), f"{model.get('title')}.{name} has no description"


def test_check_reports_a_missing_leads_file_as_fine_and_a_missing_column_as_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "activities.csv").write_text("email,type\n", encoding="utf-8")
    connector = make_connector(
        tmp_path, activities={"path": "activities.csv", "modified_column": "occurred_at"}
    )
    result = connector.check()
    assert not result.ok
    assert "does not exist yet; the first write creates it" in result.messages[0]
    assert "no column 'occurred_at' (named by activities.modified_column)" in result.messages[1]


def test_check_passes_for_readable_files_with_the_columns(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email,score\n", encoding="utf-8")
    assert make_connector(tmp_path).check().ok


def test_describe_fields_lists_the_leads_header(tmp_path: Path) -> None:
    connector = make_connector(tmp_path)
    assert connector.describe_fields() == []
    (tmp_path / "leads.csv").write_text("email,score\n", encoding="utf-8")
    assert [(f.name, f.type) for f in connector.describe_fields()] == [
        ("email", "string"),
        ("score", "string"),
    ]


def test_absolute_paths_are_used_as_given(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("email\nann@example.com\n", encoding="utf-8")
    connector = make_connector(tmp_path / "workspace", leads={"path": str(elsewhere)})
    assert connector.leads_path == elsewhere


def test_check_stops_on_a_modified_column_that_is_not_iso_8601(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "email,Last Modified\na@example.com,2021-04-15T00:03:00\n"
        "b@example.com,15 Apr 2021 00:03:00\n",
        encoding="utf-8",
    )
    connector = make_connector(
        tmp_path,
        leads={"path": "leads.csv", "key_column": "email", "modified_column": "Last Modified"},
    )

    result = connector.check()

    assert not result.ok
    assert result.messages[0].endswith(
        "modified_column 'Last Modified' holds '15 Apr 2021 00:03:00' (line 3), which is not "
        "an ISO 8601 timestamp: incremental reads cannot use it. Convert the column to ISO "
        "8601 (e.g. 2021-04-15T00:03:00) or remove modified_column"
    )
