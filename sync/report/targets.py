"""Shared targets: leads reaching a stage per calendar month or quarter, and the pace.

For each target of the contract, the report takes the calendar period (UTC) that holds
its ``as_of`` moment and the one before it. A lead counts towards a success-path stage
on the day it *reached* it (skipped stages count as passed, as in the funnel); towards a
detour on the day it first entered it. The pace needed is what is left to reach, spread
over the days left; the projection extends the pace so far to the whole period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from funnelsync.contract import FunnelContract, Target, TargetPeriod
from funnelsync.sync.report.journeys import Journey

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TargetFigures:
    """One target in its current period, against the previous period."""

    stage: str
    label: str
    period: str
    """``month`` or ``quarter``."""
    start: datetime
    end: datetime
    """The current period: ``start`` included, ``end`` excluded (midnights, UTC)."""
    target: int
    reached: int
    attainment: float
    previous_reached: int
    previous_attainment: float
    days_elapsed: float
    days_left: float
    projected: int
    """``reached`` extended at the same daily pace to the whole period."""
    needed_per_day: float | None
    """What is left to reach, per day left; ``None`` once the target is met."""
    on_track: bool


def calendar_period(kind: TargetPeriod, moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month or quarter (UTC) holding ``moment``: start included, end excluded."""
    month = moment.month if kind is TargetPeriod.month else 3 * ((moment.month - 1) // 3) + 1
    start = datetime(moment.year, month, 1, tzinfo=UTC)
    span = 1 if kind is TargetPeriod.month else 3
    end_year, end_month = divmod(month - 1 + span, 12)
    return start, datetime(moment.year + end_year, end_month + 1, 1, tzinfo=UTC)


def _previous(kind: TargetPeriod, start: datetime) -> tuple[datetime, datetime]:
    return calendar_period(kind, start - DAY)


def _counts(
    contract: FunnelContract,
    journeys: Sequence[Journey],
    stage: str,
    windows: Sequence[tuple[datetime, datetime]],
    as_of: datetime,
) -> list[int]:
    """Per window, leads that reached ``stage`` in it (start included, end excluded), by
    ``as_of``; the leads are walked once for all windows."""
    bounds = [(start, min(end, as_of + timedelta(microseconds=1))) for start, end in windows]
    low, high = min(start for start, _ in bounds), max(end for _, end in bounds)
    index = contract.path_index(stage)
    if index is not None:
        found = [w for j in journeys if (w := j.reach[index]) is not None and low <= w < high]
    else:
        found = [w for j in journeys if (w := j.entered.get(stage)) is not None and low <= w < high]
    return [sum(1 for w in found if start <= w < end) for start, end in bounds]


def _figures(
    contract: FunnelContract, journeys: Sequence[Journey], target: Target, as_of: datetime
) -> TargetFigures:
    start, end = calendar_period(target.period, as_of)
    windows = [(start, end), _previous(target.period, start)]
    reached, previous = _counts(contract, journeys, target.stage, windows, as_of)
    total_days = (end - start) / DAY
    elapsed = max((min(as_of, end) - start) / DAY, 0.0)
    left = total_days - elapsed
    projected = round(reached * total_days / elapsed) if elapsed > 0 else reached
    remaining = max(target.count - reached, 0)
    needed = None if remaining == 0 else (remaining / left if left > 0 else float(remaining))
    stage = next(s for s in contract.all_stages if s.name == target.stage)
    return TargetFigures(
        stage=target.stage,
        label=stage.display_name,
        period=target.period.value,
        start=start,
        end=end,
        target=target.count,
        reached=reached,
        attainment=round(reached / target.count, 4),
        previous_reached=previous,
        previous_attainment=round(previous / target.count, 4),
        days_elapsed=round(elapsed, 2),
        days_left=round(left, 2),
        projected=projected,
        needed_per_day=None if needed is None else round(needed, 2),
        on_track=projected >= target.count,
    )


def target_figures(
    contract: FunnelContract, journeys: Sequence[Journey], as_of: datetime
) -> list[TargetFigures]:
    """Every target of ``contract`` as of ``as_of``, in the contract's order."""
    return [_figures(contract, journeys, target, as_of) for target in contract.targets]
