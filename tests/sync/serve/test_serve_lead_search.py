"""The lead page finds a person by any identity key: ``key:value``, a bare value matched
against every identity key of the workspace, an email, or a linked record's id."""

from __future__ import annotations

import pytest
from serve_support import identity_workspace
from starlette.testclient import TestClient
from sync_support import sync_json

from funnelsync.sync.serve.app import ServeSettings, create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    config = identity_workspace(tmp_path_factory.mktemp("search") / "ws")
    sync_json(config)
    return TestClient(create_app(ServeSettings((config,))))


def _name(page: str) -> str:
    heading = page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    return " ".join(heading.split())


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("prospect_id:77", "Ann"),
        ("crm_id:77", "Bob"),
        ("crm_id: C-1 ", "Ann"),
        ("ANN@example.com", "Ann"),
        ("P-9", "Cy"),  # a bare value: only Cy's prospect id is P-9
        ("prospect_id:P-9", "Cy"),
        ("C-1", "Ann"),
    ],
)
def test_a_lead_is_found_by_any_identity_key(client: TestClient, query: str, who: str) -> None:
    page = client.get("/w/ws/lead", params={"q": query})
    assert page.status_code == 200, page.text
    assert _name(page.text).startswith(who), _name(page.text)
    assert 'id="stage"' in page.text


def test_a_bare_value_two_keys_share_lists_both_leads(client: TestClient) -> None:
    page = client.get("/w/ws/lead", params={"q": "77"})
    assert page.status_code == 200
    assert "2 leads match 77" in page.text
    listed = page.text.split('<ul id="matches">', 1)[1].split("</ul>", 1)[0]
    assert 'ann@example.com</a> <span class="muted">(prospect_id:77)' in listed
    assert 'bob@example.com</a> <span class="muted">(crm_id:77)' in listed
    for href in ("/w/ws/lead?q=ann%40example.com", "/w/ws/lead?q=bob%40example.com"):
        assert href in listed
        assert client.get(href).status_code == 200


def test_a_record_id_finds_its_lead_and_nothing_is_a_404(client: TestClient) -> None:
    assert _name(client.get("/w/ws/lead", params={"q": "R2"}).text).startswith("Bob")
    assert client.get("/w/ws/lead", params={"q": "prospect_id:404"}).status_code == 404
    assert client.get("/w/ws/lead", params={"q": "nobody"}).status_code == 404
