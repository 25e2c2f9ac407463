"""Read cursors: opaque strings (JSON inside) the engine stores between runs.

A cursor holds, per object read, the ``SystemModstamp`` of the last record returned
(records are read in ``SystemModstamp, Id`` order) and a short digest of the content of
each record returned at that stamp::

    {"v": 2, "after": {"Lead": {"stamp": "2024-05-01T10:00:00Z", "seen": ["9f2c…", …]},
                       "Contact": {...}}}

The next read asks for ``SystemModstamp >= stamp`` and drops the records at ``stamp``
whose digest it has seen: records sharing the boundary second are neither lost nor read
twice, and a record changed again within that second (``SystemModstamp`` has whole
seconds) is read again because its content differs. Version 1 cursors (``stamp`` and
``id``) are still read; the records of their boundary second are then read once more.

An object missing from the cursor is read from the start. Each read method has its own
cursor (leads: Lead and Contact; activities: Task, Event and CampaignMember; deletions:
Lead and Contact).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from funnelsync.connector import ConnectorError
from funnelsync.plugins.salesforce.soql import Position

RowT = TypeVar("RowT", bound=Mapping[str, Any])

_VERSION = 2
_DIGEST_CHARS = 16
MAX_SEEN = 5000
"""Most digests a cursor keeps for one object's boundary second."""


def encode(positions: Mapping[str, Position]) -> str:
    """The positions as the opaque cursor string."""
    after = {
        sobject: {
            "stamp": position.stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seen": None if position.seen is None else sorted(position.seen),
        }
        for sobject, position in sorted(positions.items())
    }
    return json.dumps({"v": _VERSION, "after": after}, separators=(",", ":"))


def decode(text: str | None) -> dict[str, Position]:
    """The positions in ``text`` (none for ``None``); :class:`ConnectorError` if unreadable."""
    if text is None:
        return {}
    try:
        data = json.loads(text)
        if data["v"] not in (1, _VERSION):
            raise ValueError(f"version {data['v']!r}")
        positions = {}
        for sobject, position in data["after"].items():
            stamp = datetime.fromisoformat(str(position["stamp"]).replace("Z", "+00:00"))
            if stamp.tzinfo is None:
                raise ValueError("stamp without a zone")
            listed = position.get("seen", ())
            seen = None if listed is None else frozenset(str(found) for found in listed)
            positions[str(sobject)] = Position(stamp, seen)
        return positions
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConnectorError(f"not a salesforce connector cursor: {text!r} ({exc})") from None


def digest(row: Mapping[str, Any]) -> str:
    """A short digest of a query row's content (every field as queried)."""
    text = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]


def fresh_rows(
    positions: MutableMapping[str, Position], sobject: str, page: Sequence[RowT]
) -> list[RowT]:
    """The rows of ``page`` (in read order) not returned before; moves ``positions[sobject]``
    past them.

    Only rows at the old boundary stamp (to drop those seen) and at the page's last stamp
    (to remember them) are digested. Past :data:`MAX_SEEN` rows at one stamp the position
    stops remembering them (``seen`` is ``None``): they are then all read once more rather
    than the cursor growing without bound.
    """
    if not page:
        return []
    old = positions.get(sobject)
    fresh = [
        row
        for row in page
        if old is None
        or old.seen is None
        or _stamp(row) != old.stamp
        or digest(row) not in old.seen
    ]
    last = _stamp(page[-1])
    if old is not None and old.stamp == last:
        if old.seen is None:
            positions[sobject] = old
            return fresh
        seen = set(old.seen)
    else:
        seen = set()
    for row in reversed(fresh):
        if _stamp(row) != last:
            break
        seen.add(digest(row))
    positions[sobject] = Position(last, frozenset(seen) if len(seen) <= MAX_SEEN else None)
    return fresh


def _stamp(row: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(row["SystemModstamp"]))
