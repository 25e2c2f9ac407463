"""Read cursors: opaque strings (JSON inside) the engine stores between runs.

With a modified column the cursor is the greatest modified timestamp seen and the ids of
the records at exactly that timestamp (boundary de-duplication, as in dlt's incremental
loading)::

    {"v": 1, "kind": "modified", "column": "updated_at",
     "max": "2024-05-01T09:00:00+00:00", "ids": ["ann@example.com"]}

A read then returns rows modified after ``max``, or at ``max`` with an id not in ``ids``.
Without a modified column the cursor is the file's fingerprint::

    {"v": 1, "kind": "fingerprint", "sha256": "<hex digest of the file's bytes>"}

A cursor of the other kind, or for another column, reads everything again (the
configuration changed; every write is idempotent, so re-reading is safe).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from funnelsync.connector import ConnectorError

_VERSION = 1


@dataclass(frozen=True, slots=True)
class ModifiedCursor:
    """Position of a read by modified column: the greatest timestamp and the ids at it."""

    column: str
    max: datetime
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class FingerprintCursor:
    """Position of a read without a modified column: the file's sha256 digest."""

    sha256: str


Cursor = ModifiedCursor | FingerprintCursor


def encode(cursor: Cursor) -> str:
    """The cursor as the opaque string handed to the engine."""
    if isinstance(cursor, FingerprintCursor):
        data: dict[str, object] = {"v": _VERSION, "kind": "fingerprint", "sha256": cursor.sha256}
    else:
        data = {
            "v": _VERSION,
            "kind": "modified",
            "column": cursor.column,
            "max": cursor.max.astimezone(UTC).isoformat(),
            "ids": sorted(cursor.ids),
        }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> Cursor | None:
    """The cursor in ``text`` (``None`` for ``None``); :class:`ConnectorError` if unreadable."""
    if text is None:
        return None
    try:
        data = json.loads(text)
        if data["v"] != _VERSION:
            raise ValueError(f"version {data['v']!r}")
        if data["kind"] == "fingerprint":
            return FingerprintCursor(str(data["sha256"]))
        if data["kind"] == "modified":
            ids = data["ids"]
            if not isinstance(ids, list):
                raise TypeError("ids is not a list")
            when = parse_timestamp(str(data["max"]))
            if when is None:
                raise ValueError("max is not a timestamp")
            return ModifiedCursor(str(data["column"]), when, frozenset(map(str, ids)))
        raise ValueError(f"kind {data['kind']!r}")
    except (ValueError, TypeError, KeyError) as exc:
        raise ConnectorError(f"not a csv connector cursor: {text!r} ({exc})") from None


def parse_timestamp(text: str) -> datetime | None:
    """``text`` as an aware ISO 8601 timestamp (naive means UTC), or ``None`` if it is not one."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Watermark:
    """Decides which rows a read by modified column returns, and the cursor it ends with."""

    def __init__(self, column: str, start: Cursor | None) -> None:
        self.column = column
        self._start = (
            start if isinstance(start, ModifiedCursor) and start.column == column else None
        )
        self._max = self._start.max if self._start else None
        self._ids = set(self._start.ids) if self._start else set()

    def take(self, modified: datetime, record_id: str) -> bool:
        """Whether the row is new since the start cursor; if so, the cursor moves past it."""
        start = self._start
        if start is not None and (
            modified < start.max or (modified == start.max and record_id in start.ids)
        ):
            return False
        if self._max is None or modified > self._max:
            self._max = modified
            self._ids = {record_id}
        elif modified == self._max:
            self._ids.add(record_id)
        return True

    def cursor(self) -> str | None:
        """The cursor after every row taken so far (``None`` if none had a timestamp)."""
        if self._max is None:
            return None
        return encode(ModifiedCursor(self.column, self._max, frozenset(self._ids)))
