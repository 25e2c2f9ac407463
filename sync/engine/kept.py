"""Values a system kept over funnelsync's write, remembered so they are not sent again.

A system may take a write but keep its own value for one field (HubSpot never moves a
lifecycle stage backward). The ledger then records the system's value, and the state's
``kept_values`` a mark of what funnelsync wanted there (:mod:`funnelsync.sync.state.kept`);
while both stay the same, planning leaves the field out, so the system's note about it
shows once, not on every run that touches the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from funnelsync.sync.state.kept import Mark


def _text(value: Any) -> str:
    return "" if value is None or value == "" else str(value)


def marks_after_write(
    before: Mapping[str, Mark], written: Mapping[str, Any], kept: Mapping[str, Any]
) -> dict[str, Mark]:
    """A record's marks after ``written`` landed, the system keeping ``kept`` (system field
    → its own value) instead of those fields' written values."""
    marks = {name: mark for name, mark in before.items() if name not in written}
    marks |= {name: (written.get(name), own) for name, own in kept.items()}
    return marks


def kept_before(marks: Mapping[str, Mark], raw: Mapping[str, Any], field: str, value: Any) -> bool:
    """Whether the system already kept its value of ``field`` over ``value``, and still
    holds that value (``raw``: the record as read now over its ledger row)."""
    mark = marks.get(field)
    if mark is None:
        return False
    wanted, own = mark
    return _text(wanted) == _text(value) and _text(own) == _text(raw.get(field))
