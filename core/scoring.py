"""Scoring a lead by the contract: fit from who they are, engagement from what they did.

Engagement decays by whole days: an activity ``d`` days before the as-of date is worth
``points * 0.5 ** (d / half_life_days)``, so every run on the same day gives the same score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from funnelsync.conditions import condition_holds, describe_condition
from funnelsync.contract import EngagementScoring, FitScoring, Scoring
from funnelsync.engagement_rows import EngagementRow, EngagementRows, instant
from funnelsync.models import Lead
from funnelsync.rule_kinds import NO_RULE_KINDS, RuleKinds


class Engagement(Protocol):
    """What scoring needs of an activity: its type and when it happened."""

    @property
    def type(self) -> str:
        """Activity type, e.g. ``demo_request``."""

    @property
    def occurred_at(self) -> datetime:
        """When it happened (timezone-aware)."""

    @property
    def campaign(self) -> str | None:
        """The campaign it belongs to, if any."""

    @property
    def asset(self) -> str | None:
        """The asset (page, e-book…) it concerns, if any."""


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One line of a score's breakdown: why points were given."""

    label: str
    points: int
    kind: str
    """``fit`` or ``engagement``."""


@dataclass(frozen=True, slots=True)
class Score:
    """A lead's scores and the breakdown that explains them."""

    fit: int
    engagement: int
    parts: tuple[ScorePart, ...]

    @property
    def total(self) -> int:
        """Fit plus engagement."""
        return self.fit + self.engagement


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _capped(value: float, cap: int | None) -> float:
    return value if cap is None else min(value, float(cap))


def fit_score(
    scoring: FitScoring, lead: Lead, kinds: RuleKinds = NO_RULE_KINDS
) -> tuple[int, list[ScorePart]]:
    """Points from the fit rules that ``lead`` meets, capped by the fit cap."""
    parts = [
        ScorePart(rule.label or describe_condition(rule, kinds), rule.points, "fit")
        for rule in scoring.rules
        if condition_holds(rule, lead, kinds)
    ]
    total = _capped(sum(part.points for part in parts), scoring.cap)
    return round(total), parts


def _label(activity_type: str, count: int, newest_age: int) -> str:
    words = activity_type.replace("_", " ")
    if count > 1:
        return f"{count}× {words}"
    when = {0: "today", 1: "yesterday"}.get(newest_age, f"{newest_age} days ago")
    return f"{words} ({when})"


def _points(scoring: EngagementScoring, activity: Engagement) -> int | None:
    return _override_points(scoring, activity.type, activity.campaign, activity.asset)


def _override_points(
    scoring: EngagementScoring, kind: str, campaign: str | None, asset: str | None
) -> int | None:
    for override in scoring.overrides:
        if (
            override.type == kind
            and override.campaign in (None, campaign)
            and override.asset in (None, asset)
        ):
            return override.points
    return scoring.points.get(kind)


