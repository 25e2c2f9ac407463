"""`plan` lists the timeline entries a sync would write; `errors` and the admin screen list
refused ones, and `retry` or the screen's Retry sends them again (CSV systems, SQLite and
PostgreSQL state)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from starlette.testclient import TestClient
from sync_support import read_csv, sync_json
from timeline_csv_support import with_timeline

from funnelsync.sync.cli.common import open_store
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.activity_push import entry_ref
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.state.timeline import TimelineStore

DEMO = entry_ref("marketing", "a1")
"""The VP's demo request (activity a1 of the small workspace's marketing side)."""


def _plan(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["plan", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_plan_lists_the_entries_the_sync_then_writes(workspace: Path) -> None:
    out = with_timeline(workspace, ["demo_request", "email_click"])

    planned = _plan(workspace)["connections"]

    entries = planned["sales"]["timeline"]
    assert [(e["type"], e["email"]) for e in entries] == [
        ("email_click", "vp@hospital.example.com"),
        ("demo_request", "vp@hospital.example.com"),
    ]
    # The VP's sales record does not exist yet: the sync creates it, then writes to it.
    assert all(entry["record_id"] is None for entry in entries)
    assert entries[1]["ref"] == DEMO and entries[1]["subject"] == "Demo asked: Launch (funnelsync)"
    assert planned["marketing"]["timeline"] == []
    assert not out.exists(), "a plan writes nothing"
    text = CliRunner().invoke(main, ["plan", "--config", str(workspace)]).output
    assert "sales: 2 timeline entries to write" in text
    assert "timeline vp@hospital.example.com (the record this sync creates): Demo asked" in text

    sync_json(workspace)

    assert [row["ref"] for row in read_csv(out)] == [e["ref"] for e in entries]
    assert _plan(workspace)["connections"]["sales"]["timeline"] == []


def _refuse_the_demo(
    workspace: Path, *, all_of_them: bool = False
) -> tuple[Path, list[dict[str, str]]]:
    """Sync, then leave the demo request (or every entry) as a system that refused it
    would have: not in the system, rejected in the state. The timeline file and every row
    the sync wrote."""
    out = with_timeline(workspace, ["demo_request", "email_click"])
    sync_json(workspace)
    rows = read_csv(out)
    refused = {row["ref"] for row in rows} if all_of_them else {DEMO}
    _write(out, [row for row in rows if row["ref"] not in refused], list(rows[0]))
    _, store = open_store(workspace)
    TimelineStore(store.engine).finish("sales", {}, dict.fromkeys(refused, "Type: bad value"))
    store.close()
    sync_json(workspace)
    assert not refused & {row["ref"] for row in read_csv(out)}, "a refused entry waits for retry"
    assert _plan(workspace)["connections"]["sales"]["timeline"] == []
    return out, rows


def _refused(workspace: Path, *options: str) -> list[dict[str, Any]]:
    """The refused timeline entries ``errors --json OPTIONS`` lists."""
    result = CliRunner().invoke(main, ["errors", "--config", str(workspace), "--json", *options])
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["timeline_refused"]
    return found


def test_retry_sends_a_refused_entry_again(workspace: Path) -> None:
    out, rows = _refuse_the_demo(workspace)

    retried = CliRunner().invoke(main, ["retry", "--config", str(workspace)])

    assert retried.exit_code == 0, retried.output
    assert "records and 1 refused timeline entries" in retried.output
    assert [e["ref"] for e in _plan(workspace)["connections"]["sales"]["timeline"]] == [DEMO]
    sync_json(workspace)
    assert sorted(row["ref"] for row in read_csv(out)) == sorted(row["ref"] for row in rows)
    again = CliRunner().invoke(main, ["retry", "--config", str(workspace), DEMO])
    assert again.exit_code == 1, "nothing refused is left"


def test_errors_and_the_admin_screen_list_a_refused_entry_and_retry_it(workspace: Path) -> None:
    out, rows = _refuse_the_demo(workspace)

    [refused] = _refused(workspace)
    assert {k: refused[k] for k in ("connection", "ref", "email", "source", "activity_id")} == {
        "connection": "sales",
        "ref": DEMO,
        "email": "vp@hospital.example.com",
        "source": "marketing",
        "activity_id": "a1",
    }
    assert refused["message"] == "Type: bad value"
    assert _refused(workspace, "--connection", "marketing") == []
    text = CliRunner().invoke(main, ["errors", "--config", str(workspace)]).output
    assert "Timeline entries refused" in text and "Type: bad value" in text

    client = TestClient(create_app(ServeSettings((workspace,), allow_actions=True)))
    page = client.get("/").text
    assert DEMO in page and "Type: bad value" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    slug = workspace.parent.name
    nothing = {"csrf": csrf.group(1), "timeline": "marketing|"}
    assert client.post(f"/w/{slug}/retry", data=nothing).status_code == 404
    exported = list(csv.DictReader(client.get(f"/w/{slug}/errors.csv").text.splitlines()))
    assert [(r["kind"], r["record"]) for r in exported] == [
        ("read", "not-an-email"),  # the small workspace's bad row, then the refused entry
        ("timeline", DEMO),
    ]
    assert exported[1]["reason"] == "Type: bad value"
    assert exported[1]["location"] == "marketing activity a1 of vp@hospital.example.com"
    form = {"csrf": csrf.group(1), "timeline": f"sales|{DEMO}"}
    answer = client.post(f"/w/{slug}/retry", data=form, follow_redirects=False)

    assert answer.status_code == 303
    assert _refused(workspace) == []
    assert DEMO not in client.get("/").text
    assert client.post(f"/w/{slug}/retry", data=form).status_code == 404
    sync_json(workspace)
    assert sorted(row["ref"] for row in read_csv(out)) == sorted(row["ref"] for row in rows)


def test_the_screens_retry_all_sends_every_refused_entry_of_a_system_again(
    workspace: Path,
) -> None:
    out, rows = _refuse_the_demo(workspace, all_of_them=True)
    assert len(_refused(workspace)) == len(rows) == 2

    client = TestClient(create_app(ServeSettings((workspace,), allow_actions=True)))
    page = client.get("/").text
    assert "Retry all refused in sales" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    slug = workspace.parent.name
    answer = client.post(
        f"/w/{slug}/retry",
        data={"csrf": csrf.group(1), "timeline": "sales|"},
        follow_redirects=False,
    )

    assert answer.status_code == 303 and "retried=2" in answer.headers["location"]
    assert _refused(workspace) == []
    sync_json(workspace)
    assert sorted(row["ref"] for row in read_csv(out)) == sorted(row["ref"] for row in rows)


def _write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
