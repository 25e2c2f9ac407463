"""Stalled leads: quiet too long in a stage that declares ``stalled_after_days``.

A lead is stalled when it has been in such a stage, without moving to another stage and
without any activity (engagement of any type), for at least that many days. The quiet
time starts at the later of entering the current stage and the last activity; a move or
a new activity ends the stall, and a later quiet spell is a new stall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from funnelsync.contract import FunnelContract

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Stall:
    """Why a lead is stalled: its stage, since when it is there and quiet, the rule's days."""

    stage: str
    entered: datetime
    """When the lead entered the stage it is in (this stay, not a first entry long ago)."""
    last_engagement: datetime | None
    after_days: int

    @property
    def quiet_since(self) -> datetime:
        """The later of entering the stage and the last activity."""
        if self.last_engagement is None or self.last_engagement < self.entered:
            return self.entered
        return self.last_engagement

    @property
    def stalled_at(self) -> datetime:
        """When the quiet spell became a stall."""
        return self.quiet_since + self.after_days * DAY

    def days_in_stage(self, now: datetime) -> int:
        """Whole days from entering the stage to ``now``."""
        return max(0, (now - self.entered) // DAY)


def stall_rules(contract: FunnelContract) -> dict[str, int]:
    """Stage name → its ``stalled_after_days``, for the stages that declare it."""
    return {
        stage.name: stage.stalled_after_days
        for stage in contract.all_stages
        if stage.stalled_after_days is not None
    }


def last_engagement(moments: Iterable[datetime], now: datetime) -> datetime | None:
    """The latest of ``moments`` at or before ``now`` (activities after it do not count yet)."""
    return max((moment for moment in moments if moment <= now), default=None)


def find_stall(
    rules: dict[str, int],
    stage: str | None,
    entered: datetime | None,
    engaged: datetime | None,
    now: datetime,
) -> Stall | None:
    """The stall of a lead in ``stage`` since ``entered``, last active at ``engaged``, if
    it is stalled at ``now``; ``None`` otherwise (no rule for the stage, or not quiet long
    enough)."""
    if stage is None or entered is None or stage not in rules:
        return None
    stall = Stall(stage, entered, engaged, rules[stage])
    return stall if stall.stalled_at <= now else None
