"""Resuming reads: by modified column (with boundary ties) and by file fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from csv_support import make_connector, read_all

from funnelsync.connector import ConnectorError
from funnelsync.plugins.csv import CsvConnector

HEADER = "email,updated_at\n"


def incremental(tmp_path: Path) -> CsvConnector:
    return make_connector(tmp_path, leads={"path": "leads.csv", "modified_column": "updated_at"})


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write(text)


def test_rows_sharing_the_greatest_timestamp_are_read_once_and_only_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        HEADER
        + "ann@example.com,2024-05-01T08:00:00Z\n"
        + "bob@example.com,2024-05-01T09:00:00Z\n"
        + "cy@example.com,2024-05-01T09:00:00+00:00\n",
        encoding="utf-8",
    )
    connector = incremental(tmp_path)
    first = read_all(connector.read_leads(None))
    assert first.ids == ["ann@example.com", "bob@example.com", "cy@example.com"]
    assert json.loads(first.cursor or "") == {
        "v": 1,
        "kind": "modified",
        "column": "updated_at",
        "max": "2024-05-01T09:00:00+00:00",
        "ids": ["bob@example.com", "cy@example.com"],
    }

    assert read_all(connector.read_leads(first.cursor)).ids == []

    # Added later with the same (naive = UTC, other offset) timestamp as the boundary.
    append(path, "dee@example.com,2024-05-01T09:00:00\neve@example.com,2024-05-01T10:00:00+01:00\n")
    second = read_all(connector.read_leads(first.cursor))
    assert second.ids == ["dee@example.com", "eve@example.com"]
    third = read_all(connector.read_leads(second.cursor))
    assert third.ids == []
    assert third.cursor == second.cursor

    append(path, "fay@example.com,2024-05-01T09:00:01Z\n")
    fourth = read_all(connector.read_leads(third.cursor))
    assert fourth.ids == ["fay@example.com"]
    assert json.loads(fourth.cursor or "")["ids"] == ["fay@example.com"]


def test_a_row_modified_again_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + "ann@example.com,2024-05-01T08:00:00Z\n", encoding="utf-8")
    connector = incremental(tmp_path)
    cursor = read_all(connector.read_leads(None)).cursor
    path.write_text(HEADER + "ann@example.com,2024-05-02T08:00:00Z\n", encoding="utf-8")
    assert read_all(connector.read_leads(cursor)).ids == ["ann@example.com"]


def test_unparseable_timestamps_are_returned_every_time_and_do_not_move_the_cursor(
    tmp_path: Path,
) -> None:
    (tmp_path / "leads.csv").write_text(
        HEADER + "ann@example.com,2024-05-01T08:00:00Z\nbob@example.com,yesterday\n",
        encoding="utf-8",
    )
    connector = incremental(tmp_path)
    first = read_all(connector.read_leads(None))
    assert first.ids == ["ann@example.com", "bob@example.com"]
    second = read_all(connector.read_leads(first.cursor))
    assert second.ids == ["bob@example.com"]
    assert second.cursor == first.cursor


def test_fingerprint_cursor_reads_everything_only_when_the_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("email\nann@example.com\n", encoding="utf-8")
    connector = make_connector(tmp_path)
    first = read_all(connector.read_leads(None))
    assert first.ids == ["ann@example.com"]
    assert json.loads(first.cursor or "")["kind"] == "fingerprint"

    again = read_all(connector.read_leads(first.cursor))
    assert again.ids == [] and again.cursor == first.cursor

    append(path, "bob@example.com\n")
    changed = read_all(connector.read_leads(first.cursor))
    assert changed.ids == ["ann@example.com", "bob@example.com"]
    assert changed.cursor != first.cursor


def test_cursor_of_another_kind_reads_everything(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        HEADER + "ann@example.com,2024-05-01T08:00:00Z\n", encoding="utf-8"
    )
    fingerprint = read_all(make_connector(tmp_path).read_leads(None)).cursor
    assert read_all(incremental(tmp_path).read_leads(fingerprint)).ids == ["ann@example.com"]


def test_unreadable_cursor_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email\nann@example.com\n", encoding="utf-8")
    with pytest.raises(ConnectorError, match="not a csv connector cursor"):
        read_all(make_connector(tmp_path).read_leads("page-2"))


def test_activities_resume_by_modified_column(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text(
        "email,type,occurred_at\nann@example.com,click,2024-05-01T08:00:00Z\n", encoding="utf-8"
    )
    connector = make_connector(
        tmp_path, activities={"path": "activities.csv", "modified_column": "occurred_at"}
    )
    first = read_all(connector.read_activities(None))
    append(path, "ann@example.com,form,2024-05-01T08:00:00Z\n")
    second = read_all(connector.read_activities(first.cursor))
    assert [r.fields["type"] for r in second.records] == ["form"]
