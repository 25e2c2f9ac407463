"""Compact activity rows score, pick campaigns and give the last engagement exactly as the
same activities as objects do (the rows are what a sync loads; the objects are the general
path, which a plan of naive times or an as-of time in a zone with summer time still takes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.campaigns import Campaign, campaign_index, recent_campaigns
from funnelsync.contract import EngagementScoring
from funnelsync.engagement_rows import EngagementRow, EngagementRows, Touch, moment_of
from funnelsync.scoring import engagement_score
from funnelsync.stalling import last_engagement

AS_OF = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TYPES = ["email_click", "demo_request", "call", "webinar"]
CAMPAIGNS = [None, "Spring", " spring ", "Launch", "unknown"]
ASSETS = [None, "deck", "guide"]
OFFSETS = [0, 3600, -18000, 19800, -34200, 50400]

SCORING = EngagementScoring.model_validate(
    {
        "points": {"email_click": 3, "demo_request": 25, "call": 10, "webinar": 7},
        "overrides": [{"type": "webinar", "campaign": "Spring", "points": 40}],
        "caps": {"email_click": 20},
        "window_caps": {"call": {"days": 7, "points": 15}},
        "half_life_days": 30,
        "cap": 90,
    }
)
PLAIN = EngagementScoring.model_validate(
    {"points": {"email_click": 3, "demo_request": 25, "call": 10}, "window_caps": {}}
)
INDEX = campaign_index(
    [Campaign(id="spring", name="Spring"), Campaign(id="launch"), Campaign(id="summer")]
)

rows = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        # around the as-of time: before, on the very second, after; days and years back
        st.integers(int(AS_OF.timestamp()) - 400 * 86_400, int(AS_OF.timestamp()) + 3 * 86_400)
        | st.sampled_from([int(AS_OF.timestamp()), int(AS_OF.timestamp()) - 43_200]),
        st.sampled_from([0, 0, 1, 999_999]),
        st.sampled_from(OFFSETS),
        st.sampled_from(CAMPAIGNS),
        st.sampled_from(ASSETS),
    ),
    max_size=30,
)
as_ofs = st.sampled_from(
    [
        AS_OF,
        AS_OF.replace(microsecond=500_000),
        AS_OF.astimezone(timezone(timedelta(hours=-5))),
        AS_OF.astimezone(timezone(timedelta(hours=13, minutes=45))),
        AS_OF.astimezone(ZoneInfo("Europe/Berlin")),  # not a fixed offset: the general path
    ]
)


def _objects(found: list[EngagementRow]) -> list[Touch]:
    """The same activities as objects, built here (not through :class:`EngagementRows`)."""
    return [
        Touch(kind, moment_of(seconds, micros, offset), campaign, asset)
        for kind, seconds, micros, offset, campaign, asset in found
    ]


@settings(max_examples=400, deadline=None)
@given(found=rows, as_of=as_ofs)
def test_rows_score_as_the_same_activities_as_objects(
    found: list[EngagementRow], as_of: datetime
) -> None:
    for scoring in (SCORING, PLAIN):
        assert engagement_score(scoring, EngagementRows(found), as_of) == engagement_score(
            scoring, _objects(found), as_of
        )


@settings(max_examples=300, deadline=None)
@given(found=rows)
def test_rows_pick_the_same_recent_campaigns_and_last_engagement(
    found: list[EngagementRow],
) -> None:
    objects = _objects(found)
    assert recent_campaigns(INDEX, EngagementRows(found)) == recent_campaigns(INDEX, objects)
    latest = EngagementRows(found).latest(AS_OF)
    expected = last_engagement((touch.occurred_at for touch in objects), AS_OF)
    assert latest == expected
    assert (latest and latest.isoformat()) == (expected and expected.isoformat())


def test_rows_are_read_as_rows_not_as_objects() -> None:
    """The shortcut is taken: scoring rows makes no object (a row the objects' way would
    fail here: its time cannot be made into a datetime)."""
    beyond: Any = 10**12  # year 33658: datetime cannot hold it
    found: list[EngagementRow] = [("call", int(AS_OF.timestamp()) - 86_400, 0, 0, "Spring", None)]
    found.append(("call", beyond, 0, 0, None, None))
    score, parts = engagement_score(PLAIN, EngagementRows(found), AS_OF)
    assert (score, [part.label for part in parts]) == (10, ["call (yesterday)"])
    assert recent_campaigns(INDEX, EngagementRows(found)) == [INDEX["spring"]]


def test_a_time_without_a_zone_takes_the_general_path() -> None:
    """A row stored without an offset is a naive time: the rows are not ``aware`` and the
    objects' rules apply (which refuse to compare it with an aware as-of time)."""
    rows_ = EngagementRows([("call", int(AS_OF.timestamp()), 0, None, None, None)])
    assert not rows_.aware
    assert rows_[0].occurred_at.tzinfo is None
