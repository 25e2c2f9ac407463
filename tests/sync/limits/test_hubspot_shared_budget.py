"""Two HubSpot connections naming one ``budget_key`` heed what either one was told.

Each connector has its own connection to the store (as in two processes), and both call
one emulated portal; what the portal's request log shows is what HubSpot would see.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from funnelsync.connector import BudgetExhaustedError, ConnectorContext
from funnelsync.plugins.hubspot import HubSpotConnector, HubSpotSettings
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator
from funnelsync.plugins.hubspot.emulator.traffic import TrafficConfig
from funnelsync.sync.limits.opening import LimitsBackend

TOKEN_ENV = "HS_SHARED_TOKEN"
RETRY_AFTER_S = 2


@pytest.fixture
def portal() -> Iterator[HubSpotEmulator]:
    emulator = HubSpotEmulator(traffic=TrafficConfig(search_per_second=100)).start()
    yield emulator
    emulator.stop()


def _connector(
    portal: HubSpotEmulator, store: tuple[str, Path], tmp_path: Path, name: str
) -> tuple[HubSpotConnector, LimitsBackend]:
    url, sqlite_file = store
    backend = LimitsBackend(None if url == "-" else url, sqlite_file)
    settings = HubSpotSettings.model_validate(
        {"access_token_env": TOKEN_ENV, "base_url": portal.base_url, "search_settle_s": 0}
    )
    context = ConnectorContext(name, tmp_path, limits=backend.limits("portal-1"))
    return HubSpotConnector(settings, context), backend


def test_a_429_one_connection_got_holds_back_the_other(
    portal: HubSpotEmulator,
    store: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    (first, first_store), (second, second_store) = (
        _connector(portal, store, tmp_path, name) for name in ("one", "two")
    )
    portal.fail_next(1, status=429, retry_after=RETRY_AFTER_S)
    told = threading.Thread(target=first.check)
    told.start()
    deadline = threading.Event()
    while not any(call.refused for call in portal.traffic.log):
        assert not deadline.wait(0.01) and told.is_alive(), "the first call was not refused"
    deadline.wait(0.5)  # the first connection has read the answer and paused the portal
    assert second.check().ok
    told.join()
    for opened, backend in ((first, first_store), (second, second_store)):
        opened.close()
        backend.close()
    [refused] = [call for call in portal.traffic.log if call.refused]
    later = [call.at - refused.at for call in portal.traffic.log if call.at > refused.at]
    assert len(later) >= 2  # the first connection's retry and the second one's call
    assert min(later) >= RETRY_AFTER_S - 0.1


def test_a_daily_budget_one_connection_saw_spent_stops_the_other_before_it_calls(
    portal: HubSpotEmulator,
    store: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    portal.traffic.config.daily_limit = 1000
    portal.set_daily_used(520)  # over the default share, 50%: the headers will say so
    (first, first_store), (second, second_store) = (
        _connector(portal, store, tmp_path, name) for name in ("one", "two")
    )
    first.check()  # its one call learns the portal's usage (over its share)
    calls = len(portal.traffic.log)
    with pytest.raises(BudgetExhaustedError, match="521 of 1000 daily calls"):
        second.api.limits.budget.check()
    result = second.check()
    assert not result.ok and "budget" in " ".join(result.messages).lower()
    assert len(portal.traffic.log) == calls  # the second connection sent nothing
    for opened, backend in ((first, first_store), (second, second_store)):
        opened.close()
        backend.close()
