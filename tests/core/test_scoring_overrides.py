"""Engagement overrides: points for an activity type when it concerns a campaign or an asset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from funnelsync.contract import EngagementScoring
from funnelsync.models import Activity
from funnelsync.scoring import engagement_score

AS_OF = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _scoring(*overrides: dict[str, Any]) -> EngagementScoring:
    return EngagementScoring.model_validate(
        {"points": {"content_download": 5}, "overrides": list(overrides)}
    )


def _download(campaign: str | None, asset: str | None) -> Activity:
    return Activity(
        email="ann@example.com",
        type="content_download",
        occurred_at=AS_OF - timedelta(hours=1),
        campaign=campaign,
        asset=asset,
    )


def test_an_override_without_a_campaign_matches_every_campaign() -> None:
    scoring = _scoring({"type": "content_download", "asset": "pricing-guide", "points": 20})
    for campaign in (None, "Spring Launch", "Retargeting"):
        points, _ = engagement_score(scoring, [_download(campaign, "pricing-guide")], AS_OF)
        assert points == 20, campaign


def test_an_override_without_an_asset_matches_every_asset() -> None:
    scoring = _scoring({"type": "content_download", "campaign": "Spring Launch", "points": 20})
    for asset in (None, "pricing-guide", "e-book"):
        points, _ = engagement_score(scoring, [_download("Spring Launch", asset)], AS_OF)
        assert points == 20, asset


def test_an_override_for_another_campaign_or_asset_leaves_the_type_points() -> None:
    scoring = _scoring(
        {"type": "content_download", "campaign": "Spring Launch", "points": 20},
        {"type": "content_download", "asset": "pricing-guide", "points": 30},
    )
    assert engagement_score(scoring, [_download("Retargeting", "e-book")], AS_OF)[0] == 5
    assert engagement_score(scoring, [_download(None, None)], AS_OF)[0] == 5


def test_two_activities_of_a_type_read_as_a_count() -> None:
    scoring = _scoring()
    activities = [_download(None, None), _download(None, None)]
    _, [part] = engagement_score(scoring, activities, AS_OF)
    assert (part.label, part.points) == ("2× content download", 10)
    _, [single] = engagement_score(scoring, activities[:1], AS_OF)
    assert single.label == "content download (today)"
