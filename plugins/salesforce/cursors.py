"""Read cursors: opaque strings (JSON inside) the engine stores between runs.

A cursor holds, per object read, the ``SystemModstamp`` and ``Id`` of the last record
returned (records are read in that order)::

    {"v": 1, "after": {"Lead": {"stamp": "2024-05-01T10:00:00Z", "id": "00Q..."},
                       "Contact": {...}}}

An object missing from the cursor is read from the start. Each read method has its own
cursor (leads: Lead and Contact; activities: Task, Event and CampaignMember; deletions:
Lead and Contact).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from funnelsync.connector import ConnectorError
from funnelsync.plugins.salesforce.soql import Position

_VERSION = 1


def encode(positions: Mapping[str, Position]) -> str:
    """The positions as the opaque cursor string."""
    after = {
        sobject: {
            "stamp": position.stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "id": position.record_id,
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
        if data["v"] != _VERSION:
            raise ValueError(f"version {data['v']!r}")
        positions = {}
        for sobject, position in data["after"].items():
            stamp = datetime.fromisoformat(str(position["stamp"]).replace("Z", "+00:00"))
            if stamp.tzinfo is None:
                raise ValueError("stamp without a zone")
            positions[str(sobject)] = Position(stamp, str(position["id"]))
        return positions
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConnectorError(f"not a salesforce connector cursor: {text!r} ({exc})") from None


def position_of(record: Mapping[str, object]) -> Position:
    """Where ``record`` (a query row with ``SystemModstamp`` and ``Id``) sits in read order."""
    stamp = datetime.fromisoformat(str(record["SystemModstamp"]))
    return Position(stamp, str(record["Id"]))
