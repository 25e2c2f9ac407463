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
    entries = [
        (at, stage == current_stage, order[stage], stage)
        for stage, at in stage_dates.items()
        if stage in order
    ]
    entries.extend(
        (at, stage == current_stage, order[stage], stage) for stage, at in moves if stage in order
    )
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
    spells them (``stage<TAB>moment`` pairs joined by tabs); pairs of stages the contract
    does not know are not parsed at all."""
    parts = entries.split("\t") if entries else ()
    if len(parts) < 2:
        return None
    order = layout.order
    parse = datetime.fromisoformat
    found = [
        (parse(at), stage == current_stage, order[stage], stage)
        for stage, at in zip(parts[::2], parts[1::2], strict=True)
        if stage in order
    ]
    return _journey(layout, person_id, email, current_stage, found, fields)


_stay = tuple.__new__
"""Makes a :class:`Stay` without the named tuple's Python-level ``__new__`` (a large
report makes hundreds of thousands)."""


def _journey(
    layout: StageLayout,
    person_id: int,
    email: str,
    current_stage: str | None,
    entries: list[tuple[datetime, bool, int, str]],
    fields: dict[str, str],
) -> Journey | None:
    """The journey of ``entries``: ``(at, is the current stage, position, stage)``, so
    that their natural order is the order of :func:`build_journey` (sorted here). The same
    entry twice sorts next to itself and adds no stay, so entries need no de-duplication
    (hashing aware moments costs more than sorting them)."""
    if not entries:
        return None
    ranked = entries
    if len(ranked) == 1:  # most leads: one entry, in the current stage (or none known)
        at, _, position, stage = ranked[0]
        if current_stage is None or stage == current_stage or current_stage not in layout.order:
            return _one_stay(layout, person_id, email, at, position, stage, fields)
    ranked.sort()
    # The current stage, if not entered last, stands from the last entry on.
    if (
        current_stage is not None
        and current_stage in layout.order
        and ranked[-1][3] != current_stage
    ):
        ranked.append((ranked[-1][0], True, layout.order[current_stage], current_stage))
    stays: list[Stay] = []
    entered: dict[str, datetime] = {}
    current_at, _, _, current_name = ranked[0]
    for at, _, _, stage in ranked:
        if stage != current_name:
            stays.append(_stay(Stay, (current_name, current_at, at)))
            if current_name not in entered:
                entered[current_name] = current_at
            current_name, current_at = stage, at
    stays.append(_stay(Stay, (current_name, current_at, None)))
    if current_name not in entered:
        entered[current_name] = current_at
    first_entered = entered.get
    path = layout.path
    reach: list[datetime | None] = [None] * len(path)
    earliest: datetime | None = None
    for index in range(len(path) - 1, -1, -1):
        first = first_entered(path[index])
        if first is not None and (earliest is None or first < earliest):
            earliest = first
        reach[index] = earliest
    return Journey(person_id, email, fields, stays, reach, entered)


def _one_stay(
    layout: StageLayout,
    person_id: int,
    email: str,
    at: datetime,
    position: int,
    stage: str,
    fields: dict[str, str],
) -> Journey:
    """:func:`_journey` of a single entry, into ``stage`` at ``at`` (``position`` its
    place in ``layout.order``): reached there and at every path stage before it."""
    path = layout.path
    if position < len(path) and path[position] == stage:
        reach: list[datetime | None] = [at] * (position + 1)
        reach.extend([None] * (len(path) - position - 1))
    else:  # a detour: no path stage reached
        reach = [None] * len(path)
    return Journey(person_id, email, fields, [_stay(Stay, (stage, at, None))], reach, {stage: at})
