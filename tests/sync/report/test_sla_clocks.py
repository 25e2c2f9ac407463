"""SLA clocks: which touch stops which clock, and a lead exactly at its due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey, build_journey, stage_layout
from funnelsync.sync.report.period import Period
from funnelsync.sync.report.sla import SlaStatus, Urgency, sla_clocks, sla_figures, waiting_leads

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "subscriber", "team": "marketing"},
            {"name": "mql", "team": "marketing"},
            {"name": "sal", "team": "sales"},
            {"name": "sql", "team": "sales"},
        ],
        "sla": [{"stage": "mql", "within_hours": 24}, {"stage": "sal", "within_hours": 48}],
    }
)
ENTERED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _journey(stage: str) -> Journey:
    journey = build_journey(
        stage_layout(CONTRACT), 1, "ann@example.com", stage, {stage: ENTERED}, [], {}
    )
    assert journey is not None
    return journey


def test_a_sales_touch_stops_the_clock_of_a_marketing_owned_stage() -> None:
    touch = ENTERED + timedelta(hours=3)
    [clock] = sla_clocks(CONTRACT, [_journey("mql")], {1: [touch]})
    assert clock.stopped == touch
    assert clock.status(ENTERED + timedelta(days=5)) is SlaStatus.met


def test_a_sales_touch_does_not_stop_the_clock_of_a_sales_owned_stage() -> None:
    """An accepted lead (sal) must be qualified or recycled, a call alone is not enough."""
    touch = ENTERED + timedelta(hours=3)
    [clock] = sla_clocks(CONTRACT, [_journey("sal")], {1: [touch]})
    assert clock.stopped is None
    assert clock.status(ENTERED + timedelta(days=5)) is SlaStatus.breached
    [waiting] = waiting_leads([clock], ENTERED + timedelta(days=5))
    assert waiting.urgency is Urgency.past_due


def test_a_lead_exactly_at_its_due_time_is_due_not_past_due() -> None:
    [clock] = sla_clocks(CONTRACT, [_journey("mql")], {})
    due = ENTERED + timedelta(hours=24)
    assert clock.due == due
    assert clock.status(due) is SlaStatus.open
    [waiting] = waiting_leads([clock], due)
    assert (waiting.urgency, waiting.hours_past_due) == (Urgency.due_soon, 0.0)
    [later] = waiting_leads([clock], due + timedelta(seconds=1))
    assert later.urgency is Urgency.past_due
    assert clock.status(due + timedelta(seconds=1)) is SlaStatus.breached


def test_a_clock_stopped_exactly_at_its_due_time_is_met() -> None:
    touch = ENTERED + timedelta(hours=24)
    [clock] = sla_clocks(CONTRACT, [_journey("mql")], {1: [touch]})
    assert clock.status(ENTERED + timedelta(days=3)) is SlaStatus.met


def test_a_period_counts_the_clocks_started_from_its_first_instant_to_before_its_end() -> None:
    start = ENTERED
    period = Period(start, start + timedelta(days=7))
    journeys = [
        _journey_at(1, start - timedelta(seconds=1)),  # just before: not this period's
        _journey_at(2, start),  # the first instant: counts
        _journey_at(3, period.end - timedelta(seconds=1)),  # the last second: counts
        _journey_at(4, period.end),  # the end: the next period's
    ]
    clocks = sla_clocks(CONTRACT, journeys, {})
    figures = sla_figures(clocks, period, period.end)
    assert (figures.total.met, figures.total.breached, figures.total.open) == (0, 1, 1)
    assert [(a.key, a.breached + a.open) for a in figures.rules] == [("mql", 2)]
    assert [(a.key, a.breached + a.open) for a in figures.owners] == [("(unassigned)", 2)]
    assert [(a.key, a.breached + a.open) for a in figures.weeks] == [
        ("2026-03-02", 1),
        ("2026-03-09", 1),
    ]


def _journey_at(person: int, entered: datetime) -> Journey:
    journey = build_journey(
        stage_layout(CONTRACT), person, f"p{person}@example.com", "mql", {"mql": entered}, [], {}
    )
    assert journey is not None
    return journey


def test_a_clock_stopped_at_the_moment_asked_about_is_no_longer_waiting() -> None:
    touch = ENTERED + timedelta(hours=3)
    [clock] = sla_clocks(CONTRACT, [_journey("mql")], {1: [touch]})
    assert waiting_leads([clock], touch) == []
    [waiting] = waiting_leads([clock], touch - timedelta(seconds=1))
    assert waiting.clock is clock
    assert waiting_leads([clock], ENTERED - timedelta(seconds=1)) == []  # not started yet
