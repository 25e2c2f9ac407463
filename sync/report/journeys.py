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
from typing import NamedTuple

from funnelsync.contract import FunnelContract


class Stay(NamedTuple):
    """Time spent in one stage: ``left`` is ``None`` while the lead is still there.

    A named tuple rather than a dataclass: a large report builds hundreds of thousands.
    """

    stage: str
    entered: datetime
    left: datetime | None


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

    def stay_at(self, moment: datetime) -> Stay | None:
        """The stay the lead was in just before ``moment`` (entered strictly before it)."""
        found = None
        for stay in self.stays:
            if stay.entered >= moment:
                break
            found = stay
        return found


@dataclass(frozen=True, slots=True)
class StageLayout:
    """The contract's stages as journeys need them, worked out once per report."""

    order: dict[str, int]
    """Each stage's position: success path first, then detours."""
    path: tuple[str, ...]
    """The success path's stage names, in order."""


def stage_layout(contract: FunnelContract) -> StageLayout:
    """The :class:`StageLayout` of ``contract``."""
    return StageLayout(
        {stage.name: index for index, stage in enumerate(contract.all_stages)},
        tuple(stage.name for stage in contract.stages),
    )


def build_journey(
    layout: StageLayout,
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
    order = layout.order
    entries = {(stage, at) for stage, at in stage_dates.items() if stage in order}
    entries.update((stage, at) for stage, at in moves if stage in order)
    return _journey(layout, person_id, email, current_stage, entries, fields)


def journey_from_text(
    layout: StageLayout,
    person_id: int,
    email: str,
    current_stage: str | None,
    entries: str | None,
    fields: dict[str, str],
) -> Journey | None:
    """:func:`build_journey` of a lead whose stage entries are given as a ``journeys`` row
    spells them (``stage<TAB>moment`` pairs joined by tabs): each distinct pair of text is
    parsed once, and pairs of stages the contract does not know are not parsed at all."""
    parts = entries.split("\t") if entries else ()
    if len(parts) < 2:
        return None
    order = layout.order
    parse = datetime.fromisoformat
    texts = set(zip(parts[::2], parts[1::2], strict=True))
    found = {(stage, parse(at)) for stage, at in texts if stage in order}
    return _journey(layout, person_id, email, current_stage, found, fields)


def _journey(
    layout: StageLayout,
    person_id: int,
    email: str,
    current_stage: str | None,
    entries: set[tuple[str, datetime]],
    fields: dict[str, str],
) -> Journey | None:
    if not entries:
        return None
    order = layout.order
    ranked = sorted(entries, key=lambda item: (item[1], item[0] == current_stage, order[item[0]]))
    if current_stage is not None and current_stage in order and ranked[-1][0] != current_stage:
        ranked.append((current_stage, ranked[-1][1]))
    stays: list[Stay] = []
    entered: dict[str, datetime] = {}
    current_name, current_at = ranked[0]
    for stage, at in ranked[1:]:
        if stage != current_name:
            stays.append(Stay(current_name, current_at, at))
            entered.setdefault(current_name, current_at)
            current_name, current_at = stage, at
    stays.append(Stay(current_name, current_at, None))
    entered.setdefault(current_name, current_at)
    path = layout.path
    reach: list[datetime | None] = [None] * len(path)
    earliest: datetime | None = None
    for index in range(len(path) - 1, -1, -1):
        first = entered.get(path[index])
        if first is not None and (earliest is None or first < earliest):
            earliest = first
        reach[index] = earliest
    return Journey(person_id, email, fields, stays, reach, entered)
