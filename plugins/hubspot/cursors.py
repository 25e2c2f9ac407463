"""Read cursors: opaque strings (JSON inside) the engine stores between runs.

A position in a stream of records ordered by (last-modified time, record id): everything
modified before ``modified`` has been read, and of the records modified exactly then,
those with an id up to ``after_id`` (all of them when ``after_id`` is ``null``). So a
record at the boundary is neither lost nor read twice. Times are HubSpot's, in UTC with
milliseconds. The lead cursor::

    {"v": 1, "kind": "contacts", "modified": "2024-05-01T09:00:00.123Z", "after_id": null}

The activity cursor holds one position per source (engagement type, or ``contacts`` for
activities read from contact properties); a source it lacks is read from the start::

    {"v": 1, "kind": "activities",
     "sources": {"calls": {"modified": "2024-05-01T09:00:00.123Z", "after_id": "4711"}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from funnelsync.connector import ConnectorError
from funnelsync.plugins.hubspot.times import hubspot_text, to_ms

_VERSION = 1


@dataclass(frozen=True, slots=True)
class Position:
    """Everything up to (``modified_ms``, ``after_id``) is read; ``None`` id: all at that time."""

    modified_ms: int
    after_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        after = None if self.after_id is None else str(self.after_id)
        return {"modified": hubspot_text(self.modified_ms), "after_id": after}

    @classmethod
    def from_json(cls, data: Any) -> Position:
        modified = to_ms(str(data["modified"]))
        if modified is None:
            raise ValueError(f"modified {data['modified']!r} is not a timestamp")
        after = data["after_id"]
        return cls(modified, None if after is None else int(after))


def _dump(data: dict[str, Any]) -> str:
    return json.dumps({"v": _VERSION, **data}, separators=(",", ":"))


def _load(text: str, kind: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != _VERSION or data.get("kind") != kind:
            raise ValueError(f"expected a version {_VERSION} {kind!r} cursor")
        return data
    except ValueError as exc:
        raise ConnectorError(f"not a hubspot {kind} cursor: {text!r} ({exc})") from None


def encode_leads(position: Position) -> str:
    """The lead cursor for ``position``."""
    return _dump({"kind": "contacts", **position.as_json()})


def decode_leads(text: str | None) -> Position | None:
    """The position in a lead cursor (``None`` for none); :class:`ConnectorError` if bad."""
    if text is None:
        return None
    data = _load(text, "contacts")
    try:
        return Position.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConnectorError(f"not a hubspot contacts cursor: {text!r} ({exc})") from None


def encode_activities(positions: dict[str, Position]) -> str:
    """The activity cursor for one position per source."""
    sources = {name: position.as_json() for name, position in sorted(positions.items())}
    return _dump({"kind": "activities", "sources": sources})


def decode_activities(text: str | None) -> dict[str, Position]:
    """Source → position of an activity cursor (empty for none)."""
    if text is None:
        return {}
    data = _load(text, "activities")
    try:
        return {name: Position.from_json(item) for name, item in data["sources"].items()}
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConnectorError(f"not a hubspot activities cursor: {text!r} ({exc})") from None
