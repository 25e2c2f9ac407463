"""What a mapping writes: text cut to fit the system field, timestamps in the mapping's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from funnelsync.mapping import FieldMap, Mapping, format_value, write_fields
from funnelsync.models import Lead


def _mapping(lead_fields: dict[str, Any], **extra: Any) -> Mapping:
    return Mapping.model_validate({"lead_fields": {"email": "Email", **lead_fields}, **extra})


# --- max_length ---------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [2, 3, 10, 40])
def test_text_longer_than_the_field_is_cut_to_exactly_its_length(limit: int) -> None:
    """A system refuses text one character too long, so the cut must fit exactly."""
    title = "Head of Revenue Operations and Strategic Partnerships, EMEA"
    mapping = _mapping({"title": {"field": "Title", "max_length": limit}})
    written = write_fields(mapping, Lead(email="ann@example.com", title=title))["Title"]
    assert len(written) == limit
    assert written == title[: limit - 1] + "…"


def test_text_exactly_as_long_as_the_field_is_written_whole() -> None:
    field_map = FieldMap(field="Title", max_length=12)
    assert format_value(field_map, "Head of Data") == "Head of Data"
    assert format_value(field_map, "Head of Data!") == "Head of Dat…"


# --- time zones ---------------------------------------------------------------------------


def test_a_utc_timestamp_is_written_in_the_mapping_zone_with_a_format() -> None:
    """A time read from another system (in UTC) lands as the local time of this system."""
    mapping = _mapping(
        {"created_at": {"field": "Created", "format": "%Y-%m-%d %H:%M"}},
        timezone="America/New_York",
    )
    lead = Lead(email="ann@example.com", created_at=datetime(2026, 7, 1, 16, 30, tzinfo=UTC))
    assert write_fields(mapping, lead)["Created"] == "2026-07-01 12:30"


def test_a_timestamp_is_written_in_iso_with_the_mapping_zone_offset() -> None:
    mapping = _mapping({"created_at": "Created"}, timezone="Europe/Berlin")
    when = datetime(2026, 1, 15, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    lead = Lead(email="ann@example.com", created_at=when)
    assert write_fields(mapping, lead)["Created"] == "2026-01-16T05:30:00+01:00"
