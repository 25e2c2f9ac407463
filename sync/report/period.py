"""The period a funnel report covers, the one before it, and the buckets of its trends.

Periods are whole UTC days: ``since`` is the first day and ``until`` the last day, both
included, so the period runs from ``since`` 00:00 to the day after ``until`` 00:00
(exclusive). The previous period has the same number of days and ends where this one
starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_DAYS = 30
"""Length of the period when ``--since`` is not given."""

WEEKLY_TREND_MAX_DAYS = 26 * 7
"""Trends spanning at most this many days are weekly; longer ones are monthly."""


class PeriodError(ValueError):
    """The requested period is empty or reversed."""


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of time ``[start, end)`` made of whole UTC days."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.start).days

    @property
    def first_day(self) -> date:
        """The first day in the period."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last day in the period (included)."""
        return (self.end - timedelta(days=1)).date()

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def holds(self, moment: datetime | None) -> bool:
        """Whether ``moment`` falls in the period."""
        return moment is not None and self.start <= moment < self.end

    def label(self) -> str:
        """How people read it, e.g. ``1 Mar 2026 – 31 Mar 2026``."""
        return f"{_day_label(self.first_day)} – {_day_label(self.last_day)}"


def _day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def resolve_period(since: date | None, until: date | None, today: date) -> Period:
    """The period from ``since`` to ``until`` (both days included).

    ``until`` defaults to ``today``; ``since`` to ``DEFAULT_DAYS`` days ending at ``until``.
    """
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise PeriodError(f"--since {first.isoformat()} is after --until {last.isoformat()}")
    return Period(_midnight(first), _midnight(last + timedelta(days=1)))


@dataclass(frozen=True, slots=True)
class Bucket:
    """One step of a trend: a week (from Monday) or a calendar month, clipped to its period.

    ``key`` is the bucket's first day (ISO date), unique within a trend.
    """

    key: str
    start: datetime
    end: datetime


def week_key(moment: datetime) -> str:
    """The Monday (ISO date) of the UTC week holding ``moment``."""
    day = moment.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def trend_unit(span_days: int) -> str:
    """``week`` for spans up to :data:`WEEKLY_TREND_MAX_DAYS` days, else ``month``."""
    return "week" if span_days <= WEEKLY_TREND_MAX_DAYS else "month"


def trend_buckets(period: Period, unit: str) -> list[Bucket]:
    """Weeks (Monday to Sunday) or calendar months covering ``period``, clipped to it."""
    buckets: list[Bucket] = []
    cursor = period.start
    while cursor < period.end:
        day = cursor.date()
        if unit == "week":
            following = _midnight(day - timedelta(days=day.weekday()) + timedelta(days=7))
        else:
            following = _midnight(
                date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
            )
        end = min(following, period.end)
        buckets.append(Bucket(day.isoformat(), cursor, end))
        cursor = end
    return buckets
