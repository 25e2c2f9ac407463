"""A lead's way through the funnel: its stays in stages and the day it reached each stage.

A journey is built from two records of the same facts: the lead's ``stage_dates`` (the
first entry into each stage, including dates imported from the systems) and funnelsync's
stage history (every move a run made). Together, sorted by time, they give the stays: a
stay in a stage lasts from entering it until the next entry into another stage.

*Reaching* a success-path stage counts skipped stages as passed: a lead reached stage S
on the earliest day it entered S or any later success-path stage. So reach dates never
decrease along the path, a funnel built on them always narrows, and a conversion is never
above 100%. A skipped stage has a reach date but no stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from funnelsync.contract import FunnelContract


@dataclass(frozen=True, slots=True)
class Stay:
    """Time spent in one stage: ``left`` is ``None`` while the lead is still there."""

    stage: str
    entered: datetime
    left: datetime | None

    def left_before(self, end: datetime) -> datetime | None:
        """When the stay ended, if that was before ``end``."""
        return self.left if self.left is not None and self.left < end else None


@dataclass(slots=True)
class Journey:
    """One lead's stays and reach dates, with the lead fields reports group by."""

    person_id: int
    email: str
    fields: dict[str, str]
    stays: list[Stay]
    reach: list[datetime | None]
    """Per success-path stage (by index): when the lead reached it, or ``None``."""
    entered: dict[str, datetime] = field(default_factory=dict)
    """Per stage: the first time the lead actually entered it (skips excluded)."""

    def reached(self, index: int, end: datetime) -> datetime | None:
        """When the lead reached success-path stage ``index``, if before ``end``."""
        when = self.reach[index]
        return when if when is not None and when < end else None

    def entered_before(self, stage: str, end: datetime) -> bool:
        """Whether the lead actually entered ``stage`` (not skipped it) before ``end``."""
        when = self.entered.get(stage)
        return when is not None and when < end

    def stay_at(self, moment: datetime) -> Stay | None:
        """The stay the lead was in just before ``moment`` (entered strictly before it)."""
        found = None
        for stay in self.stays:
            if stay.entered >= moment:
                break
            found = stay
        return found


def _order(contract: FunnelContract) -> dict[str, int]:
    return {stage.name: index for index, stage in enumerate(contract.all_stages)}


def build_journey(
    contract: FunnelContract,
    person_id: int,
    email: str,
    current_stage: str | None,
    stage_dates: Mapping[str, datetime],
    moves: Iterable[tuple[str, datetime]],
    fields: dict[str, str],
) -> Journey | None:
    """The journey of one lead, or ``None`` if it never entered a stage the contract knows.

    ``moves`` are ``(to_stage, at)`` pairs from the stage history. Entries at the same
    moment are ordered along the contract (path stages, then detours), the lead's current
    stage last; consecutive entries into the same stage are one stay.
    """
    order = _order(contract)
    entries = {(stage, at) for stage, at in stage_dates.items() if stage in order}
    entries.update((stage, at) for stage, at in moves if stage in order)
    if not entries:
        return None
    ranked = sorted(entries, key=lambda item: (item[1], item[0] == current_stage, order[item[0]]))
    if current_stage in order and ranked[-1][0] != current_stage:
        ranked.append((current_stage, ranked[-1][1]))
    stays: list[Stay] = []
    for stage, at in ranked:
        if stays and stays[-1].stage == stage:
            continue
        if stays:
            stays[-1] = Stay(stays[-1].stage, stays[-1].entered, at)
        stays.append(Stay(stage, at, None))
    entered: dict[str, datetime] = {}
    for stay in stays:
        entered.setdefault(stay.stage, stay.entered)
    reach: list[datetime | None] = [None] * len(contract.stages)
    earliest: datetime | None = None
    for index in range(len(contract.stages) - 1, -1, -1):
        first = entered.get(contract.stages[index].name)
        if first is not None and (earliest is None or first < earliest):
            earliest = first
        reach[index] = earliest
    return Journey(person_id, email, fields, stays, reach, entered)
