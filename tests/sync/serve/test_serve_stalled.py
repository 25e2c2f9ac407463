"""The "SLA and stalled" page lists the demo's stalled leads per owner, each linked to its
lead page, exactly the leads `funnelsync stalled --json` lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.workspace.loading import load_workspace

OWNER_TABLE = re.compile(r'<table class="stalled" data-owner="([^"]+)">(.*?)</table>', re.S)
LEAD_LINK = re.compile(r'<a href="(/w/demo/lead\?q=[^"]+)">')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build_demo(tmp_path_factory.mktemp("stalled-screen") / "demo", seed=7)
    plugins = create_plugins()
    run_sync(load_workspace(built.config_path, plugins), plugins)
    return built.config_path


def test_stalled_leads_per_owner_link_to_their_lead_pages(demo: Path) -> None:
    result = CliRunner().invoke(main, ["stalled", "--config", str(demo), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    client = TestClient(create_app(ServeSettings((demo,))))
    page = client.get("/w/demo/sla")
    assert page.status_code == 200
    tables = OWNER_TABLE.findall(page.text)
    assert {owner: body.count("<a href=") for owner, body in tables} == listed["owners"]
    links = [link for _, body in tables for link in LEAD_LINK.findall(body)]
    emails = [unquote(link.partition("?q=")[2]) for link in links]
    assert sorted(emails) == sorted(lead["email"] for lead in listed["leads"])
    assert len(emails) == listed["stalled"] > 0
    for link, email in list(zip(links, emails, strict=True))[:5]:
        lead = client.get(link)
        assert lead.status_code == 200 and email in lead.text
