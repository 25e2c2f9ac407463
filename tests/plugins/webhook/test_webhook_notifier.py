"""The built-in webhook notifier, against a real HTTP receiver on loopback."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

import funnelsync.sync
from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/secretpart", received
    server.shutdown()


def _workspace(tmp_path: Path, extra: str) -> Path:
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    config.write_text(config.read_text() + extra)
    (config.parent / "data/marketing/leads.csv").write_text(
        "email,first_name,updated_at\nana@example.org,Ana,2026-11-01T10:00:00Z\n"
    )
    return config


def _append(leads: Path, *rows: tuple[str, str, str]) -> None:
    """Add rows (email, first name, updated at) under the file's current header."""
    with leads.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with leads.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        for email, first_name, updated_at in rows:
            writer.writerow({"email": email, "first_name": first_name, "updated_at": updated_at})


def test_a_partial_run_posts_a_message(
    tmp_path: Path, webhook: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, received = webhook
    monkeypatch.setenv("TEAM_WEBHOOK", url)
    config = _workspace(tmp_path, "\nnotifications:\n  webhook_url: ${TEAM_WEBHOOK}\n")
    stop = threading.Event()
    stop.set()
    report = funnelsync.sync.run(config, stop=stop)
    assert report.status == "partial"
    [message] = received
    assert message["text"].startswith(f"funnelsync run {report.run_id} partial: ")
    assert "• marketing: read 1" in message["text"]


def test_an_ok_run_is_quiet_unless_a_threshold_is_crossed(
    tmp_path: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = webhook
    config = _workspace(tmp_path, f"\nnotifications:\n  webhook_url: '{url}'\n")
    assert funnelsync.sync.run(config).status == "ok"
    assert received == []
    text = config.read_text() + "  quarantined_at_least: 1\n"
    config.write_text(text)
    leads = config.parent / "data/marketing/leads.csv"
    _append(
        leads,
        ("not-an-email", "Bob", "2026-11-02T10:00:00Z"),
        ("cy@example.org", "Cy", "2026-11-02T10:00:00Z"),
    )
    funnelsync.sync.run(config)
    assert "1 records newly quarantined (threshold 1)" in received[0]["text"]


def test_a_quarantined_record_is_announced_once(
    tmp_path: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = webhook
    extra = f"\nmax_quarantined_share: 0.5\nnotifications:\n  webhook_url: '{url}'\n"
    config = _workspace(tmp_path, extra + "  quarantined_at_least: 1\n")
    leads = config.parent / "data/marketing/leads.csv"
    _append(leads, ("not-an-email", "Bob", "2026-11-02T10:00:00Z"))
    assert funnelsync.sync.run(config).status == "ok"  # 1 bad row of 2, under the share
    assert "1 records newly quarantined" in received[0]["text"]
    _append(leads, ("cy@example.org", "Cy", "2026-11-03T10:00:00Z"))
    again = funnelsync.sync.run(config)  # the bad row is retried and still bad
    assert again.connections["marketing"].quarantined == 1
    assert len(received) == 1


def test_a_failed_run_posts_and_a_dead_webhook_does_not_break_the_run(
    tmp_path: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = webhook
    config = _workspace(tmp_path, f"\nnotifications:\n  webhook_url: '{url}'\n")
    (config.parent / "data/sales/activities.csv").unlink()
    with pytest.raises(RunFailedError):
        funnelsync.sync.run(config)
    assert "failed: ConnectorError" in received[0]["text"]
    dead = _workspace(
        tmp_path / "other", "\nnotifications:\n  webhook_url: 'http://127.0.0.1:9/nothing'\n"
    )
    (dead.parent / "data/sales/activities.csv").unlink()
    with pytest.raises(RunFailedError):
        funnelsync.sync.run(dead)


def test_a_new_sla_breach_posts_once(
    tmp_path: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = webhook
    config = _workspace(
        tmp_path, f"\nnotifications:\n  webhook_url: '{url}'\n  events: [sla_breach]\n"
    )
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    (config.parent / "data/marketing/leads.csv").write_text(
        "email,first_name,last_name,title,industry,company_size,country,updated_at\n"
        "vp@hospital.example.com,Vera,Park,VP Marketing,Healthcare,800,United States,"
        f"{three_days_ago.isoformat()}\n"
    )
    (config.parent / "data/marketing/activities.csv").write_text(
        "activity_id,email,type,occurred_at,campaign,asset\n"
        f"a1,vp@hospital.example.com,demo_request,{three_days_ago.isoformat()},,\n"
    )
    plugins = create_plugins()
    run_sync(load_workspace(config, plugins), plugins, now=three_days_ago)
    assert received == []  # a run that ends ok says nothing
    for _ in range(2):
        result = CliRunner().invoke(main, ["sla", "--config", str(config)])
        assert result.exit_code == 0, result.output
    [message] = received
    assert message["text"].startswith("SLA breached: Vera Park <vp@hospital.example.com>")
    assert "Sales makes first contact within a day" in message["text"]
