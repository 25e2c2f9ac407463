"""The order of the run-status rules: when several apply, the first decides, and its words
name what an admin must look at (issue 4's exit codes; rules in ``engine/outcome.py``)."""

from __future__ import annotations

import pytest

from funnelsync.run_report import ConnectionCounts, RunStatus
from funnelsync.sync.engine.outcome import decide

SHARE = 0.2


def _counts(**marketing: int) -> dict[str, ConnectionCounts]:
    return {
        "marketing": ConnectionCounts(**marketing),
        "sales": ConnectionCounts(rows_read=0),
    }


@pytest.mark.parametrize(
    ("counts", "stops", "error", "undelivered", "status", "words"),
    [
        (_counts(refused=3), ["budget"], "disk full", [], "failed", "disk full"),
        (_counts(refused=3, held=1), ["budget spent"], None, ["ann"], "partial", "stopped early"),
        (
            _counts(rows_read=4, rows_quarantined=4, refused=2),
            [],
            None,
            [],
            "failed",
            "nothing could be read or written (4 of 4 rows read quarantined, 2 writes refused",
        ),
        # A write retried from the last run landed: something was done, so not "failed";
        # every row read was bad, so more than the share.
        (
            _counts(rows_read=4, rows_quarantined=4, updated=1),
            [],
            None,
            [],
            "partial",
            "4 of 4 rows read quarantined (100.0%, more than max_quarantined_share 20%)",
        ),
        (
            _counts(rows_read=10, refused=2, held=5),
            [],
            None,
            ["ann"],
            "partial",
            "2 writes refused by the system (marketing 2)",
        ),
        (
            _counts(rows_read=10, held=5),
            [],
            None,
            ["ann"],
            "partial",
            "5 writes left for the next run (marketing 5)",
        ),
        (
            _counts(rows_read=10, rows_quarantined=9),
            [],
            None,
            ["ann@x.com to owner@x.com"],
            "partial",
            "1 hand-off deliveries failed, retried next run (first: ann@x.com to owner@x.com)",
        ),
        (
            _counts(rows_read=10, rows_quarantined=2),
            [],
            None,
            [],
            "ok",
            "every planned write landed; 2 of 10 rows read quarantined (20.0%, allowed up to 20%)",
        ),
        (
            _counts(rows_read=10, rows_quarantined=3),
            [],
            None,
            [],
            "partial",
            "3 of 10 rows read quarantined (30.0%, more than max_quarantined_share 20%)",
        ),
        (_counts(), [], None, [], "ok", "0 of 0 rows read quarantined"),
    ],
)
def test_the_first_rule_that_applies_decides_and_says_why(
    counts: dict[str, ConnectionCounts],
    stops: list[str],
    error: str | None,
    undelivered: list[str],
    status: str,
    words: str,
) -> None:
    outcome = decide(counts, stops, SHARE, error, undelivered)
    assert outcome.status is RunStatus(status)
    assert words in outcome.rule
