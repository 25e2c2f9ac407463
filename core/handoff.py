"""A hand-off: the lead's owner is told that a lead entered a stage marked ``handoff``.

:class:`HandoffConfig` is what the ``funnelsync_lead_handed_off`` hook receives besides
the lead; :func:`handoff_message` and :func:`handoff_email_text` are the words the
built-in notifiers send, so the webhook and the email say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from funnelsync.channels import OwnerChannel
from funnelsync.config import WorkspaceConfig
from funnelsync.contract import FunnelContract, SlaRule, Stage
from funnelsync.models import Lead


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    """Where and how one hand-off is delivered, and the facts its message states."""

    handoff_id: str
    """Stable key of the hand-off: the same on every retry (receivers can deduplicate)."""
    channel: OwnerChannel
    """The owner's channel from the contract's ``owners``, else ``default_channel``."""
    entered_at: datetime
    """When the lead entered the stage."""
    sla: SlaRule | None
    """The contract's follow-up promise for the stage, if it has one."""
    workspace: WorkspaceConfig
    """The workspace configuration (e.g. ``smtp`` for the email notifier)."""
    repeat: bool = False
    """An earlier attempt was cut off mid-send: the owner may have had this message."""

    @property
    def due_at(self) -> datetime | None:
        """The SLA deadline: entry plus the rule's hours (``None`` without a rule)."""
        if self.sla is None:
            return None
        return self.entered_at + timedelta(hours=self.sla.within_hours)


def channel_for(contract: FunnelContract, owner: str | None) -> OwnerChannel:
    """The channel of ``owner`` (exact value, then case-insensitive), else the default."""
    if owner is not None:
        found = contract.owners.get(owner)
        if found is None:
            folded = owner.strip().casefold()
            found = next(
                (c for name, c in contract.owners.items() if name.casefold() == folded), None
            )
        if found is not None:
            return found
    return contract.default_channel or OwnerChannel()


def sla_rule_for(contract: FunnelContract, stage: str) -> SlaRule | None:
    """The first SLA rule of ``stage``, if any."""
    return next((rule for rule in contract.sla if rule.stage == stage), None)


def lead_name(lead: Lead) -> str:
    """E.g. ``Ada Lovelace <ada@example.com>``, or just the email."""
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    if name and lead.email:
        return f"{name} <{lead.email}>"
    return name or lead.email or "a lead"


def _deadline(config: HandoffConfig) -> str:
    due = config.due_at
    if due is None or config.sla is None:
        return "no follow-up SLA for this stage"
    what = config.sla.description or f"within {config.sla.within_hours:g} hours"
    return f"follow up by {due:%Y-%m-%d %H:%M} UTC ({what})"


def handoff_message(
    lead: Lead, stage: Stage, talking_points: Sequence[str], config: HandoffConfig
) -> dict[str, Any]:
    """The JSON the webhook notifier posts: a Slack-compatible ``text`` plus the facts."""
    due = config.due_at
    return {
        "event": "lead_handed_off",
        "handoff_id": config.handoff_id,
        "repeat": config.repeat,
        "text": handoff_email_text(lead, stage, talking_points, config),
        "lead": {
            "name": lead_name(lead),
            "email": lead.email,
            "company": lead.company,
            "title": lead.title,
            "owner": lead.owner,
            "score": lead.score,
        },
        "stage": stage.name,
        "stage_label": stage.display_name,
        "entered_at": config.entered_at.isoformat(),
        "why": lead.explanation,
        "reason": lead.stage_reason,
        "sla": None
        if due is None or config.sla is None
        else {"due_at": due.isoformat(), "description": config.sla.description},
        "talking_points": list(talking_points),
    }


def handoff_subject(lead: Lead, stage: Stage) -> str:
    """The email subject, e.g. ``New MQL for you: Ada Lovelace (Acme)``."""
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    who = name or lead.email or "a lead"
    return f"New {stage.display_name} for you: {who}" + (
        f" ({lead.company})" if lead.company else ""
    )


def handoff_email_text(
    lead: Lead, stage: Stage, talking_points: Sequence[str], config: HandoffConfig
) -> str:
    """The plain-text message: who, why they qualified, the deadline, what to say."""
    lines = [
        f"{lead_name(lead)} entered {stage.display_name} on "
        f"{config.entered_at:%Y-%m-%d %H:%M} UTC"
        + (f" and is yours ({lead.owner})." if lead.owner else "."),
        "",
        f"Why: {lead.explanation or lead.stage_reason or 'the contract entry rule holds'}",
        f"Deadline: {_deadline(config)}",
    ]
    if talking_points:
        lines += ["", "Talking points:", *(f"- {point}" for point in talking_points)]
    if config.repeat:
        lines += ["", f"(Sent again: an earlier attempt may have reached you; {config.handoff_id})"]
    return "\n".join(lines)
