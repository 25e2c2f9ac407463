"""A sync stores the same activities and quarantines the same rows whether the CSV
connector hands activities over as rows (``read_activity_rows``) or as records.

The same messy marketing activities file is synced twice: once with the ``csv``
connector, once with a copy of it that only reads records. Every stored activity (type
and campaign by name), every quarantine entry and the run report must be the same.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sync_support import open_state, small_workspace

from funnelsync import hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv import CsvConnector
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.workspace.loading import load_workspace

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HEADER = ["activity_id", "email", "type", "occurred_at", "campaign", "asset"]
CELLS = {
    "activity_id": ["a1", "a2", "a3", " a1", "", "a4", "'=a5"],
    "email": [
        "vp@hospital.example.com",
        " VP@Hospital.example.com ",
        "carla.diaz@acme.example.com",
        "not-an-email",
        "",
        "new@example.com",
    ],
    "type": ["demo_request", "email_click", "", " ", "page_view", "=cmd"],
    "occurred_at": [
        "2026-12-01T10:00:00Z",
        "2026-12-01 10:00",
        "2026-11-30T08:00:00+02:00",
        "2026-12-02T10:00:00.250000-05:00",
        "yesterday",
        "",
        "01/12/2026",
    ],
    "campaign": ["Launch", "", "  ", "Spring"],
    "asset": ["demo-form", "", " "],
}


class RecordsOnlyCsv(CsvConnector):
    """The csv connector without ``read_activity_rows``: activities come as records."""

    name = "csv_records"
    capabilities = CsvConnector.capabilities.model_copy(update={"read_activity_rows": False})


class _RecordsOnlyPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [RecordsOnlyCsv]


@st.composite
def activity_files(draw: st.DrawFn) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        choice = draw(st.integers(min_value=0, max_value=11))
        if choice == 0:
            text.write(draw(st.sampled_from(['a9,"open\r\n', "a8,\udcff@x.com,t,x,,\r\n", "\r\n"])))
        else:
            cells = [draw(st.sampled_from(CELLS[name])) for name in HEADER]
            writer.writerow(cells if choice > 1 else cells[:4])
    return text.getvalue().encode("utf-8", errors="surrogateescape")


def _sync(config: Path) -> dict[str, Any]:
    """Everything the run left: its report, the stored activities, the quarantine."""
    plugins = create_plugins(extra=[("csv_records", _RecordsOnlyPlugin())])
    result = run_sync(load_workspace(config, plugins), plugins, now=NOW)
    report = json.loads(result.report.model_dump_json())
    for key in ("run_id", "started_at", "duration_s"):
        report.pop(key, None)
    for connection in report["connections"].values():
        connection.pop("api_calls", None)
    store = open_state(config)
    try:
        types = store.type_names.refresh()
        campaigns = store.campaign_names.refresh()
        activities = sorted(
            (*row[:3], types[row[3]], *row[4:7], campaigns.get(row[7]), row[8])
            for row in store.activity_rows(None)
        )
        quarantine = sorted(
            (e.connection, e.record_key, e.kind, e.location, e.reason, e.payload)
            for e in store.quarantine()
        )
    finally:
        store.close()
    return {"report": report, "activities": activities, "quarantine": quarantine}


EVERY_KIND = (
    b"activity_id,email,type,occurred_at,campaign,asset\r\n"
    b"a1, VP@Hospital.example.com ,demo_request,2026-12-01 10:00,  ,demo-form\r\n"
    b"a2,carla.diaz@acme.example.com,email_click,2026-11-30T08:00:00+02:00,Launch, \r\n"
    b"a3,not-an-email,page_view,2026-12-01T10:00:00Z,,\r\n"
    b"a4,new@example.com, ,2026-12-01T10:00:00Z,,\r\n"
    b"a5,new@example.com,page_view,yesterday,,\r\n"
    b"a1,new@example.com,page_view,2026-12-01T10:00:00Z,,\r\n"
    b"'=a6,new@example.com,=cmd,2026-12-02T10:00:00.250000-05:00,Spring,\r\n"
    b"a7,x@example.com,page_view\r\n"
)
"""One row of each kind: a clean one with a zone-less time and a blank campaign, a time
with an offset, a bad email, a blank type, a bad time, a duplicate id, defused cells, a
short row."""
FIXED = EVERY_KIND.replace(b"a4,new@example.com, ,", b"a4,new@example.com,page_view,").replace(
    b"yesterday", b"2026-12-01T09:00:00"
)
"""The same, with the blank type and the bad time fixed: their quarantine is resolved."""


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=activity_files(), then=activity_files())
@example(data=EVERY_KIND, then=FIXED)
def test_rows_store_and_quarantine_what_records_do(
    tmp_path: Path, data: bytes, then: bytes
) -> None:
    """Two syncs: the file, then another (rows quarantined before may now be fine)."""
    shutil.rmtree(tmp_path / "rows", ignore_errors=True)
    shutil.rmtree(tmp_path / "records", ignore_errors=True)
    rows = small_workspace(tmp_path / "rows")
    text = rows.read_text().replace("max_quarantined_share: 0.2", "max_quarantined_share: 1.0")
    zoned = text.replace("    mapping:\n", "    mapping:\n      timezone: America/New_York\n", 1)
    assert zoned != text  # times without a zone are in marketing's own
    rows.write_text(zoned)
    records_dir = tmp_path / "records"
    shutil.copytree(rows.parent, records_dir)
    records = records_dir / rows.name
    text = records.read_text()
    records.write_text(text.replace("connector: csv\n", "connector: csv_records\n", 1))
    assert "connector: csv_records" in records.read_text()
    for content in (data, then):
        for config in (rows, records):
            (config.parent / "data/marketing/activities.csv").write_bytes(content)
        assert _sync(rows) == _sync(records)
