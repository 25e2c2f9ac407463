"""Acceptance of the MQL hand-off on the demo: an MQL created by a sync is posted once to
the owner's webhook and emailed once through SMTP (real local receivers), with why it
qualified, the SLA deadline and the talking points; the next sync sends nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from handoff_support import Mailbox, Webhook, body, smtp_server, webhook_receiver
from sync_support import open_state, read_csv, sync_json

from funnelsync.models import Lead
from funnelsync.sync.demo.build import build_demo

MQL_POINTS = [
    "Open with what they did most recently; the explanation lists it",
    "Offer a 30-minute discovery call this week",
]
RETARGETING_POINT = "They looked at pricing; have the plan comparison ready"


@dataclass
class Receivers:
    hook: Webhook
    mail: Mailbox


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    with webhook_receiver() as hook, smtp_server() as mail:
        monkeypatch.setenv("FUNNELSYNC_HANDOFF_WEBHOOK", hook.url)
        monkeypatch.setenv("FUNNELSYNC_SMTP_HOST", mail.host)
        monkeypatch.setenv("FUNNELSYNC_SMTP_PORT", str(mail.port))
        yield Receivers(hook, mail)


def _leads(config: Path) -> dict[str, Lead]:
    store = open_state(config)
    try:
        leads = store.leads(store.all_person_ids())
    finally:
        store.close()
    return {lead.email: lead for lead in leads.values() if lead.email}


def _almost_mql(config: Path) -> Lead:
    """A marketing lead that fits (fit ≥ 25) but has not engaged enough for MQL."""
    marketing = {
        row["email"].strip().lower()
        for row in read_csv(config.parent / "data" / "marketing" / "leads.csv")
    }
    for email, lead in sorted(_leads(config).items()):
        if (
            lead.stage == "lead"
            and (lead.fit_score or 0) >= 25
            and not lead.lead_status
            and email in marketing
        ):
            return lead
    raise AssertionError("the demo has no lead one demo request away from MQL")


def _request_demo(config: Path, email: str, at: datetime) -> None:
    path = config.parent / "data" / "marketing" / "activities.csv"
    with path.open("a", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(
            [
                "handoff-test-1",
                email,
                "demo_request",
                at.isoformat(),
                "Paid Social - Retargeting",
                "pricing-page",
            ]
        )


def test_an_mql_created_by_a_sync_is_handed_off_once_by_webhook_and_email(
    tmp_path: Path, receivers: Receivers
) -> None:
    hook, mail = receivers.hook, receivers.mail
    config = build_demo(tmp_path / "demo").config_path

    first = sync_json(config)
    recorded = first["handoffs"]["recorded"]
    assert recorded > 0 and first["handoffs"]["failed"] == [] and first["status"] == "ok"
    assert len(hook.posts) == len(mail.messages) == recorded
    posted = [post["lead"]["email"] for post in hook.posts]
    assert len(set(posted)) == recorded, "each lead is handed off once"
    leads = _leads(config)
    assert all(leads[email].stage == "mql" for email in posted)
    assert sorted(hook.keys) == sorted(m["X-Funnelsync-Handoff"] for m in mail.messages)

    second = sync_json(config)
    assert second["handoffs"] == {"recorded": 0, "delivered": 0, "failed": []}
    assert len(hook.posts) == len(mail.messages) == recorded, "a second sync sends nothing"

    # A lead one demo request away from MQL asks for a demo: the next sync makes it an MQL.
    target = _almost_mql(config)
    assert target.email is not None
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    _request_demo(config, target.email, max(now - timedelta(hours=1), midnight))  # today
    third = sync_json(config)
    assert third["handoffs"]["recorded"] == 1 and third["handoffs"]["delivered"] == 2
    assert len(hook.posts) == len(mail.messages) == recorded + 1
    post, email = hook.posts[-1], mail.messages[-1]
    lead = _leads(config)[target.email]
    assert lead.stage == "mql" and lead.explanation is not None
    entered = lead.stage_dates["mql"]
    due = entered + timedelta(hours=24)

    assert post["lead"]["email"] == target.email and post["stage"] == "mql"
    assert post["why"] == lead.explanation and lead.explanation.startswith("MQL since")
    assert "demo request (today) +40" in lead.explanation
    assert post["sla"]["due_at"] == due.isoformat()
    assert post["talking_points"][:3] == [*MQL_POINTS, RETARGETING_POINT]
    assert hook.keys[-1] == post["handoff_id"]

    owner_address = {
        "Alex Morgan": "alex.morgan@example.com",
        "Priya Raman": "priya.raman@example.com",
    }.get(lead.owner or "", "sales-team@example.com")
    assert mail.recipients[-1] == [owner_address]
    assert email["Message-ID"] == f"<{post['handoff_id']}@funnelsync>"
    text = body(email)
    assert f"Why: {lead.explanation}" in text
    assert f"Deadline: follow up by {due:%Y-%m-%d %H:%M} UTC" in text
    for point in post["talking_points"]:
        assert f"- {point}" in text

    # The CRM record created for the new MQL carries the points, cut to the column's 255.
    sales = {row["Email"]: row for row in read_csv(config.parent / "data" / "sales" / "leads.csv")}
    written = sales[target.email]["Talking Points"]
    assert written.startswith(MQL_POINTS[0]) and len(written) <= 255

    fourth = sync_json(config)
    assert fourth["handoffs"]["recorded"] == 0
    assert len(hook.posts) == len(mail.messages) == recorded + 1, "nothing is sent twice"
