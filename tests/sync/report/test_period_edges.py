"""Leads that did nothing in a period still stand in their stage; a move exactly at the
period's start counts in it, one exactly at its end does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.build import trend
from funnelsync.sync.report.figures import IDLE, headline_of, lead_facts, stage_figures
from funnelsync.sync.report.journeys import Journey, build_journey, stage_layout
from funnelsync.sync.report.period import Period

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing"},
            {"name": "sql", "team": "sales"},
        ],
        "sql_stage": "sql",
    }
)
START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=30)
PERIOD = Period(START, END)


def _journey(person: int, stage: str, dates: dict[str, datetime]) -> Journey:
    journey = build_journey(
        stage_layout(CONTRACT), person, f"p{person}@example.com", stage, dates, [], {}
    )
    assert journey is not None
    return journey


def _journeys() -> list[Journey]:
    before = START - timedelta(days=20)
    return [
        # moved lead → mql before the period, still in mql
        _journey(1, "mql", {"lead": before, "mql": before + timedelta(days=5)}),
        # came in and reached mql at the very start of the period
        _journey(2, "mql", {"lead": START - timedelta(days=1), "mql": START}),
        # came in exactly at the period's end, and after it
        _journey(3, "lead", {"lead": END}),
        _journey(4, "sql", {"lead": END + timedelta(days=2), "sql": END + timedelta(days=3)}),
        # came in at the start
        _journey(5, "lead", {"lead": START}),
    ]


def test_only_moves_in_the_period_count_in_the_headline() -> None:
    facts = lead_facts(CONTRACT, _journeys(), PERIOD)
    assert [fact == IDLE for fact in facts] == [True, False, True, True, False]
    headline = headline_of(facts, has_sql_stage=True)
    assert (headline.new_leads, headline.mqls, headline.sqls) == (1, 1, 0)


def test_leads_that_did_nothing_in_the_period_still_stand_in_their_stage() -> None:
    figures = {figure.stage: figure for figure in stage_figures(CONTRACT, _journeys(), PERIOD)}
    lead, mql, sql = figures["lead"], figures["mql"], figures["sql"]
    assert (lead.opening, lead.inflow, lead.outflow, lead.balance) == (1, 1, 1, 1)
    assert (mql.opening, mql.inflow, mql.outflow, mql.balance) == (1, 1, 0, 2)
    assert (sql.opening, sql.inflow, sql.balance) == (0, 0, 0)
    assert (lead.reached, mql.reached) == (1, 1)


def test_the_trend_counts_a_move_at_its_first_instant_and_none_at_its_end() -> None:
    previous = PERIOD.previous()
    journeys = [
        _journey(1, "mql", {"lead": previous.start, "mql": END - timedelta(seconds=1)}),
        _journey(2, "sql", {"lead": START, "mql": END, "sql": END + timedelta(days=1)}),
        _journey(3, "lead", {"lead": previous.start - timedelta(seconds=1)}),
    ]
    unit, points = trend(CONTRACT, journeys, (previous, PERIOD))
    assert unit == "week"
    new = {point.bucket.start: point.new_leads for point in points if point.new_leads}
    assert new == {previous.start: 1, START: 1}  # lead 3 came in before the trend began
    assert sum(point.mqls for point in points) == 1  # lead 2's MQL at the end is out
    assert points[-1].mqls == 1 and points[-1].sqls == 0
