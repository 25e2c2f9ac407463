"""The screen's safety: token off loopback, CSRF and opt-in on actions, 404 pages, secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from sync_support import small_workspace, sync_json

from funnelsync.sync.cli.main import main
from funnelsync.sync.serve.app import ServeSettings, create_app
from funnelsync.sync.serve.errors_view import reason_group
from funnelsync.sync.serve.security import ServeRefusedError, require_token_off_loopback


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    config = small_workspace(tmp_path)
    sync_json(config)
    return config


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries no CSRF field"
    return found.group(1)


def test_binding_beyond_loopback_needs_a_token() -> None:
    require_token_off_loopback("127.0.0.1", None)
    require_token_off_loopback("::1", None)
    with pytest.raises(ServeRefusedError, match="FUNNELSYNC_SERVE_TOKEN"):
        require_token_off_loopback("0.0.0.0", None)
    require_token_off_loopback("0.0.0.0", "long-random-token")


def test_serve_refuses_a_public_bind_without_a_token(synced: Path) -> None:
    result = CliRunner(env={"FUNNELSYNC_SERVE_TOKEN": ""}).invoke(
        main, ["serve", "--config", str(synced), "--host", "0.0.0.0"]
    )
    assert result.exit_code == 2
    assert "needs a token" in result.output


def test_every_page_needs_the_token_when_one_is_set(synced: Path) -> None:
    client = TestClient(create_app(ServeSettings((synced,), token="t0ps3cret-value")))
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/?token=t0ps3cret-value").status_code == 200
    assert client.get("/w/ws/funnel").status_code == 200  # the cookie set above


def test_actions_need_allow_actions_and_the_csrf_token(synced: Path) -> None:
    read_only = TestClient(create_app(ServeSettings((synced,))))
    page = read_only.get("/").text
    assert "Run now" not in page
    assert read_only.post("/w/ws/run", data={"csrf": "x"}).status_code == 403

    client = TestClient(create_app(ServeSettings((synced,), allow_actions=True)))
    page = client.get("/").text
    refused = client.post("/w/ws/run", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = client.post("/w/ws/run", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    ran = client.post("/w/ws/run", data={"csrf": _csrf(page)}, follow_redirects=False)
    assert ran.status_code == 303 and ran.headers["location"].startswith("/?ran=ok")


def test_unknown_workspace_lead_or_record_is_a_404_page(synced: Path) -> None:
    client = TestClient(create_app(ServeSettings((synced,), allow_actions=True)))
    csrf = _csrf(client.get("/").text)
    for response in (
        client.get("/w/nope/funnel"),
        client.get("/w/ws/lead?q=nobody@example.com"),
        client.get("/w/ws/leads?stage=no-such-stage"),
        client.post("/w/ws/retry", data={"csrf": csrf, "record": "sales|nothing"}),
    ):
        assert response.status_code == 404
        assert "<h1>404</h1>" in response.text and "Traceback" not in response.text


def test_a_lead_is_found_by_email_in_any_case(synced: Path) -> None:
    client = TestClient(create_app(ServeSettings((synced,))))
    page = client.get("/w/ws/lead?q=vp@hospital.example.com")
    assert page.status_code == 200
    assert 'id="stage"' in page.text and "demo request" in page.text
    upper = client.get("/w/ws/lead?q=VP@Hospital.example.com")
    assert upper.status_code == 200 and 'id="stage"' in upper.text


def test_errors_group_by_reason_without_per_record_details() -> None:
    one = reason_group("leads.csv:7: email: 'ann@' is not a valid email address")
    other = reason_group("leads.csv:12: email: 'bob@@x' is not a valid email address")
    assert one == other == "email: … is not a valid email address"
    assert (
        reason_group("company_size: 2.5 is not an integer") == "company_size: N is not an integer"
    )
