"""How a run's status is decided on CSV systems: the exit code schedulers see, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sync_support import marketing_lead, small_workspace, write_csv

from funnelsync.sync.cli.main import main


def _sync(config: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _share(config: Path, share: float) -> None:
    text = config.read_text().replace("max_quarantined_share: 0.2\n", "")
    config.write_text(text + f"max_quarantined_share: {share}\n")


def test_bad_rows_under_the_share_leave_the_run_ok_and_say_so(workspace: Path) -> None:
    code, report = _sync(workspace)  # 1 of the 8 rows read is bad; the workspace allows 20%
    assert (code, report["status"]) == (0, "ok")
    assert report["status_rule"] == (
        "every planned write landed; 1 of 8 rows read quarantined (12.5%, allowed up to 20%)"
    )
    assert report["connections"]["marketing"]["rows_quarantined"] == 1


def test_bad_rows_over_the_share_make_the_run_partial(workspace: Path) -> None:
    _share(workspace, 0.1)  # the default
    code, report = _sync(workspace)
    assert (code, report["status"]) == (4, "partial")
    assert (
        "1 of 8 rows read quarantined (12.5%, more than max_quarantined_share 10%)"
        in (report["status_rule"])
    )


def test_a_run_that_reads_only_bad_rows_and_writes_nothing_failed(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    data = config.parent / "data"
    # Every lead without a usable email, no activities, an empty sales system.
    write_csv(data / "marketing/leads.csv", [marketing_lead(f"prospect-{n}") for n in range(3)])
    (data / "marketing/activities.csv").write_text("activity_id,email,type,occurred_at\n")
    (data / "sales/leads.csv").unlink()  # a missing leads file is an empty system
    (data / "sales/activities.csv").write_text("Id,Email,Type,Date,Subject\n")
    code, report = _sync(config)
    assert (code, report["status"]) == (1, "failed")
    assert report["status_rule"].startswith(
        "nothing could be read or written (3 of 3 rows read quarantined"
    )


def test_a_second_run_with_nothing_new_is_ok_although_bad_rows_wait_in_quarantine(
    workspace: Path,
) -> None:
    _share(workspace, 0.1)
    assert _sync(workspace)[0] == 4
    code, report = _sync(workspace)  # nothing changed: the bad row is only retried
    assert (code, report["status"]) == (0, "ok"), report["status_rule"]
    assert report["connections"]["marketing"]["quarantined"] == 1
    assert report["connections"]["marketing"]["newly_quarantined"] == 0


def test_json_log_lines_carry_the_connection_and_the_status(workspace: Path) -> None:
    result = CliRunner().invoke(
        main, ["--log-format", "json", "--log-level", "info", "sync", "--config", str(workspace)]
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    read = [line for line in lines if line["message"].startswith("marketing: read ")]
    assert read and read[0]["connection"] == "marketing" and read[0]["count"] == 4
    assert any(line.get("status") == "ok" for line in lines)
