"""Every number of the funnel page links to exactly the leads behind it."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.engine.run import run_sync
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.workspace.loading import load_workspace

LINK = re.compile(
    r'<a data-(?:metric|reached|converted|inflow|outflow|segment)="[^"]+" href="([^"]+)">(\d+)</a>'
)


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
    kinds = {kind for kind in re.findall(r"<a data-(\w+)=", page)}
    assert {"metric", "reached", "converted", "inflow", "outflow", "rate", "segment"} <= kinds
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
    assert demo_client.get("/w/demo/funnel/leads?metric=mqls&by=password").status_code == 404
    assert demo_client.get("/w/demo/funnel/leads?metric=mqls&by=industry").status_code == 404


@pytest.mark.parametrize("field", ["industry", "campaign"])
def test_a_segment_s_figures_list_their_leads(demo_client: TestClient, field: str) -> None:
    page = demo_client.get(f"/w/demo/funnel?by={field}").text
    links = re.findall(rf'<a data-segment="{field}" href="([^"]+)">(\d+)</a>', page)
    assert len(links) >= 3
    for href, count in links:
        assert _listed(demo_client, href) == int(count), href


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


BOUNDARY_CONTRACT: dict[str, Any] = {
    "version": "1",
    "stages": [
        {"name": "lead", "team": "marketing", "entry": {}},
        {"name": "mql", "team": "marketing", "entry": {"score_min": 1000}},
    ],
    "scoring": {"fit": {"rules": []}, "engagement": {"points": {"meeting": 15}}},
}
MQL_DATES = {
    "first@example.com": "2026-03-01T00:00:00Z",  # the period's first instant: in
    "last@example.com": "2026-03-31T23:59:59Z",  # its last second: in
    "after@example.com": "2026-04-01T00:00:00Z",  # the period's end, excluded: out
    "before@example.com": "2026-02-28T23:59:59Z",  # out
}


def _edges_workspace(root: Path, mql_dates: dict[str, str]) -> Path:
    """A synced CSV workspace of leads that became MQLs on ``mql_dates`` (their system's
    dates); returns its config."""
    root.mkdir(exist_ok=True)
    with (root / "leads.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "mql_date"])
        writer.writerows(mql_dates.items())
    (root / "contract.yaml").write_text(yaml.safe_dump(BOUNDARY_CONTRACT), "utf-8")
    leads = {"path": "leads.csv", "key_column": "email"}
    mapping = {"lead_fields": {"email": "email", "stage_dates.mql": "mql_date"}}
    config = {
        "version": 1,
        "contract": "contract.yaml",
        "connections": {
            "marketing": {"connector": "csv", "settings": {"leads": leads}, "mapping": mapping}
        },
    }
    (root / "funnelsync.yaml").write_text(yaml.safe_dump(config), "utf-8")
    plugins = create_plugins()
    run_sync(load_workspace(root / "funnelsync.yaml", plugins), plugins)
    return root / "funnelsync.yaml"


@pytest.fixture(scope="module")
def boundary_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """Leads that became MQLs (by the date their system gives) on the edges of March."""
    config = _edges_workspace(tmp_path_factory.mktemp("edges") / "ws", MQL_DATES)
    return TestClient(create_app(ServeSettings((config,))))


@pytest.mark.parametrize(
    "figure", ["metric=reached&stage=mql", "metric=mqls", "metric=reached&stage=lead"]
)
def test_a_figure_s_leads_include_the_period_s_first_instant_and_exclude_its_end(
    boundary_client: TestClient, figure: str
) -> None:
    march = "since=2026-03-01&until=2026-03-31"
    page = boundary_client.get(f"/w/ws/funnel/leads?{figure}&{march}")
    assert page.status_code == 200, page.text
    listed = set(re.findall(r"<li><a href=[^>]+>([^<]+)</a>", page.text))
    assert listed == {"first@example.com", "last@example.com"}
    figures = dict(LINK.findall(boundary_client.get(f"/w/ws/funnel?{march}").text))
    hrefs = {href.replace("&amp;", "&"): n for href, n in figures.items()}
    counted = [int(n) for href, n in hrefs.items() if f"?{figure}&since" in href]
    assert counted == [2], "the funnel page's number counts the same two leads"


def test_a_figure_s_leads_follow_the_next_sync(tmp_path: Path) -> None:
    config = _edges_workspace(tmp_path / "ws", MQL_DATES)
    client = TestClient(create_app(ServeSettings((config,))))
    march = "/w/ws/funnel/leads?metric=mqls&since=2026-03-01&until=2026-03-31"
    assert client.get(march).text.count("<li>") == 2

    _edges_workspace(tmp_path / "ws", {**MQL_DATES, "new@example.com": "2026-03-15T12:00:00Z"})

    assert "new@example.com" in client.get(march).text  # not an answer kept from before


def test_a_segment_s_leads_follow_the_next_sync(tmp_path: Path) -> None:
    config = _edges_workspace(tmp_path / "ws", MQL_DATES)
    client = TestClient(create_app(ServeSettings((config,))))
    march = "since=2026-03-01&until=2026-03-31"
    segment = f"/w/ws/funnel/leads?metric=mqls&by=source&segment=%28none%29&{march}"
    assert client.get(segment).text.count("<li>") == 2
    assert client.get(f"/w/ws/funnel/leads?metric=mqls&{march}").text.count("<li>") == 2

    _edges_workspace(tmp_path / "ws", {**MQL_DATES, "new@example.com": "2026-03-15T12:00:00Z"})

    assert "new@example.com" in client.get(segment).text  # not journeys kept from before


def test_an_edited_contract_shows_on_the_next_page(tmp_path: Path) -> None:
    config = _edges_workspace(tmp_path / "ws", MQL_DATES)
    client = TestClient(create_app(ServeSettings((config,))))
    assert "version 1</span>" in client.get("/w/ws/contract").text

    edited = {**BOUNDARY_CONTRACT, "version": "2"}
    (config.parent / "contract.yaml").write_text(yaml.safe_dump(edited), "utf-8")

    assert "version 2</span>" in client.get("/w/ws/contract").text  # the screen keeps no stale copy