def engagement_score(
    scoring: EngagementScoring, activities: Iterable[Engagement], as_of: datetime
) -> tuple[int, list[ScorePart]]:
    """Decayed, capped points from ``activities`` up to ``as_of`` (later ones are ignored).

    Per-type window caps apply to each window of ``days`` consecutive calendar days
    (counted from day 1 of the proleptic calendar, in the as-of zone), then the per-type
    cap, then the overall cap.
    """
    if isinstance(activities, EngagementRows) and activities.aware:
        shift = as_of.utcoffset()
        if isinstance(as_of.tzinfo, timezone) and shift is not None:
            return _engagement_of_rows(scoring, activities.rows, as_of, shift)
    tally = _Tally(scoring, as_of)
    by_window, counts, newest, weights = tally.by_window, tally.counts, tally.newest, tally.weights
    zone = as_of.tzinfo
    as_of_day = tally.as_of_day
    half_life = scoring.half_life_days
    points_of = scoring.points
    window_caps = scoring.window_caps
    for activity in activities:
        kind = activity.type
        points = _points(scoring, activity) if scoring.overrides else points_of.get(kind)
        occurred = activity.occurred_at
        if points is None or occurred > as_of:
            continue
        # Whole days in the as-of zone, so the same instant written with another offset
        # has the same age.
        occurred_day = occurred.astimezone(zone).toordinal()
        age_days = max(0, as_of_day - occurred_day)
        weight = weights.get(age_days)
        if weight is None:
            weight = weights[age_days] = 1.0 if half_life is None else 0.5 ** (age_days / half_life)
        window = window_caps.get(kind)
        # Windows are fixed stretches of the calendar, so time passing never regroups
        # activities (which could raise a capped score).
        slot = (kind, occurred_day // window.days if window else 0)
        by_window[slot] = by_window.get(slot, 0.0) + points * weight
        counts[kind] = counts.get(kind, 0) + 1
        known = newest.get(kind)
        if known is None or age_days < known:
            newest[kind] = age_days
    return tally.result()


def _engagement_of_rows(
    scoring: EngagementScoring, rows: Sequence[EngagementRow], as_of: datetime, zone: timedelta
) -> tuple[int, list[ScorePart]]:
    """:func:`engagement_score` of compact rows, for an as-of time in a fixed zone: the same
    loop, with a row's day in that zone worked out from its epoch seconds (no object per
    activity)."""
    tally = _Tally(scoring, as_of)
    by_window, counts, newest, weights = tally.by_window, tally.counts, tally.newest, tally.weights
    as_of_day = tally.as_of_day
    as_of_seconds, as_of_micros = instant(as_of)
    shift = zone.days * 86_400 + zone.seconds
    half_life = scoring.half_life_days
    window_caps, points_of, overrides = scoring.window_caps, scoring.points, scoring.overrides
    for kind, seconds, micros, _, campaign, asset in rows:
        if overrides:
            points = _override_points(scoring, kind, campaign, asset)
        else:
            points = points_of.get(kind)
        if points is None or seconds > as_of_seconds:
            continue
        if seconds == as_of_seconds and micros > as_of_micros:
            continue
        occurred_day = (seconds + shift) // 86_400 + _EPOCH_ORDINAL
        age_days = max(0, as_of_day - occurred_day)
        weight = weights.get(age_days)
        if weight is None:
            weight = weights[age_days] = 1.0 if half_life is None else 0.5 ** (age_days / half_life)
        window = window_caps.get(kind)
        slot = (kind, occurred_day // window.days if window else 0)
        by_window[slot] = by_window.get(slot, 0.0) + points * weight
        counts[kind] = counts.get(kind, 0) + 1
        known = newest.get(kind)
        if known is None or age_days < known:
            newest[kind] = age_days
    return tally.result()


class _Tally:
    """Decayed points per type and window, counts and newest ages: what the parts need."""

    __slots__ = ("as_of_day", "by_window", "counts", "newest", "scoring", "weights")

    def __init__(self, scoring: EngagementScoring, as_of: datetime) -> None:
        self.scoring = scoring
        self.as_of_day = as_of.toordinal()
        self.by_window: dict[tuple[str, int], float] = {}
        self.counts: dict[str, int] = {}
        self.newest: dict[str, int] = {}
        self.weights: dict[int, float] = {}
        """Decay weight by age in days (the same few ages recur)."""

    def result(self) -> tuple[int, list[ScorePart]]:
        """The capped total and its parts, one per type that earned points."""
        scoring = self.scoring
        by_type: dict[str, float] = defaultdict(float)
        for (activity_type, _), value in self.by_window.items():
            window = scoring.window_caps.get(activity_type)
            by_type[activity_type] += _capped(value, window.points if window else None)
        parts = []
        for activity_type, value in by_type.items():
            points = round(_capped(value, scoring.caps.get(activity_type)))
            if points:
                label = _label(
                    activity_type, self.counts[activity_type], self.newest[activity_type]
                )
                parts.append(ScorePart(label, points, "engagement"))
        total = _capped(sum(part.points for part in parts), scoring.cap)
        return round(total), parts


def score_lead(
    scoring: Scoring,
    lead: Lead,
    activities: Iterable[Engagement],
    as_of: datetime,
    kinds: RuleKinds = NO_RULE_KINDS,
) -> Score:
    """Fit and engagement of ``lead`` as of ``as_of``, with the breakdown."""
    fit, fit_parts = fit_score(scoring.fit, lead, kinds)
    engagement, engagement_parts = engagement_score(scoring.engagement, activities, as_of)
    parts = sorted([*fit_parts, *engagement_parts], key=lambda part: -part.points)
    return Score(fit, engagement, tuple(parts))
