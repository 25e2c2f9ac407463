"""Values a system kept over funnelsync's write, remembered so they are not sent again.

A system may take a write but keep its own value for one field (HubSpot never moves a
lifecycle stage backward). The ledger then records the system's value, plus a mark of what
funnelsync wanted there; while both stay the same, planning leaves the field out, so the
system's note about it shows once, not on every run that touches the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEPT_KEY = "funnelsync:kept"
"""The ledger entry holding, per system field, ``[value funnelsync wanted, value kept]``."""


def _text(value: Any) -> str:
    return "" if value is None or value == "" else str(value)


def ledger_after_write(
    before: Mapping[str, Any], written: Mapping[str, Any], kept: Mapping[str, Any]
) -> dict[str, Any]:
    """The ledger row of a record after ``written`` landed, the system keeping ``kept``
    (system field → its own value) instead of those fields' written values."""
    row = {**before, **written, **kept}
    marks = {
        name: mark for name, mark in dict(before.get(KEPT_KEY) or {}).items() if name not in written
    }
    marks |= {name: [written.get(name), own] for name, own in kept.items()}
    row.pop(KEPT_KEY, None)
    if marks:
        row[KEPT_KEY] = marks
    return row


def kept_before(raw: Mapping[str, Any], field: str, value: Any) -> bool:
    """Whether the system already kept its value of ``field`` over ``value``, and still
    holds that value (``raw``: the record as read now over its ledger row)."""
    mark = (raw.get(KEPT_KEY) or {}).get(field)
    if not isinstance(mark, list) or len(mark) != 2:
        return False
    wanted, own = mark
    return _text(wanted) == _text(value) and _text(own) == _text(raw.get(field))
