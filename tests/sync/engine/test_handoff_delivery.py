"""A hand-off whose notifier fails is not lost: the run says so (``partial``, the failure in
the report and in `funnelsync errors`), and the next runs retry that notifier only, until
it is delivered, once. Real local receivers (HTTP, aiosmtpd); no secret in any output.
Each test runs with the state in SQLite and in PostgreSQL (the ``workspace`` fixture)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from handoff_support import Mailbox, Webhook, body, refusing_port
from sync_support import NOW, read_csv, sales_lead, write_csv

from funnelsync.sync.cli.main import main

VP = "vp@hospital.example.com"


def _sync(config: Path, exit_code: int = 0) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout), result.output


def _errors(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_failing_webhook_is_retried_alone_until_delivered_once(
    workspace: Path, hook: Webhook, mail: Mailbox
) -> None:
    config = workspace
    hook.status = 500

    first, output = _sync(config, exit_code=4)
    assert first["status"] == "partial"
    assert "hand-off deliveries failed" in first["status_rule"]
    [failure] = first["handoffs"]["failed"]
    assert VP in failure and "webhook" in failure and "500" in failure
    assert "sales-secret-path" not in output, "the webhook URL is a secret"
    assert len(mail.messages) == 1, "the email notifier did its part"
    [open_delivery] = _errors(config)["handoffs"]
    assert open_delivery["lead"] == VP and open_delivery["notifier"] == "webhook"
    assert open_delivery["status"] == "failed" and open_delivery["attempts"] == 1

    second, _ = _sync(config, exit_code=4)
    assert len(second["handoffs"]["failed"]) == 1 and second["handoffs"]["recorded"] == 0
    assert _errors(config)["handoffs"][0]["attempts"] == 2
    assert len(mail.messages) == 1, "a delivered email is not sent again"

    hook.status = 200
    third, _ = _sync(config)
    assert third["status"] == "ok" and third["handoffs"]["delivered"] == 1
    [post] = hook.posts
    assert post["lead"]["email"] == VP and post["repeat"] is False
    assert _errors(config)["handoffs"] == []

    _sync(config)
    assert len(hook.posts) == 1 and len(mail.messages) == 1


def test_an_unreachable_smtp_server_is_retried_until_the_email_goes(
    workspace: Path, hook: Webhook, mail: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = workspace
    with refusing_port() as port:
        monkeypatch.setenv("FUNNELSYNC_SMTP_PORT", str(port))
        first, _ = _sync(config, exit_code=4)
    [failure] = first["handoffs"]["failed"]
    assert "email" in failure and "Connection" in failure
    assert len(hook.posts) == 1

    monkeypatch.setenv("FUNNELSYNC_SMTP_PORT", str(mail.port))
    second, _ = _sync(config)
    assert second["status"] == "ok" and second["handoffs"]["delivered"] == 1
    [message] = mail.messages
    assert mail.recipients == [["sales-team@example.com"]], "no owner yet: default channel"
    assert "Deadline: follow up by" in body(message)
    assert len(hook.posts) == 1


def test_without_channels_configured_nothing_is_sent_and_the_run_is_ok(workspace: Path) -> None:
    config = workspace
    first, _ = _sync(config)
    assert first["status"] == "ok"
    assert first["handoffs"] == {"recorded": 1, "delivered": 2, "failed": []}


def test_a_crm_mql_older_than_its_sla_is_history_not_a_hand_off(
    workspace: Path, hook: Webhook
) -> None:
    """The first sync of an existing CRM: an MQL the CRM has held for 30 days or 30 hours
    (past the 24-hour SLA) is not news for its owner; ones that entered 2 or 20 hours ago are."""
    config = workspace
    path = config.parent / "data" / "sales" / "leads.csv"
    rows = [
        sales_lead(
            email,
            **{"Funnel Stage": "MQL", "MQL Date": (NOW - timedelta(hours=hours)).isoformat()},
        )
        for email, hours in (
            ("old.mql@example.com", 30 * 24),
            ("late.mql@example.com", 30),
            ("new.mql@example.com", 2),
            ("day.mql@example.com", 20),
        )
    ]
    write_csv(path, [*rows, *read_csv(path)])

    _sync(config)
    posted = sorted(post["lead"]["email"] for post in hook.posts)
    assert posted == ["day.mql@example.com", "new.mql@example.com", VP]
    [new] = [post for post in hook.posts if post["lead"]["email"] == "new.mql@example.com"]
    assert new["entered_at"] == (NOW - timedelta(hours=2)).isoformat()
    assert new["lead"]["owner"] == "Alex Morgan"
