"""Report periods: whole UTC days, the previous period, and trend buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from funnelsync.sync.report.period import (
    PeriodError,
    resolve_period,
    trend_buckets,
    trend_unit,
    week_key,
)


def test_defaults_are_thirty_days_ending_today() -> None:
    period = resolve_period(None, None, date(2026, 3, 31))
    assert (period.first_day, period.last_day, period.days) == (
        date(2026, 3, 2), date(2026, 3, 31), 30,
    )  # fmt: skip
    assert period.end == datetime(2026, 4, 1, tzinfo=UTC)
    assert period.label() == "2 Mar 2026 – 31 Mar 2026"


def test_the_previous_period_has_the_same_length_and_ends_at_the_start() -> None:
    period = resolve_period(date(2026, 3, 1), date(2026, 3, 31), date(2026, 6, 1))
    previous = period.previous()
    assert (previous.first_day, previous.last_day) == (date(2026, 1, 29), date(2026, 2, 28))
    assert previous.end == period.start


def test_a_reversed_period_is_an_error() -> None:
    with pytest.raises(PeriodError, match="after"):
        resolve_period(date(2026, 3, 2), date(2026, 3, 1), date(2026, 6, 1))


def test_weeks_start_on_monday_and_are_clipped_to_the_period() -> None:
    period = resolve_period(date(2026, 3, 1), date(2026, 3, 17), date(2026, 6, 1))
    keys = [bucket.key for bucket in trend_buckets(period, "week")]
    assert keys == ["2026-03-01", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert week_key(datetime(2026, 3, 15, 23, tzinfo=UTC)) == "2026-03-09"


def test_long_spans_are_monthly() -> None:
    assert trend_unit(26 * 7) == "week"
    assert trend_unit(26 * 7 + 1) == "month"
    period = resolve_period(date(2026, 1, 15), date(2026, 3, 31), date(2026, 6, 1))
    buckets = trend_buckets(period, "month")
    assert [bucket.key for bucket in buckets] == ["2026-01-15", "2026-02-01", "2026-03-01"]
    assert buckets[-1].end == period.end
