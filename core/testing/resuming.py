"""What the reading checks share: naming a few items, and judging a resume from a cursor."""

from __future__ import annotations

from collections.abc import Collection

from funnelsync.testing.checks import ConformanceFailure


def sample(items: Collection[str]) -> str:
    """At most three items, sorted, and how many more there are."""
    shown = sorted(items)[:3]
    return ", ".join(shown) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


def judge_resume(where: str, noun: str, before: set[str], after: set[str], again: set[str]) -> None:
    """Fail unless reading again from a cursor (``again``) returned every item of the later
    batches (``after``) and none that the batches up to the cursor (``before``) returned.
    ``noun`` names the items in the message (``lead(s)``, ``activities``)."""
    if lost := after - again:
        raise ConformanceFailure(
            f"{where} lost {len(lost)} {noun} ({sample(lost)}) that came after it. A cursor "
            "must mark exactly what was returned: with a modification time, add the last "
            "id read at that time, so items sharing the time are not skipped."
        )
    if repeated := (again & before) - after:
        raise ConformanceFailure(
            f"{where} returned {len(repeated)} {noun} ({sample(repeated)}) that the batches "
            "up to that cursor had already returned. A cursor must mark exactly what was "
            "returned, including items sharing its modification time."
        )
