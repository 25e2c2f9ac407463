"""Campaign touches as the report keeps them: flat columns of runs (one per lead and
campaign), read from many stored rows at once, and asked per period which runs were touched.

The columns must read back as the mapping they stand for (a lead without touches
included), and "touched in ``[start, end)``" must follow each touch, not a run's first and
last: a lead touched before and after a period, never in it, was not touched in it.
"""

from __future__ import annotations

from funnelsync.sync.report.touches import CampaignTouches
from funnelsync.sync.state.campaign_touches import decode, decode_rows, encode

ROWS = [
    {3: [1.5, 2.5], 1: [0.25]},
    {7: [9.0]},
    {2: [1.0, 1.0, 4.0], 5: [0.5], 9: [8.0, 8.5]},
]


def test_many_rows_decode_flat_as_each_decodes_alone() -> None:
    ids, counts, rows, moments = decode_rows([encode(row) for row in ROWS])
    expected_ids: list[int] = []
    expected_runs: list[list[float]] = []
    for row in ROWS:
        keys, runs = decode(encode(row))
        expected_ids += keys
        expected_runs += runs
    assert ids == expected_ids == [1, 3, 7, 2, 5, 9]
    assert rows == [2, 1, 3]
    assert counts == [len(run) for run in expected_runs]
    assert moments == [moment for run in expected_runs for moment in run]
    assert decode_rows([]) == ([], [], [], [])


def test_columns_read_back_as_the_mapping_they_were_built_from() -> None:
    touches = {
        5: {"Launch": [1.0, 3.0], "Webinar": [2.0]},
        9: {},  # a lead whose stored row names no campaign
        2: {"Launch": [7.0]},
    }
    flat = CampaignTouches.of(touches)
    assert dict(flat) == touches
    assert list(flat) == [5, 9, 2]
    assert len(flat.runs[9]) == 0 and flat.get(4) is None
    assert flat.first == [1.0, 2.0, 7.0]
    assert CampaignTouches.of(flat) is flat


def test_a_run_is_touched_in_a_window_only_by_a_touch_inside_it() -> None:
    flat = CampaignTouches.of({1: {"A": [10.0, 30.0]}, 2: {"A": [15.0], "B": [25.0]}, 3: {}})
    cache: dict[float, list[int]] = {}
    # Lead 1 touched A before and after [15, 25), never in it; lead 2 at its start.
    assert flat.in_window(15.0, 25.0, cache) == [False, True, False]
    # Adjacent windows share a bound: the same cache gives each window its own answer.
    assert flat.in_window(25.0, 40.0, cache) == [True, False, True]
    assert flat.in_window(10.0, 15.0, cache) == [True, False, False]
    assert flat.in_window(31.0, 40.0, {}) == [False, False, False]
    assert flat.in_window(29.0, 30.0, {}) == [False, False, False]  # 30 is the end: out
