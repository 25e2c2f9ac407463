"""Campaigns and talking points declared in the funnel contract, and which points a lead gets.

A lead's talking points are those of its stage, then those of the contract's campaigns it
engaged with most recently (at most :data:`MAX_CAMPAIGNS`), newest first, each point once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from funnelsync.engagement_rows import EngagementRows

MAX_CAMPAIGNS = 3
"""How many of a lead's most recent campaigns contribute talking points."""

POINT_SEPARATOR = " · "
"""Between two points in the ``talking_points`` field written to the systems."""


def _clean_point(point: str) -> str:
    cleaned = " ".join(point.split())
    if not cleaned:
        raise ValueError("a talking point is empty")
    if POINT_SEPARATOR in cleaned:
        raise ValueError(f"{cleaned!r} holds {POINT_SEPARATOR.strip()!r}, which separates points")
    return cleaned


TalkingPoint = Annotated[str, AfterValidator(_clean_point)]
"""One thing sales can say: one line of text (spaces collapsed), without `` · ``."""


class Campaign(BaseModel):
    """A campaign both teams know about: what it said, when it ran, what sales can say."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="The campaign as activities name it.")
    name: str | None = Field(
        default=None, description="Another name activities may use; also how reports show it."
    )
    description: str | None = None
    start: date | None = Field(default=None, description="First day it ran (UTC).")
    end: date | None = Field(default=None, description="Last day it ran; none while it runs.")
    talking_points: list[TalkingPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Campaign:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        return self

    @property
    def label(self) -> str:
        """How reports name the campaign."""
        return self.name or self.id

    def matches(self, campaign: str) -> bool:
        """Whether an activity's ``campaign`` value is this campaign (id or name, any case)."""
        wanted = campaign.strip().casefold()
        return wanted == self.id.casefold() or (
            self.name is not None and wanted == self.name.casefold()
        )

    def active_between(self, first: date, last: date) -> bool:
        """Whether the campaign ran on any day from ``first`` to ``last`` (inclusive)."""
        return (self.start is None or self.start <= last) and (
            self.end is None or self.end >= first
        )


class CampaignTouch(Protocol):
    """What choosing talking points needs of an activity."""

    @property
    def campaign(self) -> str | None:
        """The campaign it belongs to, if any."""

    @property
    def occurred_at(self) -> datetime:
        """When it happened (timezone-aware)."""


def campaign_index(campaigns: Sequence[Campaign]) -> dict[str, Campaign]:
    """Campaign lookup by every name an activity may use (folded case)."""
    index: dict[str, Campaign] = {}
    for campaign in campaigns:
        index.setdefault(campaign.id.casefold(), campaign)
        if campaign.name:
            index.setdefault(campaign.name.casefold(), campaign)
    return index


def recent_campaigns(
    index: dict[str, Campaign], activities: Iterable[CampaignTouch], limit: int = MAX_CAMPAIGNS
) -> list[Campaign]:
    """The contract's campaigns engaged with, most recent first, at most ``limit``."""
    touches: Iterable[tuple[str | None, Any]]
    if isinstance(activities, EngagementRows) and activities.aware:
        # Compact rows: their (seconds, microseconds) order the instants as times do.
        touches = ((row[4], (row[1], row[2])) for row in activities.rows)
    else:
        touches = ((activity.campaign, activity.occurred_at) for activity in activities)
    latest: dict[str, tuple[Any, Campaign]] = {}
    for name, occurred in touches:
        if not name:
            continue
        campaign = index.get(name.strip().casefold())
        if campaign is None:
            continue
        seen = latest.get(campaign.id)
        if seen is None or occurred > seen[0]:
            latest[campaign.id] = (occurred, campaign)
    ordered = sorted(latest.values(), key=lambda item: (item[0], item[1].id), reverse=True)
    return [campaign for _, campaign in ordered[:limit]]


def talking_points(
    stage_points: Sequence[str], campaigns: Sequence[Campaign]
) -> list[TalkingPoint]:
    """The stage's points, then each campaign's, each point once, in that order."""
    points: list[str] = []
    for point in [*stage_points, *(p for c in campaigns for p in c.talking_points)]:
        if point not in points:
            points.append(point)
    return points


def points_text(points: Sequence[str]) -> str | None:
    """The points as one field value (``None`` when there are none)."""
    return POINT_SEPARATOR.join(points) or None


def points_list(text: str | None) -> list[TalkingPoint]:
    """The points of a ``talking_points`` field value (the reverse of :func:`points_text`)."""
    return [point for point in (text or "").split(POINT_SEPARATOR) if point]
