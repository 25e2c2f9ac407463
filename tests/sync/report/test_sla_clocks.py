"""SLA clocks: which touch stops which clock, and a lead exactly at its due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Journey, build_journey, stage_layout
from funnelsync.sync.report.sla import SlaStatus, Urgency, sla_clocks, waiting_leads

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
