"""What the notifier says: short Slack-compatible messages built from a run's report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from funnelsync.config import NotificationsConfig
from funnelsync.contract import SlaRule
from funnelsync.models import Lead
from funnelsync.run_report import RunReport, RunStatus


def run_message(report: RunReport, settings: NotificationsConfig) -> dict[str, Any] | None:
    """The message for a finished run, or ``None`` when the run is not worth a message."""
    # A record announced once is not announced again while it stays in quarantine.
    quarantined = sum(counts.newly_quarantined for counts in report.connections.values())
    reasons = []
    if report.status is RunStatus.failed and "failed" in settings.events:
        reasons.append(report.status_rule or f"failed: {report.error}")
    if report.status is RunStatus.partial and "partial" in settings.events:
        reasons.append(report.status_rule or "partial: some writes were left for the next run")
    threshold = settings.quarantined_at_least
    if threshold is not None and quarantined >= threshold:
        reasons.append(f"{quarantined} records newly quarantined (threshold {threshold})")
    if not reasons:
        return None
    lines = [f"funnelsync run {report.run_id} {report.status.value}: " + "; ".join(reasons)]
    for name, counts in report.connections.items():
        lines.append(
            f"• {name}: read {counts.read}, created {counts.created}, updated {counts.updated}, "
            f"quarantined {counts.quarantined} ({counts.newly_quarantined} new)"
        )
    lines += [f"• {note}" for note in report.notes]
    return {"text": "\n".join(lines)}


def breach_message(
    lead: Lead, rule: SlaRule, entered_at: datetime, due_at: datetime
) -> dict[str, Any]:
    """The message for a lead left waiting past an SLA."""
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    who = (name or lead.email or "a lead") + (f" <{lead.email}>" if lead.email else "")
    owner = lead.owner or "no owner"
    what = rule.description or f"{rule.stage} within {rule.within_hours:g} hours"
    return {
        "text": (
            f"SLA breached: {who} ({owner}) has been in {rule.stage} since "
            f"{entered_at:%Y-%m-%d %H:%M} UTC, due {due_at:%Y-%m-%d %H:%M} UTC — {what}"
        )
    }
