"""What the notifier says: short Slack-compatible messages built from a run's report."""

from __future__ import annotations

from typing import Any

from funnelsync.config import NotificationsConfig
from funnelsync.run_report import RunReport, RunStatus


def run_message(report: RunReport, settings: NotificationsConfig) -> dict[str, Any] | None:
    """The message for a finished run, or ``None`` when the run is not worth a message."""
    quarantined = sum(counts.quarantined for counts in report.connections.values())
    reasons = []
    if report.status is RunStatus.failed and "failed" in settings.on:
        reasons.append(f"failed: {report.error}")
    if report.status is RunStatus.partial and "partial" in settings.on:
        reasons.append("partial: some writes were left for the next run")
    threshold = settings.quarantined_at_least
    if threshold is not None and quarantined >= threshold:
        reasons.append(f"{quarantined} records quarantined (threshold {threshold})")
    if not reasons:
        return None
    lines = [f"funnelsync run {report.run_id} {report.status.value}: " + "; ".join(reasons)]
    for name, counts in report.connections.items():
        lines.append(
            f"• {name}: read {counts.read}, created {counts.created}, updated {counts.updated}, "
            f"quarantined {counts.quarantined}"
        )
    lines += [f"• {note}" for note in report.notes]
    return {"text": "\n".join(lines)}
