"""The hubspot connector passes funnelsync's conformance kit against the emulator.

The target is what a vendor would write for their own connector: a connector factory on
the emulator, seeders (contacts; contacts with calls as engagements, as the demo seeds
them), and the emulator's knobs for a refusal, a rate limit and the daily allowance.

With ``--funnelsync-conformance`` (in the project's pytest ``addopts``) the kit collects
its checks beside this conftest, as it does for a vendor's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from funnelsync import Lead, LeadWrite
from funnelsync.connector import ConnectorContext
from funnelsync.plugins.hubspot import HubSpotConnector, HubSpotSettings
from funnelsync.plugins.hubspot.emulator.demo import HubSpotDemoEmulator, contact_properties
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.testing import ConformanceTarget

TOKEN_ENV = "FUNNELSYNC_KIT_HUBSPOT_TOKEN"
REFUSED_ENV = "FUNNELSYNC_KIT_HUBSPOT_REFUSED_TOKEN"
REFUSED_TOKEN = "pat-na1-refused-0000-kit"


def seeder(emulator: HubSpotEmulator) -> Callable[[Sequence[Lead]], None]:
    """Add each lead as a contact last modified at its ``updated_at``."""

    def seed(leads: Sequence[Lead]) -> None:
        for lead in leads:
            emulator.add_contacts([contact_properties(lead)], modified_at=lead.updated_at)

    return seed


def rate_limited(emulator: HubSpotEmulator) -> Callable[[Sequence[LeadWrite]], Any]:
    """While entered, every batch write is answered 429 (HubSpot's ten-second limit)."""

    @contextmanager
    def busy(writes: Sequence[LeadWrite]) -> Iterator[None]:
        emulator.fail_next(10_000, status=429, path="/batch/", retry_after=0)
        try:
            yield
        finally:
            emulator.traffic.faults.clear()

    return busy


def daily_limit_reached(emulator: HubSpotEmulator, share: float) -> Callable[[], Any]:
    """While entered, the portal's answers say the day's calls are used up to ``share``."""

    @contextmanager
    def spend() -> Iterator[None]:
        emulator.set_daily_used(int(emulator.traffic.config.daily_limit * share))
        try:
            yield
        finally:
            emulator.set_daily_used(0)

    return spend


def demo_seeder(emulator: HubSpotEmulator) -> HubSpotDemoEmulator:
    """The demo's seeding (contacts, engagements, contact events) into ``emulator``."""
    demo = HubSpotDemoEmulator()
    demo.portal = emulator
    return demo


@pytest.fixture
def funnelsync_target(
    make_emulator: Callable[..., HubSpotEmulator],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[ConformanceTarget]:
    emulator = make_emulator()
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    monkeypatch.setenv(REFUSED_ENV, REFUSED_TOKEN)

    def connector(variable: str = TOKEN_ENV) -> HubSpotConnector:
        settings = {
            "access_token_env": variable,
            "base_url": emulator.base_url,
            "search_settle_s": 0,
            "rate_limit": {"search_per_second": 100},
            "retry": {"attempts": 2, "max_wait_s": 0.1},
        }
        return HubSpotConnector(
            HubSpotSettings.model_validate(settings), ConnectorContext("kit", tmp_path)
        )

    yield ConformanceTarget(
        make_connector=connector,
        seed=seeder(emulator),
        seed_activities=demo_seeder(emulator).seed,
        page_size=200,
        secrets=(DEFAULT_TOKEN, REFUSED_TOKEN),
        refused_connector=lambda: connector(REFUSED_ENV),
        rejected_fields={"hs_lead_status": "NOT_A_HUBSPOT_OPTION"},
        busy=rate_limited(emulator),
        detour_values=("salesqualifiedlead", "lead"),
        system_requests=lambda: len(emulator.requests),
        spend_budget=daily_limit_reached(emulator, HubSpotSettings().daily_budget_share),
    )
