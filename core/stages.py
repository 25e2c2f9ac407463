"""The stage machine: where a lead stands on the funnel, by the contract's entry rules.

Detours (recycled, disqualified…) are checked first, in contract order: the first whose
rule holds wins. Otherwise the lead is on the furthest success-path stage whose rule
holds, never behind the stage it already reached (the path only moves forward). The first
success-path stage is every lead's floor. A stage without an entry rule is only entered
by other means (for example a system's own value), never by rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from funnelsync.conditions import condition_holds, describe_condition
from funnelsync.contract import EntryRule, FunnelContract
from funnelsync.models import Lead
from funnelsync.rule_kinds import NO_RULE_KINDS, RuleKinds
from funnelsync.scoring import Score


@dataclass(frozen=True, slots=True)
class Placement:
    """The stage a lead belongs in, why, and the stage entry dates after placing it."""

    stage: str
    reason: str
    stage_dates: dict[str, datetime]


def entry_holds(
    rule: EntryRule, lead: Lead, score: Score, kinds: RuleKinds = NO_RULE_KINDS
) -> bool:
    """Whether ``lead`` with ``score`` meets every part of ``rule``."""
    return _rule_reasons(rule, lead, score, kinds) is not None


def _rule_reasons(rule: EntryRule, lead: Lead, score: Score, kinds: RuleKinds) -> list[str] | None:
    """The reasons ``rule`` holds, or ``None`` when it does not."""
    reasons = []
    for label, value, minimum in (
        ("fit", score.fit, rule.fit_min),
        ("engagement", score.engagement, rule.engagement_min),
        ("score", score.total, rule.score_min),
    ):
        if minimum is None:
            continue
        if value < minimum:
            return None
        reasons.append(f"{label} {value} ≥ {minimum}")
    for condition in rule.when:
        if not condition_holds(condition, lead, kinds):
            return None
        reasons.append(describe_condition(condition, kinds))
    return reasons


def place_lead(
    contract: FunnelContract,
    lead: Lead,
    score: Score,
    previous: str | None,
    now: datetime,
    kinds: RuleKinds = NO_RULE_KINDS,
) -> Placement:
    """Place ``lead`` on the funnel; ``previous`` is the stage it was in, if any."""
    dates = dict(lead.stage_dates)
    for detour in contract.detours:
        if detour.entry is None:
            continue
        reasons = _rule_reasons(detour.entry, lead, score, kinds)
        if reasons is not None:
            if lead.status_reason:
                reasons.append(f"reason: {lead.status_reason}")
            return _entered(detour.name, "; ".join(reasons) or "always", dates, now)
    if previous is not None and previous in {d.name for d in contract.detours if d.entry is None}:
        # A detour without a rule is only entered and left by hand (a system's value).
        return _entered(previous, "set in a connected system", dates, now)
    reached, reason = 0, "first stage of the funnel"
    for index, stage in enumerate(contract.stages):
        if stage.entry is None:
            continue
        reasons = _rule_reasons(stage.entry, lead, score, kinds)
        if reasons is not None and index >= reached:
            reached, reason = index, "; ".join(reasons) or "always"
    previous_index = contract.path_index(previous) if previous else None
    if previous_index is not None and previous_index > reached:
        name = contract.stages[previous_index].name
        return _entered(name, "already reached; stages only move forward", dates, now)
    return _entered(contract.stages[reached].name, reason, dates, now)


def _entered(stage: str, reason: str, dates: dict[str, datetime], now: datetime) -> Placement:
    dates.setdefault(stage, now)
    return Placement(stage, reason, dates)
