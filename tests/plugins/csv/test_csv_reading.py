"""Reading CSV files: encodings, quoting, line numbers, bad rows, record ids."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from csv_support import make_connector, read_all

from funnelsync.connector import ConnectorError, RejectedRecord
from funnelsync.plugins.csv.reading import BATCH_SIZE


def test_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes(
        codecs.BOM_UTF8 + "email,first_name\r\nann@example.com,Zoë\r\n".encode()
    )
    read = read_all(make_connector(tmp_path).read_leads(None))
    [record] = read.records
    assert record.record_id == "ann@example.com"
    assert dict(record.fields) == {"email": "ann@example.com", "first_name": "Zoë"}
    assert record.location == "leads.csv:2"


def test_quoted_newlines_keep_their_text_and_the_line_each_record_starts_on(
    tmp_path: Path,
) -> None:
    text = (
        "email,note\n"  # line 1
        'ann@example.com,"first line\nsecond line"\n'  # lines 2-3
        'bob@example.com,"windows\r\nbreak"\n'  # lines 4-5
        "\n"  # line 6, blank
        "cy@example.com,plain\n"  # line 7
    )
    (tmp_path / "leads.csv").write_bytes(text.encode())
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert [(r.record_id, r.location) for r in read.records] == [
        ("ann@example.com", "leads.csv:2"),
        ("bob@example.com", "leads.csv:4"),
        ("cy@example.com", "leads.csv:7"),
    ]
    assert read.records[0].fields["note"] == "first line\nsecond line"
    assert read.records[1].fields["note"] == "windows\r\nbreak"


def test_semicolon_delimiter(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        'email;company\nann@example.com;"Acme; Inc"\n', encoding="utf-8"
    )
    read = read_all(make_connector(tmp_path, delimiter=";").read_leads(None))
    assert [dict(r.fields) for r in read.records] == [
        {"email": "ann@example.com", "company": "Acme; Inc"}
    ]


def test_latin1_file(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes("email,city\nann@example.com,Köln\n".encode("latin-1"))
    read = read_all(make_connector(tmp_path, encoding="latin-1").read_leads(None))
    assert read.records[0].fields["city"] == "Köln"


def test_file_in_another_encoding_than_configured_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes("email,city\nann@example.com,Köln\n".encode("latin-1"))
    read = read_all(make_connector(tmp_path).read_leads(None))
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:2"
    assert re.search(
        r"not valid utf-8 text \(byte 0xf6 on line 2\).*set `encoding`", rejected.reason
    )


def test_row_with_wrong_cell_count_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "email,first_name\nann@example.com,Ann\nbob@example.com,Bob,extra\ncy@example.com,Cy\n",
        encoding="utf-8",
    )
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["ann@example.com", "cy@example.com"]
    assert read.rejected == [
        RejectedRecord(
            location="leads.csv:3",
            reason="expected 2 cells, found 3",
            payload="bob@example.com,Bob,extra",
        )
    ]


def test_empty_and_repeated_keys_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "email,first_name\n,Nobody\nann@example.com,Ann\n ann@example.com ,Again\n",
        encoding="utf-8",
    )
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["ann@example.com"]
    assert [(r.location, r.reason) for r in read.rejected] == [
        ("leads.csv:2", "email is empty"),
        ("leads.csv:4", "duplicate email 'ann@example.com'; first on leads.csv:3"),
    ]


def test_missing_key_column_names_file_column_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("mail,first_name\nann@example.com,Ann\n", encoding="utf-8")
    with pytest.raises(ConnectorError) as caught:
        read_all(make_connector(tmp_path).read_leads(None))
    message = str(caught.value)
    assert str(path) in message
    assert "no column 'email' (named by leads.key_column)" in message
    assert "'mail', 'first_name'" in message


def test_missing_modified_column_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email\nann@example.com\n", encoding="utf-8")
    connector = make_connector(
        tmp_path, leads={"path": "leads.csv", "modified_column": "updated_at"}
    )
    with pytest.raises(ConnectorError, match=r"'updated_at' \(named by leads.modified_column\)"):
        read_all(connector.read_leads(None))


def test_missing_leads_file_is_an_empty_system(tmp_path: Path) -> None:
    read = read_all(make_connector(tmp_path).read_leads("unchanged"))
    assert read.records == [] and read.rejected == []
    assert read.cursor == "unchanged"


def test_missing_activities_file_is_an_error_naming_it(tmp_path: Path) -> None:
    connector = make_connector(tmp_path, activities={"path": "sub/activities.csv"})
    with pytest.raises(ConnectorError, match="no such file") as caught:
        read_all(connector.read_activities(None))
    assert str(tmp_path / "sub" / "activities.csv") in str(caught.value)


def test_formula_prefix_is_removed_on_read(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "email,a,b,c,d\nann@example.com,'=1+2,'-5,-5,'plain\n", encoding="utf-8"
    )
    [record] = read_all(make_connector(tmp_path).read_leads(None)).records
    assert dict(record.fields) == {
        "email": "ann@example.com",
        "a": "=1+2",
        "b": "-5",
        "c": "-5",
        "d": "'plain",
    }


def test_activity_ids_come_from_the_id_column(tmp_path: Path) -> None:
    (tmp_path / "activities.csv").write_text(
        "id,email,type\nA1,ann@example.com,click\n,ann@example.com,form\n", encoding="utf-8"
    )
    connector = make_connector(tmp_path, activities={"path": "activities.csv", "id_column": "id"})
    read = read_all(connector.read_activities(None))
    assert read.ids == ["A1"]
    assert [(r.location, r.reason) for r in read.rejected] == [("activities.csv:3", "id is empty")]


def test_activity_ids_without_id_column_are_stable_content_hashes(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text("email,type\nann@example.com,click\nann@example.com,form\n", encoding="utf-8")
    connector = make_connector(tmp_path, activities={"path": "activities.csv"})
    first = read_all(connector.read_activities(None)).ids
    assert len(set(first)) == 2
    # Reordering columns and adding an empty one keeps every id.
    path.write_text(
        "type,email,campaign\nform,ann@example.com,\nclick,ann@example.com,\n", encoding="utf-8"
    )
    assert read_all(connector.read_activities(None)).ids == first[::-1]


def test_large_file_is_read_in_batches_and_only_the_last_carries_the_cursor(
    tmp_path: Path,
) -> None:
    rows = "".join(f"lead{i}@example.com\n" for i in range(2 * BATCH_SIZE + 10))
    (tmp_path / "leads.csv").write_text("email\n" + rows, encoding="utf-8")
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert [len(batch.records) for batch in read.batches] == [BATCH_SIZE, BATCH_SIZE, 10]
    assert [batch.cursor is None for batch in read.batches] == [True, True, False]
    assert read.records[-1].location == f"leads.csv:{2 * BATCH_SIZE + 11}"
