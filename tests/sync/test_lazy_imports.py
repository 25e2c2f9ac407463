"""The CLI imports a vendor SDK only for the connectors and commands in use, and a
command's own modules only when that command runs.

Each check runs the real ``funnelsync`` command line in a fresh interpreter and lists the
vendor modules it ended with in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sync_support import small_workspace

from funnelsync.sync.workspace.scaffold import write_templates

VENDOR_SDKS = (
    "hubspot",
    "simple_salesforce",
    "requests",
    "urllib3",
    "celery",
    "kombu",
    "redis",
    "starlette",
    "uvicorn",
)
"""Top-level packages of the systems' SDKs, the distributed runner and the web pages."""

PROGRAM = """
import json, sys
from funnelsync.sync.cli.main import main
try:
    main(sys.argv[2:], prog_name="funnelsync")
except SystemExit as stop:
    code = stop.code
print(json.dumps([code, sorted(sys.modules)]))
"""


def _imported(*arguments: str) -> tuple[object, set[str]]:
    """The exit code of ``funnelsync ARGUMENTS`` and the vendor packages it imported."""
    code, modules = _modules(*arguments)
    return code, {name.split(".")[0] for name in modules} & set(VENDOR_SDKS)


def _modules(*arguments: str) -> tuple[object, set[str]]:
    """The exit code of ``funnelsync ARGUMENTS`` and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "-", *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return code, set(modules)


def test_a_csv_only_sync_imports_no_vendor_sdk(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    code, vendors = _imported("sync", "--config", str(config))
    assert code in (0, None)
    assert vendors == set()


def test_a_csv_only_sync_loads_no_emulator(tmp_path: Path) -> None:
    """The hubspot and salesforce connectors declare their demo emulators; declaring one
    must not import its server (nor the JWT and cryptography code of Salesforce's)."""
    config = small_workspace(tmp_path)
    code, modules = _modules("sync", "--config", str(config))
    assert code in (0, None)
    assert "funnelsync.plugins.salesforce.connector" in modules, "the connector is registered"
    servers = {
        "funnelsync.plugins.hubspot.emulator.server",
        "funnelsync.plugins.salesforce.emulator.server",
        "funnelsync.plugins.salesforce.emulator.org",
        "jwt",
        "cryptography",
    }
    assert not servers & modules


def test_a_sync_loads_no_other_command(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    code, modules = _modules("sync", "--config", str(config))
    assert code in (0, None)
    assert "funnelsync.sync.cli.run" in modules
    others = {"report", "demo", "serve", "funnel", "schedule", "distributed", "stalled"}
    assert not {f"funnelsync.sync.cli.{name}" for name in others} & modules
    assert "funnelsync.sync.report.build" not in modules


def test_a_report_loads_no_sync_engine(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    assert _modules("sync", "--config", str(config))[0] in (0, None)
    code, modules = _modules("report", "--config", str(config), "--format", "json")
    assert code in (0, None)
    assert "funnelsync.sync.report.build" in modules
    assert not {"funnelsync.sync.engine.run", "funnelsync.sync.api"} & modules


def test_a_json_report_on_sqlite_loads_only_what_it_uses(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    assert _modules("sync", "--config", str(config))[0] in (0, None)
    code, modules = _modules("report", "--config", str(config), "--format", "json")
    assert code in (0, None)
    assert "funnelsync.sync.report.json_document" in modules
    unused = {
        "funnelsync.sync.report.html_page",
        "funnelsync.sync.report.csv_table",
        "funnelsync.sync.report.svg_charts",
        "sqlalchemy.dialects.postgresql",
        "rich.table",
    }
    assert not unused & modules
    code, modules = _modules("report", "--config", str(config), "--format", "html")
    assert code in (0, None)
    assert "funnelsync.sync.report.html_page" in modules


def test_help_and_validate_import_no_vendor_sdk(tmp_path: Path) -> None:
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    assert _imported("--help")[1] == set()
    code, vendors = _imported("validate", "--config", str(config))
    assert code in (0, None)
    assert vendors == set()


def test_a_hubspot_connection_imports_its_sdk_and_only_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HS_LAZY_TOKEN", "pat-na1-not-a-token")
    config = small_workspace(tmp_path)
    text = config.read_text(encoding="utf-8")
    portal = (
        "connections:\n  portal:\n    connector: hubspot\n    create_leads: false\n"
        "    settings: {access_token_env: HS_LAZY_TOKEN, base_url: 'http://127.0.0.1:9'}\n"
    )
    config.write_text(text.replace("connections:\n", portal, 1))
    # `check` builds every connector (and fails to reach the portal: nothing listens).
    _, vendors = _imported("check", "--config", str(config))
    assert "hubspot" in vendors
    assert not vendors & {"simple_salesforce", "celery", "starlette", "uvicorn"}
