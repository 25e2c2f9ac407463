"""Common ISO times are read from their text exactly as the full parse reads them, and
anything else is left to the full parse."""

from __future__ import annotations

from datetime import datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from funnelsync.sync.state.moments import MomentColumns, iso_columns, moment_columns


def _full(text: str) -> MomentColumns | None:
    """The columns of an aware time the way the activity mapper parses it, else ``None``."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment_columns(moment)


def _two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


pieces = st.tuples(
    st.integers(1, 9999).map(lambda n: f"{n:04d}")
    | st.sampled_from(["2026", "0000", "\uff12\uff10\uff12\uff16"]),
    _two(0, 13),
    _two(0, 32),
    st.sampled_from(["T", " ", "t", "_"]),
    _two(0, 25),
    _two(0, 61),
    _two(0, 61),
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:30", "-09:30", "+14:00", "+24:00", "+5:30"])
    | st.tuples(st.sampled_from("+-"), _two(0, 25), _two(0, 61)).map(
        lambda t: f"{t[0]}{t[1]}:{t[2]}"
    ),
)


@settings(max_examples=2_000, deadline=None)
@given(
    parts=pieces, fraction=st.sampled_from(["", ".5", ".000001"]), pad=st.sampled_from(["", " "])
)
@example(parts=("2026", "06", "11", "T", "15", "19", "32", "Z"), fraction="", pad="")
@example(parts=("2026", "02", "29", "T", "10", "00", "00", "Z"), fraction="", pad="")
@example(parts=("2024", "02", "29", "T", "10", "00", "00", "-00:00"), fraction="", pad="")
@example(parts=("0001", "01", "01", "T", "00", "00", "00", "+05:00"), fraction="", pad="")
@example(parts=("9999", "12", "31", "T", "23", "59", "59", "-14:00"), fraction="", pad="")
def test_a_time_read_from_its_text_is_the_full_parse(
    parts: tuple[str, ...], fraction: str, pad: str
) -> None:
    year, month, day, separator, hours, minutes, seconds, zone = parts
    text = f"{pad}{year}-{month}-{day}{separator}{hours}:{minutes}:{seconds}{fraction}{zone}"
    found = iso_columns(text)
    if found is not None:
        assert found == _full(text), text


def test_the_common_forms_are_read_from_the_text() -> None:
    """The shortcut is taken for the forms exports use (that is what makes it quick)."""
    for text in (
        "2026-06-11T15:19:32Z",
        "2026-06-14T19:54:06+00:00",
        "2026-06-14 19:54:06-05:30",
    ):
        assert iso_columns(text) is not None, text
        assert iso_columns(text) == _full(text), text
    for text in ("2026-06-14T19:54:06", "2026-06-14T19:54:06.250Z", " 2026-06-14T19:54:06Z"):
        assert iso_columns(text) is None, text  # a zone-less, fractional or padded time
