"""Every number of the funnel page links to exactly the leads behind it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.workspace.loading import load_workspace

LINK = re.compile(r'<a data-(?:metric|reached)="[^"]+" href="([^"]+)">(\d+)</a>')


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    built = build_demo(tmp_path_factory.mktemp("screen") / "demo", seed=7)
    plugins = create_plugins()
    run_sync(load_workspace(built.config_path, plugins), plugins)
    return TestClient(create_app(ServeSettings((built.config_path,))))


def _listed(client: TestClient, href: str) -> int:
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200, href
    return page.text.count("<li><a href=")


@pytest.mark.parametrize("query", ["", "?since=2026-01-01&until=2026-12-31"])
def test_each_funnel_figure_lists_as_many_leads_as_it_counts(
    demo_client: TestClient, query: str
) -> None:
    page = demo_client.get(f"/w/demo/funnel{query}").text
    links = LINK.findall(page)
    assert len(links) >= 6, "headline and stage figures link to their leads"
    assert any(int(count) > 0 for _, count in links)
    for href, count in links:
        assert _listed(demo_client, href) == int(count), href


def test_a_segment_breakdown_and_a_bad_period_or_figure(demo_client: TestClient) -> None:
    page = demo_client.get("/w/demo/funnel?by=industry")
    assert page.status_code == 200 and "<h2>By industry</h2>" in page.text
    assert demo_client.get("/w/demo/funnel?since=2026-13-01").status_code == 400
    assert demo_client.get("/w/demo/funnel?by=password").status_code == 400
    assert demo_client.get("/w/demo/funnel/leads?metric=revenue").status_code == 404
    assert demo_client.get("/w/demo/funnel/leads?metric=reached&stage=nope").status_code == 404


def test_funnel_page_numbers_match_report_json(demo_client: TestClient, tmp_path: Path) -> None:
    page = demo_client.get("/w/demo/funnel").text
    mqls = re.search(r'data-metric="mqls" href="[^"]+">(\d+)<', page)
    assert mqls is not None
    from click.testing import CliRunner

    from funnelsync.sync.cli.main import main

    config = next(Path(p) for p in demo_client.app.state.configs)  # type: ignore[attr-defined]
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    assert json.loads(result.output)["current"]["headline"]["mqls"] == int(mqls.group(1))
