"""A person's activities as compact rows: what scoring reads, without an object per activity.

A row holds an activity's type, its time as integers (epoch seconds, microseconds, UTC offset
in seconds; ``None`` for a time read without a zone) and its campaign and asset.
:class:`EngagementRows` is also a sequence of :class:`~funnelsync.scoring.Engagement` (each
made when asked for), so code that wants objects still gets them; scoring, recent campaigns
and the last engagement read the rows themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple, overload

EngagementRow = tuple[str, int, int, int | None, str | None, str | None]
"""Type, epoch seconds (UTC), microseconds, UTC offset (seconds east, or ``None``),
campaign, asset."""

_ZONES: dict[int, tzinfo] = {}


def _zone(offset: int) -> tzinfo:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    return zone


def moment_of(seconds: int, micros: int, offset: int | None) -> datetime:
    """The timestamp of these integers: in a fixed zone of ``offset``, naive when ``None``."""
    if offset is None:
        moment = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    else:
        moment = datetime.fromtimestamp(seconds, _zone(offset))
    return moment.replace(microsecond=micros) if micros else moment


class Touch(NamedTuple):
    """One activity of :class:`EngagementRows` as an object (an ``Engagement``)."""

    type: str
    occurred_at: datetime
    campaign: str | None
    asset: str | None


class EngagementRows(Sequence[Touch]):
    """A person's activities, in order, as :data:`EngagementRow` rows."""

    __slots__ = ("aware", "rows")

    def __init__(self, rows: list[EngagementRow]) -> None:
        self.rows = rows
        self.aware = all(row[3] is not None for row in rows)
        """Every time has its zone (so all compare as instants, as the rows' integers do)."""

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Touch: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Touch]: ...

    def __getitem__(self, index: int | slice) -> Touch | Sequence[Touch]:
        if isinstance(index, slice):
            return [_touch(row) for row in self.rows[index]]
        return _touch(self.rows[index])

    def __iter__(self) -> Iterator[Touch]:
        return map(_touch, self.rows)

    def latest(self, now: datetime) -> datetime | None:
        """The latest time at or before ``now`` (the first such row's, when several are at
        that instant), as ``max`` over the times gives it; needs :attr:`aware` and an aware
        ``now``."""
        limit = instant(now)
        best: EngagementRow | None = None
        for row in self.rows:
            if (row[1], row[2]) <= limit and (
                best is None or (row[1], row[2]) > (best[1], best[2])
            ):
                best = row
        return None if best is None else moment_of(best[1], best[2], best[3])


def _touch(row: EngagementRow) -> Touch:
    kind, seconds, micros, offset, campaign, asset = row
    return Touch(kind, moment_of(seconds, micros, offset), campaign, asset)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(moment: datetime) -> tuple[int, int]:
    """(epoch seconds, microseconds) of an aware ``moment``: compares as the rows' do."""
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds, delta.microseconds
