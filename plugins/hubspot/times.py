"""HubSpot timestamps: ISO 8601 in UTC with milliseconds, or epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(text: str | None) -> int | None:
    """Epoch milliseconds of a HubSpot timestamp (``None`` if blank or not one)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The UTC moment of epoch milliseconds, exactly."""
    return _EPOCH + ms * _MS


def hubspot_text(ms: int) -> str:
    """HubSpot's own form: ``2024-05-01T09:00:00.123Z``."""
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return (datetime.now(UTC) - _EPOCH) // _MS
