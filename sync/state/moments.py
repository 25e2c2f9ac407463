"""An activity's time as the integers the state stores: whole epoch seconds (UTC), the
microseconds past them, and the UTC offset it was read in (seconds east; ``None`` for a
time read without a zone, taken as UTC).

The three give back the very timestamp that was stored: the same instant, the same
sub-second part and the same offset (an explanation or a timeline entry shows the time
in the zone it was read in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone

from funnelsync.engagement_rows import moment_of as stored_moment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MomentColumns = tuple[int, int, int | None]
"""(epoch seconds, microseconds, UTC offset in seconds or ``None``); back to the timestamp
with :func:`stored_moment` (``funnelsync.engagement_rows.moment_of``)."""

__all__ = ["EPOCH", "MomentColumns", "epoch_seconds", "moment_columns", "stored_moment"]

_FIXED: dict[timezone, int] = {}
"""A fixed-offset zone (``datetime.timezone``, what ISO times are read in) → its offset in
whole seconds; one entry per offset seen."""


def moment_columns(moment: datetime) -> MomentColumns:
    """``moment`` as stored (an offset's sub-second part, which no zone has, is dropped)."""
    fixed = moment.tzinfo
    if isinstance(fixed, timezone):  # a fixed offset: looked up, not asked of the zone
        shift = _FIXED.get(fixed)
        if shift is None:
            known = fixed.utcoffset(None)
            shift = _FIXED[fixed] = known.days * 86_400 + known.seconds
        delta = moment - EPOCH
        return delta.days * 86_400 + delta.seconds, delta.microseconds, shift
    offset = moment.utcoffset()
    if offset is None:
        delta = moment.replace(tzinfo=UTC) - EPOCH
        zone = None
    else:
        delta = moment - EPOCH
        zone = offset.days * 86_400 + offset.seconds
    return delta.days * 86_400 + delta.seconds, delta.microseconds, zone


def epoch_seconds(moment: datetime) -> int:
    """The whole epoch seconds of ``moment`` (a naive one taken as UTC), as stored."""
    return moment_columns(moment)[0]
