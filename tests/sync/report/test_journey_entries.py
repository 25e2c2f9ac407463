"""A journey read from a ``journeys`` row's text: entries repeated in stage dates and moves
(even spelt with another offset) are one entry, entries at one moment follow the contract
with the current stage last, and stages the contract does not know are left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.journeys import Stay, build_journey, journey_from_text, stage_layout

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing"},
            {"name": "sal", "team": "sales"},
            {"name": "sql", "team": "sales"},
        ],
        "detours": [{"name": "recycled", "team": "marketing"}],
        "sql_stage": "sql",
    }
)
LAYOUT = stage_layout(CONTRACT)
T1 = datetime(2026, 3, 1, 9, tzinfo=UTC)
T2 = datetime(2026, 3, 5, 12, 30, tzinfo=UTC)
T3 = datetime(2026, 3, 9, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def _text(*entries: tuple[str, datetime]) -> str:
    return "\t".join(f"{stage}\t{at.isoformat()}" for stage, at in entries)


def test_repeated_entries_are_one_and_one_moment_follows_the_contract() -> None:
    # Stage dates, then the moves the runs made: lead and mql are in both (mql once spelt
    # at +02:00); at T2 the lead entered mql, sql and sal, and sql is where it stands now.
    dates = _text(("lead", T1), ("mql", T2), ("webinar", T1))
    moves = _text(("lead", T1), ("mql", T2.astimezone(PLUS_TWO)), ("sql", T2), ("sal", T2))
    journey = journey_from_text(LAYOUT, 7, "a@example.com", "sql", f"{dates}\t{moves}", {})
    assert journey is not None
    assert journey.stays == [
        Stay("lead", T1, T2),
        Stay("mql", T2, T2),
        Stay("sal", T2, T2),
        Stay("sql", T2, None),
    ]
    assert journey.reach == [T1, T2, T2, T2]
    assert journey.entered == {"lead": T1, "mql": T2, "sal": T2, "sql": T2}


def test_a_lead_back_in_a_stage_has_two_stays_and_its_first_entry_counts() -> None:
    entries = _text(("lead", T1), ("recycled", T2), ("lead", T3), ("recycled", T2))
    journey = journey_from_text(LAYOUT, 8, "b@example.com", "lead", entries, {})
    assert journey is not None
    assert journey.stays == [Stay("lead", T1, T2), Stay("recycled", T2, T3), Stay("lead", T3, None)]
    assert journey.entered == {"lead": T1, "recycled": T2}
    assert journey.reach == [T1, None, None, None]


def test_the_current_stage_without_an_entry_stands_from_the_last_one() -> None:
    journey = journey_from_text(LAYOUT, 9, "c@example.com", "mql", _text(("lead", T1)), {})
    assert journey is not None
    assert journey.stays == [Stay("lead", T1, T1), Stay("mql", T1, None)]
    assert journey_from_text(LAYOUT, 9, "c@example.com", "mql", _text(("webinar", T1)), {}) is None
    assert journey_from_text(LAYOUT, 9, "c@example.com", "mql", None, {}) is None


def test_text_and_parsed_entries_give_the_same_journey() -> None:
    dates = {"lead": T1, "mql": T2, "webinar": T3}
    moves = [("mql", T2), ("sal", T3), ("recycled", T3), ("sal", T3)]
    for current in ("sal", "recycled", "mql", None):
        built = build_journey(LAYOUT, 1, "d@example.com", current, dates, moves, {"x": "y"})
        text = f"{_text(*dates.items())}\t{_text(*moves)}"
        assert journey_from_text(LAYOUT, 1, "d@example.com", current, text, {"x": "y"}) == built


def test_a_single_entry_reaches_its_path_stage_and_those_before_it_only() -> None:
    at = T2.astimezone(PLUS_TWO)  # the moment kept as it was spelt
    journey = journey_from_text(LAYOUT, 2, "e@example.com", "sal", _text(("sal", at)), {})
    assert journey is not None
    assert journey.stays == [Stay("sal", at, None)]
    assert journey.reach == [at, at, at, None]
    assert journey.reach[0].utcoffset() == timedelta(hours=2)
    assert journey.entered == {"sal": at}
    # The last path stage: every stage reached; a detour: none.
    last = journey_from_text(LAYOUT, 2, "e@example.com", None, _text(("sql", T1)), {})
    assert last is not None and last.reach == [T1, T1, T1, T1]
    detour = journey_from_text(LAYOUT, 2, "e@example.com", "recycled", _text(("recycled", T1)), {})
    assert detour is not None
    assert detour.stays == [Stay("recycled", T1, None)] and detour.reach == [None] * 4


def test_a_single_entry_in_another_stage_than_the_current_one_is_two_stays() -> None:
    journey = journey_from_text(LAYOUT, 3, "f@example.com", "recycled", _text(("mql", T1)), {})
    assert journey is not None
    assert journey.stays == [Stay("mql", T1, T1), Stay("recycled", T1, None)]
    assert journey.reach == [T1, T1, None, None]
    # A current stage the contract does not know adds no stay.
    unknown = journey_from_text(LAYOUT, 3, "f@example.com", "webinar", _text(("mql", T1)), {})
    assert unknown is not None and unknown.stays == [Stay("mql", T1, None)]
