"""Rate limits, retries, the daily budget, and authentication failures."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pytest

from funnelsync.connector import (
    AuthenticationError,
    BudgetExhaustedError,
    ConnectorError,
    LeadWrite,
    WriteStatus,
)
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import (
    AnswerVariants,
    HubSpotEmulator,
    TrafficConfig,
)
from funnelsync.plugins.hubspot.emulator.variants import RateLimitBody

UPSERT = "POST /crm/v3/objects/contacts/batch/upsert"
WRITE = [LeadWrite("ann@example.com", None, {"firstname": "Ann"})]


def test_a_429_waits_for_retry_after_then_succeeds(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.fail_next(1, status=429, path="batch/upsert", retry_after=1)
    connector = connect(emulator)
    started = time.monotonic()
    [result] = connector.write_leads(WRITE)
    assert result.status is WriteStatus.ok
    assert time.monotonic() - started >= 1.0
    assert emulator.calls[UPSERT] == 2
    assert connector.calls.write == 2


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("error_type", "RATE_LIMIT, TEN_SECONDLY_ROLLING"),
        ("category", "RATE_LIMITS, TEN_SECONDLY_ROLLING"),
    ],
)
def test_429s_that_outlast_the_retries_make_the_writes_retryable(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    caplog: pytest.LogCaptureFixture,
    body: RateLimitBody,
    named: str,
) -> None:
    emulator = make_emulator(variants=AnswerVariants(rate_limit_body=body))
    emulator.fail_next(10, status=429, path="batch/upsert", retry_after=0)
    with caplog.at_level(logging.WARNING, logger="funnelsync.plugins.hubspot"):
        [result] = connect(emulator, retry={"attempts": 2, "max_wait_s": 0.1}).write_leads(WRITE)
    assert result.status is WriteStatus.retryable
    expected = f"HubSpot rate limit ({named}): You have reached your ten_secondly_rolling limit."
    assert result.message == expected
    assert caplog.messages == [expected, expected]
    assert emulator.calls[UPSERT] == 2
    assert emulator.contact_by_email("ann@example.com") is None


def test_server_errors_are_retried(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.fail_next(2, status=502, retry_after=None)
    [result] = connect(emulator, retry={"attempts": 3, "max_wait_s": 0.1}).write_leads(WRITE)
    assert result.status is WriteStatus.ok


def test_an_unreachable_portal_fails_reads_and_defers_writes(
    connect: Callable[..., HubSpotConnector], emulator: HubSpotEmulator
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    settings = {"base_url": f"http://127.0.0.1:{port}", "retry": {"attempts": 2, "max_wait_s": 0.1}}
    connector = connect(emulator, **settings)
    with pytest.raises(ConnectorError, match="cannot reach HubSpot"):
        list(connector.read_leads(None))
    [result] = connector.write_leads(WRITE)
    assert result.status is WriteStatus.retryable


def test_a_bad_token_is_an_authentication_error_and_stops_all_calls(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    token = "pat-na1-not-the-right-one"
    connector = connect(emulator, token=token)
    with pytest.raises(AuthenticationError) as refused:
        connector.write_leads(WRITE)
    message = str(refused.value)
    assert "401 INVALID_AUTHENTICATION" in message
    assert "FUNNELSYNC_TEST_HUBSPOT_TOKEN" in message
    assert token not in message and token not in repr(refused.value)
    with pytest.raises(AuthenticationError):
        connector.write_leads(WRITE)
    assert emulator.calls[UPSERT] == 1


def test_a_missing_scope_names_the_scope(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(tokens={"read-only": ["crm.objects.contacts.read"]})
    with pytest.raises(
        AuthenticationError, match=r"403 MISSING_SCOPES.*crm\.objects\.contacts\.write"
    ):
        connect(emulator, token="read-only").write_leads(WRITE)


def test_reaching_the_budget_share_ends_the_run(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.set_daily_used(499_999)
    connector = connect(emulator, daily_budget_share=0.5)
    [result] = connector.write_leads(WRITE)
    assert result.status is WriteStatus.ok
    with pytest.raises(BudgetExhaustedError, match="500000 of 1000000 daily calls"):
        connector.write_leads(WRITE)
    assert emulator.calls[UPSERT] == 1


@pytest.mark.parametrize("body", ["error_type", "category"])
def test_hubspots_daily_limit_ends_the_run(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    body: RateLimitBody,
) -> None:
    emulator = make_emulator(
        traffic=TrafficConfig(daily_limit=10), variants=AnswerVariants(rate_limit_body=body)
    )
    emulator.set_daily_used(10)
    with pytest.raises(BudgetExhaustedError, match="daily limit"):
        list(connect(emulator).read_leads(None))


def test_the_limiter_follows_the_portals_headers_and_provokes_no_429(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(traffic=TrafficConfig(ten_second_limit=10, interval_ms=500))
    connector = connect(emulator)
    started = time.monotonic()
    for index in range(12):
        [result] = connector.write_leads([LeadWrite(f"p{index}@example.com", None, {})])
        assert result.status is WriteStatus.ok
    assert time.monotonic() - started >= 0.45
    assert {request.status for request in emulator.requests} == {200}
    assert connector.api.limits.general.calls == 9


def test_search_stays_under_its_own_limit(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(traffic=TrafficConfig(search_per_second=5))
    emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(1100))
    connector = connect(emulator, rate_limit={"search_per_second": 4})
    records = [r for batch in connector.read_leads(None) for r in batch.records]
    assert len(records) == 1100
    assert {request.status for request in emulator.requests} == {200}


def test_reads_and_writes_complete_correctly_when_a_fifth_of_calls_fail(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    traffic = TrafficConfig(search_per_second=100, error_rate=0.2, error_retry_after=0, seed=7)
    emulator = make_emulator(traffic=traffic)
    existing = emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(450))
    connector = connect(emulator, retry={"attempts": 8, "max_wait_s": 0.05})
    ids = [r.record_id for batch in connector.read_leads(None) for r in batch.records]
    assert sorted(ids) == sorted(existing)
    writes = [LeadWrite(f"p{i}@example.com", None, {"jobtitle": f"T{i}"}) for i in range(450)]
    results = [
        r
        for start in range(0, 450, 100)
        for r in connector.write_leads(writes[start : start + 100])
    ]
    assert {r.status for r in results} == {WriteStatus.ok}
    assert all(emulator.contact(i)["jobtitle"] == f"T{n}" for n, i in enumerate(existing))
    assert {r.status for r in emulator.requests} > {200}


@pytest.mark.parametrize("headers", [True, False], ids=["search-headers", "no-search-headers"])
def test_each_search_counts_once_against_the_daily_budget(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    headers: bool,
) -> None:
    emulator = make_emulator(variants=AnswerVariants(search_daily_headers=headers))
    emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(450))
    emulator.set_daily_used(1_000)
    connector = connect(emulator)
    connector.check()  # a call with the daily headers first
    list(connector.read_leads(None))
    assert emulator.calls_to("/search") >= 4
    search = next(r for r in emulator.requests if r.path.endswith("/search"))
    assert search.status == 200
    assert connector.api.limits.budget.used == emulator.traffic.daily_used
