"""Scoring a lead by the contract: fit from who they are, engagement from what they did.

Engagement decays by whole days: an activity ``d`` days before the as-of date is worth
``points * 0.5 ** (d / half_life_days)``, so every run on the same day gives the same score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from funnelsync.conditions import condition_holds, describe_condition
from funnelsync.contract import EngagementScoring, FitScoring, Scoring
from funnelsync.models import Lead


class Engagement(Protocol):
    """What scoring needs of an activity: its type and when it happened."""

    @property
    def type(self) -> str:
        """Activity type, e.g. ``demo_request``."""

    @property
    def occurred_at(self) -> datetime:
        """When it happened (timezone-aware)."""


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


def _capped(value: float, cap: int | None) -> float:
    return value if cap is None else min(value, float(cap))


def fit_score(scoring: FitScoring, lead: Lead) -> tuple[int, list[ScorePart]]:
    """Points from the fit rules that ``lead`` meets, capped by the fit cap."""
    parts = [
        ScorePart(rule.label or describe_condition(rule), rule.points, "fit")
        for rule in scoring.rules
        if condition_holds(rule, lead)
    ]
    total = _capped(sum(part.points for part in parts), scoring.cap)
    return round(total), parts


def _plural(activity_type: str, count: int) -> str:
    words = activity_type.replace("_", " ")
    return words if count == 1 else f"{count} {words}s"


def engagement_score(
    scoring: EngagementScoring, activities: Iterable[Engagement], as_of: datetime
) -> tuple[int, list[ScorePart]]:
    """Decayed, capped points from ``activities`` up to ``as_of`` (later ones are ignored)."""
    by_type: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    as_of_day = as_of.date()
    for activity in activities:
        points = scoring.points.get(activity.type)
        if points is None or activity.occurred_at > as_of:
            continue
        weight = 1.0
        if scoring.half_life_days is not None:
            # Whole days in the as-of zone, so the same instant written with another
            # offset has the same age.
            occurred_day = activity.occurred_at.astimezone(as_of.tzinfo).date()
            age_days = max(0, (as_of_day - occurred_day).days)
            weight = 0.5 ** (age_days / scoring.half_life_days)
        by_type[activity.type] += points * weight
        counts[activity.type] += 1
    parts = []
    for activity_type, value in by_type.items():
        points = round(_capped(value, scoring.caps.get(activity_type)))
        if points:
            parts.append(
                ScorePart(_plural(activity_type, counts[activity_type]), points, "engagement")
            )
    total = _capped(sum(part.points for part in parts), scoring.cap)
    return round(total), parts


def score_lead(
    scoring: Scoring, lead: Lead, activities: Iterable[Engagement], as_of: datetime
) -> Score:
    """Fit and engagement of ``lead`` as of ``as_of``, with the breakdown."""
    fit, fit_parts = fit_score(scoring.fit, lead)
    engagement, engagement_parts = engagement_score(scoring.engagement, activities, as_of)
    parts = sorted([*fit_parts, *engagement_parts], key=lambda part: -part.points)
    return Score(fit, engagement, tuple(parts))
