"""Follow-up SLA: a clock per stage entry the contract promises to act on, and its outcome.

Each entry into a stage that has an SLA rule starts a clock, due ``within_hours`` later.
The clock stops at the first of: the lead leaves the stage (into any other stage); or,
for a stage the marketing team owns (a hand-over stage such as MQL), the first sales
touch at or after the entry — an activity of a type in :data:`SALES_TOUCH_TYPES`. A
clock stopped by its due time is **met**; one stopped later, or still running past its
due time, is **breached**; one still running before its due time is **open**.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from funnelsync.contract import FunnelContract, SlaRule, Team
from funnelsync.sync.report.figures import rate
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.period import Period, week_key

SALES_TOUCH_TYPES = frozenset({"call", "meeting", "sales_email"})
"""Activity types that are a salesperson's touch (the CRM's calls, meetings and emails)."""

UNASSIGNED = "(unassigned)"
HOUR = timedelta(hours=1)


class SlaStatus(StrEnum):
    """Where a clock stands at a given moment."""

    met = "met"
    breached = "breached"
    open = "open"


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One SLA promise for one stage entry of one lead."""

    journey: Journey
    rule: SlaRule
    entered: datetime
    due: datetime
    stopped: datetime | None
    """When the clock stopped (the lead left the stage or was touched), if it has."""

    @property
    def key(self) -> str:
        """Identifies the breach of this clock across runs: person, stage and entry time."""
        return f"{self.journey.person_id}:{self.rule.stage}:{self.entered.isoformat()}"

    @property
    def owner(self) -> str:
        """The lead's current owner, or :data:`UNASSIGNED`."""
        return self.journey.fields.get("owner", UNASSIGNED)

    def running_at(self, moment: datetime) -> bool:
        """Whether the clock was still running at ``moment``."""
        return self.stopped is None or self.stopped > moment

    def status(self, moment: datetime) -> SlaStatus:
        """Met, breached or open as things stood at ``moment``."""
        if not self.running_at(moment):
            assert self.stopped is not None
            return SlaStatus.met if self.stopped <= self.due else SlaStatus.breached
        return SlaStatus.breached if moment > self.due else SlaStatus.open

    def waited_hours(self, moment: datetime) -> float:
        """Hours from entering the stage to ``moment`` (or to the stop, if earlier)."""
        until = moment if self.running_at(moment) or self.stopped is None else self.stopped
        return round((until - self.entered) / HOUR, 1)


def sla_clocks(
    contract: FunnelContract,
    journeys: Iterable[Journey],
    sales_touches: Mapping[int, Sequence[datetime]],
) -> list[SlaClock]:
    """Every clock the contract's SLA rules start, over every journey."""
    rules: dict[str, list[SlaRule]] = defaultdict(list)
    for rule in contract.sla:
        rules[rule.stage].append(rule)
    marketing = {stage.name for stage in contract.all_stages if stage.team is Team.marketing}
    # Per stage with rules: whether sales touches stop its clocks, and each rule's time.
    timed = {
        stage: (stage in marketing, [(rule, timedelta(hours=rule.within_hours)) for rule in found])
        for stage, found in rules.items()
    }
    clocks = []
    for journey in journeys:
        touches: Sequence[datetime] | None = None
        for stage, entered, left in journey.stays:
            if stage not in timed:
                continue
            touched, stage_rules = timed[stage]
            stopped = left
            if touched:
                if touches is None:
                    touches = sales_touches.get(journey.person_id, ())
                index = bisect_left(touches, entered)
                if index < len(touches) and (stopped is None or touches[index] < stopped):
                    stopped = touches[index]
            for rule, allowed in stage_rules:
                clocks.append(SlaClock(journey, rule, entered, entered + allowed, stopped))
    return clocks


@dataclass(frozen=True, slots=True)
class Attainment:
    """Clocks of one group: how many were met, breached or still open."""

    key: str
    met: int
    breached: int
    open: int

    @property
    def attainment(self) -> float | None:
        """Met out of decided (met + breached); ``None`` when none is decided yet."""
        return rate(self.met, self.met + self.breached)


def _tally(key: str, statuses: Iterable[SlaStatus]) -> Attainment:
    counted = {status: 0 for status in SlaStatus}
    for status in statuses:
        counted[status] += 1
    return Attainment(
        key, counted[SlaStatus.met], counted[SlaStatus.breached], counted[SlaStatus.open]
    )


@dataclass(frozen=True, slots=True)
class SlaFigures:
    """SLA attainment of the clocks started in one period, as things stood at its end."""

    total: Attainment
    rules: list[Attainment]
    owners: list[Attainment]
    weeks: list[Attainment]


def sla_figures(clocks: Sequence[SlaClock], period: Period, as_of: datetime) -> SlaFigures:
    """Attainment overall, per rule (keyed by stage), per owner and per week started."""
    start, end = period.start, period.end
    started = [(clock, clock.status(as_of)) for clock in clocks if start <= clock.entered < end]

    def grouped(key_of: Callable[[SlaClock], str]) -> list[Attainment]:
        groups: dict[str, list[SlaStatus]] = defaultdict(list)
        for clock, status in started:
            groups[key_of(clock)].append(status)
        return [_tally(key, statuses) for key, statuses in sorted(groups.items())]

    return SlaFigures(
        total=_tally("all", (status for _, status in started)),
        rules=grouped(lambda clock: clock.rule.stage),
        owners=grouped(lambda clock: clock.owner),
        weeks=grouped(lambda clock: week_key(clock.entered)),
    )


class Urgency(StrEnum):
    """How pressing a running clock is."""

    past_due = "past_due"
    due_soon = "due_soon"
    on_track = "on_track"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A lead whose SLA clock is still running, and how pressing it is."""

    clock: SlaClock
    urgency: Urgency
    waited_hours: float
    hours_past_due: float
    """Negative while the clock is not yet due: minus the hours left."""


def waiting_leads(
    clocks: Iterable[SlaClock], as_of: datetime, soon_hours: float | None = None
) -> list[Waiting]:
    """Running clocks at ``as_of``, per owner, most overdue first.

    A clock is due soon when less than ``soon_hours`` are left (by default, less than a
    quarter of the rule's allowed time).
    """
    found = []
    for clock in clocks:
        if clock.entered > as_of or (clock.stopped is not None and clock.stopped <= as_of):
            continue  # not started, or no longer running (see SlaClock.running_at)
        left = (clock.due - as_of) / HOUR
        window = soon_hours if soon_hours is not None else clock.rule.within_hours / 4
        if left < 0:
            urgency = Urgency.past_due
        elif left <= window:
            urgency = Urgency.due_soon
        else:
            urgency = Urgency.on_track
        found.append(Waiting(clock, urgency, clock.waited_hours(as_of), round(-left, 1)))
    found.sort(key=lambda item: (item.clock.owner, -item.hours_past_due, item.clock.journey.email))
    return found
