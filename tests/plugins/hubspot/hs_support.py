"""Constants the HubSpot tests share (imported by name: `conftest` is not importable safely,
as every test folder has one)."""

from datetime import UTC, datetime

TOKEN_ENV = "FUNNELSYNC_TEST_HUBSPOT_TOKEN"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
