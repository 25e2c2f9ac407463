"""Operating funnelsync: environment interpolation, log lines, secrets, the Python API."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sync_support import read_csv, sync_json

import funnelsync.sync
from funnelsync.secrets import redact, register_secret
from funnelsync.sync.cli.logs import run_id_var, setup_logging
from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.errors import ConfigError
from funnelsync.sync.workspace.interpolation import interpolate


def test_environment_references_are_replaced() -> None:
    data = {"a": "${HOME_DIR}/x", "b": ["${MISSING:-fallback}", "$${LITERAL}"], "c": 3}
    value, missing = interpolate(data, {"HOME_DIR": "/srv"})
    assert value == {"a": "/srv/x", "b": ["fallback", "${LITERAL}"], "c": 3}
    assert missing == []


def test_an_unset_variable_is_a_configuration_error_at_its_key(workspace: Path) -> None:
    text = workspace.read_text().replace(
        "path: data/sales/leads.csv", 'path: "${SALES_EXPORT_DIR}/leads.csv"'
    )
    workspace.write_text(text)
    result = CliRunner().invoke(main, ["validate", "--config", str(workspace)])
    assert result.exit_code == 2
    assert (
        "connections.sales.settings.leads.path: environment variable SALES_EXPORT_DIR is not set"
        in result.output
    )


def test_a_set_variable_is_used(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = workspace.read_text().replace(
        "path: data/sales/leads.csv", 'path: "${SALES_EXPORT_DIR}/leads.csv"'
    )
    workspace.write_text(text)
    monkeypatch.setenv("SALES_EXPORT_DIR", str(workspace.parent / "data" / "sales"))
    report = sync_json(workspace)
    assert report["connections"]["sales"]["read"] == 1


def test_json_log_lines_parse_and_carry_the_run_id(workspace: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--log-format",
            "json",
            "--log-level",
            "info",
            "sync",
            "--config",
            str(workspace),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    report = json.loads(lines[-1])
    logs = [json.loads(line) for line in lines[:-1]]
    assert len(logs) >= 4
    assert {entry["run_id"] for entry in logs} == {report["run_id"]}
    assert any(entry["message"].startswith("marketing: read 4 leads") for entry in logs)
    assert logs[-1]["message"].startswith("run ok in")


def test_registered_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    register_secret("pat-na1-0b5c-SECRET-4242")
    setup_logging("json", "info")
    token = run_id_var.set("run-1")
    try:
        logging.getLogger("funnelsync.test").warning("calling with %s", "pat-na1-0b5c-SECRET-4242")
        try:
            raise RuntimeError("401 for token pat-na1-0b5c-SECRET-4242")
        except RuntimeError:
            logging.getLogger("funnelsync.test").exception("failed")
    finally:
        run_id_var.reset(token)
        setup_logging("human", "warning")
    err = capsys.readouterr().err
    assert "SECRET-4242" not in err
    assert err.count("***") >= 2
    assert json.loads(err.splitlines()[0])["run_id"] == "run-1"


def test_the_python_api_runs_a_sync(workspace: Path) -> None:
    report = funnelsync.sync.run(workspace)
    assert report.status == "ok"
    assert report.connections["sales"].created == 1
    with pytest.raises(ConfigError):
        funnelsync.sync.run(workspace.parent / "missing.yaml")


def test_a_stop_request_ends_the_run_and_keeps_cursors(workspace: Path) -> None:
    stop = threading.Event()
    stop.set()
    report = funnelsync.sync.run(workspace, stop=stop)
    assert report.status == "partial"
    assert any("asked to stop" in note for note in report.notes)
    rows = read_csv(workspace.parent / "data/marketing/leads.csv")
    assert "stage" not in rows[0] or not any(row.get("stage") for row in rows)
    # Nothing was lost: the next run reads the same changes and writes them.
    again = funnelsync.sync.run(workspace)
    assert again.status == "ok"
    assert again.connections["marketing"].read == report.connections["marketing"].read
    assert again.connections["marketing"].updated == 3
    assert again.connections["marketing"].quarantined == 1


def test_a_secret_url_is_masked_also_where_only_its_path_is_quoted() -> None:
    register_secret("https://hooks.example.com/services/T1/B2/url-secret-path-77")
    quoted = (
        "HTTPSConnectionPool: Max retries exceeded with url: /services/T1/B2/url-secret-path-77"
    )
    assert "url-secret-path-77" not in redact(quoted)
