"""A time's stored integers are the same whether its zone's offset is looked up (fixed
offsets, what ISO times are read in) or asked of the zone, and they give the time back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.sync.state.moments import EPOCH, MomentColumns, moment_columns, stored_moment


def _asked(moment: datetime) -> MomentColumns:
    """The integers worked out by asking the zone, every time (the general rule)."""
    offset = moment.utcoffset()
    if offset is None:
        delta = moment.replace(tzinfo=UTC) - EPOCH
        return delta.days * 86_400 + delta.seconds, delta.microseconds, None
    delta = moment - EPOCH
    return (
        delta.days * 86_400 + delta.seconds,
        delta.microseconds,
        offset.days * 86_400 + offset.seconds,
    )


offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
zones = offsets.map(timezone) | st.sampled_from(
    [UTC, timezone(timedelta(0), "Z"), ZoneInfo("America/New_York"), None]
)


@settings(max_examples=1_500, deadline=None)
@given(
    local=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # noqa: DTZ001
    zone=zones,
)
def test_the_stored_integers_are_the_general_rule_s(local: datetime, zone: timezone | None) -> None:
    moment = local.replace(tzinfo=zone)
    assert moment_columns(moment) == _asked(moment)
    assert moment_columns(moment) == _asked(moment)  # again, with the offset remembered
    back = stored_moment(*moment_columns(moment))
    if moment.utcoffset() is not None and (moment.utcoffset() or timedelta()).microseconds == 0:
        assert back == moment
        assert back.utcoffset() == moment.utcoffset()
