"""Hostile CSV files: one bad row is quarantined with file:line and the others are read;
a file that is not CSV at all fails cleanly and in bounded memory (issue 18, items 4-6, 9)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from csv_support import make_connector, read_all

from funnelsync.connector import ConnectorError, LeadWrite

MAX_LINE_CHARS = 1_048_576
HEADER = "email,first_name,company\n"


def _leads(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(HEADER.encode() + body)
    return path


def test_a_cell_over_the_field_limit_quarantines_only_its_row(tmp_path: Path) -> None:
    big = "x" * 131_073
    _leads(tmp_path, f"a@x.com,A,Acme\nb@x.com,{big},Acme\nc@x.com,C,Acme\n".encode())
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["a@x.com", "c@x.com"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:3"
    assert "longer than 131,072 characters" in rejected.reason
    assert len(rejected.payload) <= 2_000


def test_a_non_utf8_byte_quarantines_only_its_row(tmp_path: Path) -> None:
    _leads(tmp_path, b"a@x.com,A,Acme\nb@x.com,B\xff,Acme\nc@x.com,C,Acme\n")
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["a@x.com", "c@x.com"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:3"
    assert "not valid utf-8 text (byte 0xff on line 3)" in rejected.reason


def test_a_rewrite_keeps_an_unreadable_row_byte_for_byte(tmp_path: Path) -> None:
    path = _leads(tmp_path, b'a@x.com,A,Acme\nb@x.com,B\xff,"open\nc@x.com,C,Acme\n')
    connector = make_connector(tmp_path)
    [result] = connector.write_leads([LeadWrite("c@x.com", "c@x.com", {"company": "Initech"})])
    assert result.status == "ok"
    assert path.read_bytes() == HEADER.encode() + (
        b'a@x.com,A,Acme\nb@x.com,B\xff,"open\nc@x.com,C,Initech\n'
    )


def test_an_unclosed_quote_is_quarantined_and_reading_resumes_at_the_next_row(
    tmp_path: Path,
) -> None:
    _leads(
        tmp_path,
        (
            b"good1@x.com,A,Acme\n"  # 2
            b'bad@x.com,B,"Acme\n'  # 3: the quote is never closed
            b"good2@x.com,C,Acme\n"  # 4
            b'good3@x.com,D,"Acme, Inc"\n'  # 5: its quotes would pair with line 3's
            b"good4@x.com,E,Acme\n"  # 6
        ),
    )
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["good1@x.com", "good2@x.com", "good3@x.com", "good4@x.com"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:3"
    assert rejected.reason.startswith("unclosed quote: a quoted field starting on this line")
    assert "0 more line(s) skipped" not in rejected.reason


def test_a_quote_running_to_the_end_of_the_file_reports_the_lines_skipped(
    tmp_path: Path,
) -> None:
    _leads(
        tmp_path,
        (
            b"good1@x.com,A,Acme\n"  # 2
            b'bad@x.com,B,"Acme\n'  # 3
            b"just some text\n"  # 4: not a row
            b"more text\n"  # 5: not a row
        ),
    )
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["good1@x.com"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:3"
    assert "runs to the end of the file" in rejected.reason
    assert "2 more line(s) skipped, up to the end of the file" in rejected.reason


def test_a_quote_across_too_many_lines_is_unclosed_and_reading_resumes(tmp_path: Path) -> None:
    prose = "".join(f"line {n} of a pasted letter\n" for n in range(150))
    _leads(tmp_path, f'bad@x.com,B,"Acme\n{prose}good@x.com,G,Acme\n'.encode())
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert read.ids == ["good@x.com"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:2"
    assert "150 more line(s) skipped, reading resumed at line 153" in rejected.reason


def test_a_case_variant_duplicate_email_is_quarantined_naming_both_rows(tmp_path: Path) -> None:
    _leads(tmp_path, b"good2@x.com,First,Acme\nGOOD2@x.com,Second,Acme\n")
    read = read_all(make_connector(tmp_path).read_leads(None))
    assert [dict(r.fields)["first_name"] for r in read.records] == ["First"]
    [rejected] = read.rejected
    assert rejected.location == "leads.csv:3"
    assert rejected.reason == (
        "duplicate email 'GOOD2@x.com'; first on leads.csv:2 (as 'good2@x.com')"
    )


def test_a_duplicate_activity_id_is_quarantined_naming_both_rows(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email\n", encoding="utf-8")
    (tmp_path / "activities.csv").write_text(
        "id,email,type\nA1,ann@x.com,demo_request\nA1,ann@x.com,email_click\n", encoding="utf-8"
    )
    connector = make_connector(tmp_path, activities={"path": "activities.csv", "id_column": "id"})
    read = read_all(connector.read_activities(None))
    assert [dict(r.fields)["type"] for r in read.records] == ["demo_request"]
    [rejected] = read.rejected
    assert rejected.location == "activities.csv:3"
    assert rejected.reason == "duplicate id 'A1'; first on activities.csv:2"


def test_a_leads_path_at_a_device_fails_that_file_cleanly(tmp_path: Path) -> None:
    connector = make_connector(tmp_path, leads={"path": "/dev/zero"})
    with pytest.raises(ConnectorError, match="/dev/zero: not a regular file"):
        read_all(connector.read_leads(None))


def test_a_file_without_line_breaks_fails_in_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes(b"email" + b"x" * (8 * MAX_LINE_CHARS))
    tracemalloc.start()
    try:
        with pytest.raises(ConnectorError, match=r"leads.csv:1: a line longer than 1,048,576"):
            read_all(make_connector(tmp_path).read_leads(None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 4 * MAX_LINE_CHARS  # a few lines' worth, not the 8 MB file
