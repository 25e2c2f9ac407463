"""Velocity keeps fractions of a day: 36 hours from MQL to SQL is 1.5 days, not 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.figures import day_stats, headline_of, lead_facts
from funnelsync.sync.report.journeys import build_journey, stage_layout
from funnelsync.sync.report.period import Period

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "mql", "team": "marketing"},
            {"name": "sql", "team": "sales"},
        ],
        "sql_stage": "sql",
    }
)
START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = Period(START, START + timedelta(days=30))


def test_median_days_from_mql_to_sql_keep_the_fraction() -> None:
    layout = stage_layout(CONTRACT)
    journeys = []
    for person, hours in enumerate((36, 60, 6), start=1):
        mql = START + timedelta(days=person, hours=9)
        dates = {"mql": mql, "sql": mql + timedelta(hours=hours)}
        journey = build_journey(layout, person, f"p{person}@example.com", "sql", dates, [], {})
        assert journey is not None
        journeys.append(journey)
    facts = lead_facts(CONTRACT, journeys, PERIOD)
    assert [fact.days_to_sql for fact in facts] == [1.5, 2.5, 0.25]
    assert headline_of(facts, has_sql_stage=True).median_days_mql_to_sql == 1.5


def test_days_in_a_stage_keep_the_fraction() -> None:
    assert day_stats([timedelta(hours=36), timedelta(hours=6)]) == (0.88, 0.88)
    assert day_stats([timedelta(hours=12)]) == (0.5, 0.5)
