"""An activity's time as the integers the state stores: whole epoch seconds (UTC), the
microseconds past them, and the UTC offset it was read in (seconds east; ``None`` for a
time read without a zone, taken as UTC).

The three give back the very timestamp that was stored: the same instant, the same
sub-second part and the same offset (an explanation or a timeline entry shows the time
in the zone it was read in).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = EPOCH.toordinal()

MomentColumns = tuple[int, int, int | None]
"""(epoch seconds, microseconds, UTC offset in seconds or ``None``)."""

_ZONES: dict[int, tzinfo] = {}


def _zone(offset: int) -> tzinfo:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    return zone


def moment_columns(moment: datetime) -> MomentColumns:
    """``moment`` as stored (an offset's sub-second part, which no zone has, is dropped)."""
    offset = moment.utcoffset()
    if offset is None:
        delta = moment.replace(tzinfo=UTC) - EPOCH
        zone = None
    else:
        delta = moment - EPOCH
        zone = offset.days * 86_400 + offset.seconds
    return delta.days * 86_400 + delta.seconds, delta.microseconds, zone


def stored_moment(seconds: int, micros: int, offset: int | None) -> datetime:
    """The timestamp that :func:`moment_columns` stored."""
    if offset is None:
        moment = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    else:
        moment = datetime.fromtimestamp(seconds, _zone(offset))
    return moment.replace(microsecond=micros) if micros else moment


def epoch_seconds(moment: datetime) -> int:
    """The whole epoch seconds of ``moment`` (a naive one taken as UTC), as stored."""
    return moment_columns(moment)[0]


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})", re.ASCII)
_OFFSET = re.compile(r"Z|[+-][0-9]{2}:[0-9]{2}", re.ASCII)
_DAYS: dict[str, int] = {}
"""``YYYY-MM-DD`` → days since the epoch (dates checked by :mod:`datetime`)."""
_CLOCKS: dict[str, int] = {}
"""``HH:MM:SS`` → seconds into the day (at most 86,400 entries)."""
_OFFSETS: dict[str, int] = {}
"""``Z`` or ``±HH:MM`` → seconds east (at most a few thousand entries)."""
_MOST_DAYS = 100_000
"""Dates remembered before the memory of them starts again (bounds hostile input)."""


def _day(text: str) -> int | None:
    if not _DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text).toordinal() - _EPOCH_DAY
    except ValueError:
        return None
    if len(_DAYS) >= _MOST_DAYS:
        _DAYS.clear()
    _DAYS[text] = day
    return day


def _clock(text: str) -> int | None:
    found = _CLOCK.fullmatch(text)
    if found is None:
        return None
    hours, minutes, seconds = (int(part) for part in found.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    clock = _CLOCKS[text] = hours * 3600 + minutes * 60 + seconds
    return clock


def _offset(text: str) -> int | None:
    if not _OFFSET.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(f"2000-01-01T00:00:00{text.replace('Z', '+00:00')}")
    except ValueError:
        return None
    delta = moment.utcoffset()
    if delta is None:  # cannot happen: the text names an offset
        return None
    offset = _OFFSETS[text] = delta.days * 86_400 + delta.seconds
    return offset


def iso_columns(text: str) -> MomentColumns | None:
    """What :func:`moment_columns` gives for ``datetime.fromisoformat(text)``, worked out
    from the text itself for the common forms ``YYYY-MM-DDTHH:MM:SS`` followed by ``Z`` or
    ``±HH:MM`` (``T`` or a space between date and time); ``None`` for anything else (the
    caller parses it in full)."""
    if len(text) not in (20, 25) or text[10] not in "T ":
        return None
    day = _DAYS.get(text[:10])
    if day is None and (day := _day(text[:10])) is None:
        return None
    clock = _CLOCKS.get(text[11:19])
    if clock is None and (clock := _clock(text[11:19])) is None:
        return None
    offset = _OFFSETS.get(text[19:])
    if offset is None and (offset := _offset(text[19:])) is None:
        return None
    return day * 86_400 + clock - offset, 0, offset
