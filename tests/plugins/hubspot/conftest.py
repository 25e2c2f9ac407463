"""Fixtures: emulators on loopback (every request checked against HubSpot's spec) and
connectors pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hs_support import T0, TOKEN_ENV
from openapi_requests import SpecValidator, spec_dir

from funnelsync.connector import ConnectorContext
from funnelsync.plugins.hubspot import HubSpotConnector, HubSpotSettings
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator, TrafficConfig

"""The portal clock tests start at."""

FAST = TrafficConfig(search_per_second=100)
"""Limits high enough for tests that page a lot; limit tests set their own."""


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator | None:
    folder = spec_dir()
    return SpecValidator(folder) if folder else None


@pytest.fixture
def make_emulator(spec_validator: SpecValidator | None) -> Iterator[Callable[..., HubSpotEmulator]]:
    """Start emulators (clock at :data:`T0`); on teardown, stop them and check every
    request they received against the official spec."""
    started: list[HubSpotEmulator] = []

    def make(**options: Any) -> HubSpotEmulator:
        options.setdefault("traffic", replace(FAST))
        emulator = HubSpotEmulator(**options).start()
        emulator.set_clock(T0)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
    if spec_validator is not None:
        problems = spec_validator.problems(r for e in started for r in e.requests)
        assert not problems, "requests not valid against HubSpot's spec:\n" + "\n".join(problems)


@pytest.fixture
def emulator(make_emulator: Callable[..., HubSpotEmulator]) -> HubSpotEmulator:
    return make_emulator()


@pytest.fixture
def connect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., HubSpotConnector]]:
    """Build connectors for an emulator; settings default to fast, test-friendly ones."""
    built: list[HubSpotConnector] = []

    def build(
        emulator: HubSpotEmulator, token: str = DEFAULT_TOKEN, **settings: Any
    ) -> HubSpotConnector:
        monkeypatch.setenv(TOKEN_ENV, token)
        config: dict[str, Any] = {
            "access_token_env": TOKEN_ENV,
            "base_url": emulator.base_url,
            "search_settle_s": 0,
            "rate_limit": {"search_per_second": 100},
            "retry": {"attempts": 3, "max_wait_s": 2},
            **settings,
        }
        connector = HubSpotConnector(
            HubSpotSettings.model_validate(config), ConnectorContext("marketing", tmp_path)
        )
        built.append(connector)
        return connector

    yield build
    for connector in built:
        connector.close()
