"""Scoring: fit from who the lead is, engagement from what they did, with caps and decay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from funnelsync.contract import FunnelContract, Scoring
from funnelsync.models import Activity, Lead
from funnelsync.scoring import Score, ScorePart, engagement_score, fit_score, score_lead

EMAIL = "ana.silva@acme.example"
AS_OF = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _scoring(scoring: dict[str, Any]) -> Scoring:
    contract = FunnelContract.model_validate(
        {
            "version": "2026-11-01",
            "stages": [
                {"name": "subscriber", "team": "marketing"},
                {"name": "mql", "team": "marketing", "entry": {"fit_min": 30}},
            ],
            "scoring": scoring,
        }
    )
    return contract.scoring


FIT_RULES: list[dict[str, Any]] = [
    {
        "field": "title",
        "matches": r"(?i)\b(vp|head|director)\b",
        "points": 20,
        "label": "Senior title",
    },
    {"field": "industry", "in": ["Healthcare", "Software"], "points": 15},
    {"field": "company_size", "min": 200, "max": 5000, "points": 10, "label": "Mid-market"},
    {"field": "title", "matches": "(?i)student", "points": -30, "label": "Student"},
]

ENGAGEMENT: dict[str, Any] = {
    "points": {"email_click": 5, "demo_request": 30, "webinar": 10},
    "caps": {"email_click": 15},
}

SCORING = _scoring({"fit": {"rules": FIT_RULES}, "engagement": ENGAGEMENT})


def _lead(**fields: Any) -> Lead:
    return Lead(email=EMAIL, **fields)


def _activity(kind: str, occurred_at: datetime) -> Activity:
    return Activity(email=EMAIL, type=kind, occurred_at=occurred_at)


def _days_ago(days: int, *, hour: int = 8) -> datetime:
    return datetime(2026, 11, 2, hour, tzinfo=UTC) - timedelta(days=days)


# --- fit --------------------------------------------------------------------------------


def test_fit_adds_the_points_of_every_rule_the_lead_meets() -> None:
    lead = _lead(title="VP Marketing", industry="software", company_size=800)
    points, parts = fit_score(SCORING.fit, lead)
    assert points == 45
    assert {(part.label, part.points) for part in parts} == {
        ("Senior title", 20),
        ("industry in Healthcare, Software", 15),
        ("Mid-market", 10),
    }
    assert all(part.kind == "fit" for part in parts)


def test_fit_rule_without_a_label_reads_as_its_condition() -> None:
    _, parts = fit_score(SCORING.fit, _lead(industry="Healthcare"))
    assert [part.label for part in parts] == ["industry in Healthcare, Software"]


def test_negative_fit_points_take_points_away() -> None:
    lead = _lead(title="Student, Head of the Chess Club", industry="Software")
    points, parts = fit_score(SCORING.fit, lead)
    assert points == 20 + 15 - 30
    assert ("Student", -30) in {(part.label, part.points) for part in parts}


def test_fit_is_capped() -> None:
    scoring = _scoring({"fit": {"rules": FIT_RULES, "cap": 30}})
    lead = _lead(title="VP Marketing", industry="Software", company_size=800)
    points, parts = fit_score(scoring.fit, lead)
    assert points == 30
    # the breakdown still says what the lead earned
    assert sum(part.points for part in parts) == 45


def test_a_lead_meeting_no_rule_has_no_fit() -> None:
    assert fit_score(SCORING.fit, _lead()) == (0, [])


# --- engagement: points and caps --------------------------------------------------------


def test_engagement_points_per_activity_type() -> None:
    activities = [
        _activity("demo_request", _days_ago(1)),
        _activity("webinar", _days_ago(3)),
        _activity("email_click", _days_ago(2)),
    ]
    points, parts = engagement_score(SCORING.engagement, activities, AS_OF)
    assert points == 30 + 10 + 5
    assert {(part.label, part.points) for part in parts} == {
        ("demo request (yesterday)", 30),
        ("webinar (3 days ago)", 10),
        ("email click (2 days ago)", 5),
    }
    assert all(part.kind == "engagement" for part in parts)


def test_each_activity_type_is_capped_on_its_own() -> None:
    clicks = [_activity("email_click", _days_ago(day)) for day in range(1, 5)]
    webinars = [_activity("webinar", _days_ago(day)) for day in range(1, 4)]
    points, parts = engagement_score(SCORING.engagement, [*clicks, *webinars], AS_OF)
    # 4 clicks x 5 = 20, capped at 15; webinars have no cap: 3 x 10 = 30
    assert points == 45
    assert {(part.label, part.points) for part in parts} == {
        ("4× email click", 15),
        ("3× webinar", 30),
    }


def test_engagement_total_is_capped() -> None:
    scoring = _scoring({"engagement": {**ENGAGEMENT, "cap": 40}})
    activities = [_activity("demo_request", _days_ago(1)), _activity("webinar", _days_ago(1))]
    points, _ = engagement_score(scoring.engagement, activities, AS_OF)
    assert points == 40


def test_unknown_activity_types_give_nothing() -> None:
    activities = [_activity("page_view", _days_ago(1)), _activity("Email_Click", _days_ago(1))]
    assert engagement_score(SCORING.engagement, activities, AS_OF) == (0, [])


def test_no_activities_no_engagement() -> None:
    assert engagement_score(SCORING.engagement, [], AS_OF) == (0, [])


def test_activities_after_as_of_are_ignored() -> None:
    activities = [
        _activity("demo_request", AS_OF + timedelta(minutes=1)),
        _activity("webinar", AS_OF),  # exactly at as_of counts
    ]
    points, parts = engagement_score(SCORING.engagement, activities, AS_OF)
    assert points == 10
    assert [part.label for part in parts] == ["webinar (today)"]


# --- engagement: decay ------------------------------------------------------------------

DECAYING = _scoring({"engagement": {"points": {"demo_request": 40}, "half_life_days": 30}})


@pytest.mark.parametrize(("days", "expected"), [(0, 40), (30, 20), (60, 10), (90, 5)])
def test_half_life_halves_the_points_every_30_days(days: int, expected: int) -> None:
    activity = _activity("demo_request", _days_ago(days))
    assert engagement_score(DECAYING.engagement, [activity], AS_OF)[0] == expected


def test_activities_of_different_ages_each_decay_by_their_own_age() -> None:
    activities = [
        _activity("demo_request", _days_ago(d)) for d in (0, 30, 60, 30, 0, 90)
    ]  # 40 + 20 + 10 + 20 + 40 + 5
    assert engagement_score(DECAYING.engagement, activities, AS_OF)[0] == 135


def test_decay_counts_whole_calendar_days() -> None:
    # 29 days and 1 minute of clock time, but 30 calendar days: counts as 30 days
    activity = _activity("demo_request", datetime(2026, 10, 3, 23, 59, tzinfo=UTC))
    as_of = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    assert engagement_score(DECAYING.engagement, [activity], as_of)[0] == 20


def test_two_runs_on_the_same_day_give_the_same_score() -> None:
    activities = [
        _activity("demo_request", _days_ago(17, hour=8)),
        _activity("demo_request", _days_ago(45, hour=22)),
    ]
    early = datetime(2026, 11, 2, 0, 5, tzinfo=UTC)
    late = datetime(2026, 11, 2, 23, 55, tzinfo=UTC)
    assert engagement_score(DECAYING.engagement, activities, early) == engagement_score(
        DECAYING.engagement, activities, late
    )
    next_day = datetime(2026, 11, 3, 0, 5, tzinfo=UTC)
    assert (
        engagement_score(DECAYING.engagement, activities, next_day)[0]
        < engagement_score(DECAYING.engagement, activities, late)[0]
    )


def test_the_same_instant_in_another_zone_has_the_same_age() -> None:
    scoring = _scoring({"engagement": {"points": {"demo_request": 100}, "half_life_days": 30}})
    instant = datetime(2026, 10, 4, 3, 0, tzinfo=UTC)  # 29 days before AS_OF, in UTC
    new_york = instant.astimezone(timezone(timedelta(hours=-5)))  # still 3 October there
    as_utc = engagement_score(scoring.engagement, [_activity("demo_request", instant)], AS_OF)
    as_ny = engagement_score(scoring.engagement, [_activity("demo_request", new_york)], AS_OF)
    assert as_ny == as_utc


def test_caps_apply_to_the_decayed_points() -> None:
    scoring = _scoring(
        {
            "engagement": {
                "points": {"email_click": 10},
                "caps": {"email_click": 25},
                "half_life_days": 30,
            }
        }
    )
    # 4 clicks 60 days ago: 4 x 10 x 0.25 = 10, below the cap of 25
    clicks = [_activity("email_click", _days_ago(60)) for _ in range(4)]
    assert engagement_score(scoring.engagement, clicks, AS_OF)[0] == 10
    # 4 fresh clicks: 40, capped at 25
    fresh = [_activity("email_click", _days_ago(0)) for _ in range(4)]
    assert engagement_score(scoring.engagement, fresh, AS_OF)[0] == 25


def test_an_activity_that_decayed_to_nothing_leaves_no_part() -> None:
    scoring = _scoring({"engagement": {"points": {"email_open": 1}, "half_life_days": 7}})
    old = _activity("email_open", _days_ago(70))
    assert engagement_score(scoring.engagement, [old], AS_OF) == (0, [])


# --- the whole score --------------------------------------------------------------------


def test_score_total_is_fit_plus_engagement() -> None:
    score = Score(fit=35, engagement=52, parts=())
    assert score.total == 87


def test_score_lead_breakdown_lists_the_biggest_parts_first() -> None:
    lead = _lead(title="Head of Growth", industry="Healthcare", company_size=300)
    activities = [
        *(_activity("email_click", _days_ago(day)) for day in range(1, 5)),
        _activity("demo_request", _days_ago(2)),
    ]
    score = score_lead(SCORING, lead, activities, AS_OF)
    assert (score.fit, score.engagement, score.total) == (45, 45, 90)
    assert score.parts == (
        ScorePart("demo request (2 days ago)", 30, "engagement"),
        ScorePart("Senior title", 20, "fit"),
        ScorePart("industry in Healthcare, Software", 15, "fit"),
        ScorePart("4× email click", 15, "engagement"),
        ScorePart("Mid-market", 10, "fit"),
    )


def test_score_lead_puts_negative_parts_last() -> None:
    lead = _lead(title="Student", industry="Software")
    score = score_lead(SCORING, lead, [_activity("webinar", _days_ago(1))], AS_OF)
    assert [part.points for part in score.parts] == [15, 10, -30]
    assert score.total == -15 + 10
