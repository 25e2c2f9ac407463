"""The report's fast grouping agrees with the rules it stands for, on a hand-made history.

Segment breakdowns place each lead by :func:`segments_of` (a field's value, or every
campaign engaged with before the period's end), and campaigns communicated merge the
names activities use for one contract campaign. Both are done in one pass per report;
these tests build the same figures the slow, obvious way and compare.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.campaigns import (
    campaign_figures,
    campaign_influence,
    campaign_influences,
)
from funnelsync.sync.report.communicated import communicated_campaigns
from funnelsync.sync.report.figures import headline_of, lead_facts
from funnelsync.sync.report.journeys import Journey, build_journey, stage_layout
from funnelsync.sync.report.period import resolve_period
from funnelsync.sync.report.segments import segment_figures, segments_of

CONTRACT = FunnelContract.model_validate(
    {
        "version": "1",
        "mql_stage": "mql",
        "sql_stage": "sql",
        "stages": [
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing"},
            {"name": "sql", "team": "sales"},
            {"name": "won", "team": "sales"},
        ],
        "campaigns": [
            {"id": "launch", "name": "Spring Launch"},
            {"id": "webinar"},
        ],
    }
)
PERIOD = resolve_period(date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1))
END = PERIOD.end.timestamp()
DAY = 86400.0


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC) + timedelta(days=day - 1)


def _journey(person: int, dates: dict[str, datetime], **fields: str) -> Journey:
    stage = max(dates, key=lambda name: dates[name])
    journey = build_journey(
        stage_layout(CONTRACT), person, f"p{person}@example.com", stage, dates, [], fields
    )
    assert journey is not None
    return journey


JOURNEYS = [
    _journey(1, {"lead": _at(2), "mql": _at(5)}, source="Ads", owner="ann"),
    _journey(2, {"lead": _at(-20), "mql": _at(3), "sql": _at(9)}, source="Ads"),
    _journey(3, {"lead": _at(10)}, source="Events", owner="bob"),
    _journey(4, {"lead": _at(-40), "mql": _at(-30), "sql": _at(4), "won": _at(20)}),
    _journey(5, {"lead": _at(31, 23)}, source="Ads"),
    _journey(6, {"lead": _at(-5), "mql": _at(12)}, owner="ann"),
    _journey(7, {"lead": _at(-50)}),
    _journey(8, {"lead": _at(-50)}),
    _journey(9, {"lead": _at(-60)}),
]
TOUCHES: dict[int, dict[str, list[float]]] = {
    1: {"Spring Launch": [_at(1).timestamp(), _at(6).timestamp()], "webinar": [_at(4).timestamp()]},
    2: {
        "launch": [_at(-25).timestamp()],
        "Webinar": [_at(2).timestamp()],
        "Early": [_at(-25).timestamp()],  # untouched in March, but its MQL and SQL were
    },
    3: {"Other": [END]},  # exactly at the period's end: not engaged before it
    4: {"launch": [_at(8).timestamp()], " Spring Launch ": [_at(-35).timestamp()]},
    5: {"webinar": [END - 1.0]},  # the period's last second: engaged
    6: {"Other": [_at(11).timestamp(), END + DAY]},
    7: {"Edge": [PERIOD.start.timestamp() - DAY, PERIOD.start.timestamp()]},  # touched
    8: {"Edge": [PERIOD.start.timestamp() - 1.0]},  # the second before March: not touched
    # No stage reached in March, Launch touched in it under two names: one lead for Launch.
    9: {"Spring Launch": [_at(7).timestamp()], "launch": [_at(-3).timestamp(), _at(8).timestamp()]},
}


@pytest.mark.parametrize("field", ["source", "owner", "campaign"])
def test_segment_figures_group_leads_as_segments_of_says(field: str) -> None:
    facts = lead_facts(CONTRACT, JOURNEYS, PERIOD)
    rows = segment_figures(CONTRACT, JOURNEYS, facts, field, TOUCHES, PERIOD)
    expected = {}
    names = {name for j in JOURNEYS for name in segments_of(j, field, TOUCHES, PERIOD.end)}
    for name in names:
        members = [
            fact
            for journey, fact in zip(JOURNEYS, facts, strict=True)
            if name in segments_of(journey, field, TOUCHES, PERIOD.end)
        ]
        figures = headline_of(members, True)
        if figures.new_leads or figures.mqls or figures.sqls or figures.won or figures.lost:
            expected[name] = figures
    assert {row.segment: row.figures for row in rows} == expected
    assert len(rows) >= 2


def test_campaign_segments_are_placed_by_the_first_touch_before_the_end() -> None:
    groups = {j.person_id: segments_of(j, "campaign", TOUCHES, PERIOD.end) for j in JOURNEYS}
    assert groups == {
        1: ["Spring Launch", "webinar"],
        2: ["launch", "Webinar", "Early"],
        3: ["(none)"],
        4: ["launch", " Spring Launch "],
        5: ["webinar"],
        6: ["Other"],
        7: ["Edge"],
        8: ["Edge"],
        9: ["Spring Launch", "launch"],
    }


def test_campaigns_communicated_merge_every_name_of_a_campaign_once_per_lead() -> None:
    influence = campaign_influence(CONTRACT, JOURNEYS, TOUCHES, PERIOD, contract_campaigns=True)
    rows = {row.id: row for row in communicated_campaigns(CONTRACT, PERIOD, influence.by_contract)}
    by_id = {
        1: {"launch": TOUCHES[1]["Spring Launch"], "webinar": TOUCHES[1]["webinar"]},
        2: {"launch": TOUCHES[2]["launch"], "webinar": TOUCHES[2]["Webinar"]},
        4: {"launch": sorted(TOUCHES[4]["launch"] + TOUCHES[4][" Spring Launch "])},
        5: {"webinar": TOUCHES[5]["webinar"]},
        9: {"launch": sorted(TOUCHES[9]["launch"] + TOUCHES[9]["Spring Launch"])},
    }
    figures = {row.campaign: row for row in campaign_figures(CONTRACT, JOURNEYS, by_id, PERIOD)}
    for campaign in ("launch", "webinar"):
        row, want = rows[campaign], figures[campaign]
        assert (row.touched, row.mqls, row.sqls, row.won) == (
            want.touched,
            want.mqls,
            want.sqls,
            want.won,
        )
    # Leads 4 and 9 touched Launch under two names: one lead each. Lead 4's first touch
    # was 35 days before March: its SQL (March 4) and win (March 20) count for Launch.
    assert (rows["launch"].touched, rows["launch"].sqls, rows["launch"].won) == (3, 2, 1)
    # "webinar" and "Webinar": leads 1, 2 and 5 touched it in March; 1 and 2 became MQLs
    # after their first touch.
    assert (rows["webinar"].touched, rows["webinar"].mqls) == (3, 2)


def test_campaign_figures_count_touched_leads_and_list_campaigns_with_influence_only() -> None:
    start = PERIOD.start.timestamp()
    rows = {row.campaign: row for row in campaign_figures(CONTRACT, JOURNEYS, TOUCHES, PERIOD)}
    for campaign, row in rows.items():
        touched = [
            person
            for person, by_name in TOUCHES.items()
            if any(start <= moment < END for moment in by_name.get(campaign, ()))
        ]
        assert row.touched == len(touched), campaign
    assert rows["Edge"].touched == 1  # lead 7's touch at March's first instant
    early = rows["Early"]
    assert (early.touched, early.mqls, early.sqls, early.won) == (0, 1, 1, 0)
    assert rows["Other"].touched == 1  # lead 6 on March 11; lead 3's touch at the end is out


@pytest.mark.parametrize("contract_campaigns", [False, True])
def test_one_pass_over_both_periods_gives_each_period_s_own_campaign_figures(
    contract_campaigns: bool,
) -> None:
    periods = (PERIOD, PERIOD.previous())
    both = campaign_influences(CONTRACT, JOURNEYS, TOUCHES, periods, contract_campaigns)
    alone = [
        campaign_influence(CONTRACT, JOURNEYS, TOUCHES, period, contract_campaigns)
        for period in periods
    ]
    assert both == alone
    # February has figures of its own (lead 4's MQL after its Launch touch, lead 2's and
    # lead 9's touches).
    february = {row.campaign: row for row in both[1].named}
    assert february[" Spring Launch "].mqls == 1
    assert february["launch"].touched == 2
    assert both[0].named != both[1].named
