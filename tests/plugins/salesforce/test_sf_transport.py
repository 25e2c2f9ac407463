"""The HTTP side of every call: timeouts, retries of reads that fail in passing (5xx, 429,
resets, hangs) with Retry-After honoured, and refusals and writes never repeated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_support import make_connector, read_all

from funnelsync.connector import BudgetExhaustedError, LeadWrite, WriteStatus
from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.api import CallFailedError
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator


def _fast(emulator: SalesforceEmulator, tmp_path: Path, waits: list[float], **settings: object):
    connector = make_connector(
        emulator,
        tmp_path,
        timeout_s=1.0,
        retry={"attempts": 3, "max_wait_s": 0.05},
        **settings,
    )
    connector.api.session.sleep = waits.append
    return connector


def _leads(emulator: SalesforceEmulator, count: int) -> list[str]:
    return [
        emulator.org.add_lead(LastName=f"L{n}", Company="C", Email=f"l{n}@example.com")
        for n in range(count)
    ]


def test_a_hung_query_times_out_and_the_retry_reads_everything(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    ids = _leads(emulator, 3)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    emulator.fail_next(1, "hang", path="/query", hang_s=30)

    read = read_all(connector.read_leads(None))

    assert sorted(read.ids) == sorted(ids)
    assert emulator.traffic.failed["hang"] == 1
    assert len(waits) == 1  # one retry after the timeout
    connector.close()


def test_a_query_that_never_answers_fails_after_its_tries_with_a_clear_error(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    _leads(emulator, 1)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    emulator.fail_next(10, "hang", path="/query", hang_s=30)

    with pytest.raises(CallFailedError, match=r"cannot reach Salesforce.*ReadTimeout") as caught:
        read_all(connector.read_leads(None))

    assert caught.value.retryable
    assert emulator.traffic.failed["hang"] == 3  # the three tries, then it gave up
    connector.close()


@pytest.mark.parametrize("kind", ["status", "reset"])
def test_5xx_answers_and_reset_connections_on_reads_are_retried(
    emulator: SalesforceEmulator, tmp_path: Path, kind: str
) -> None:
    ids = _leads(emulator, 2)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    emulator.fail_next(2, kind, path="/query", status=503)  # type: ignore[arg-type]
    emulator.fail_next(1, kind, path="/describe", status=500)  # type: ignore[arg-type]
    emulator.fail_next(1, kind, path="/services/Soap/u/", status=502)  # type: ignore[arg-type]

    read = read_all(connector.read_leads(None))

    assert sorted(read.ids) == sorted(ids)
    assert emulator.traffic.failed[kind] == 4  # type: ignore[index]
    assert len(waits) == 4
    assert emulator.org.calls["soap_login"] == 1
    connector.close()


def test_a_429_with_retry_after_is_waited_out(emulator: SalesforceEmulator, tmp_path: Path) -> None:
    ids = _leads(emulator, 1)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    emulator.fail_next(1, path="/query", status=429, retry_after=2)

    read = read_all(connector.read_leads(None))

    assert read.ids == ids
    assert waits and waits[0] >= 2  # at least what the answer asked for
    connector.close()


def test_a_retry_after_longer_than_the_retry_budget_is_not_waited_for(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    _leads(emulator, 1)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    emulator.fail_next(1, path="/query", status=503, retry_after=86_400)  # come back tomorrow

    with pytest.raises(CallFailedError, match="503 SERVER_UNAVAILABLE") as caught:
        read_all(connector.read_leads(None))

    assert caught.value.retryable  # the next run tries again
    assert waits == []
    connector.close()


def test_reads_that_stay_unavailable_fail_as_retryable_after_the_tries(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    _leads(emulator, 1)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    connector.check()  # logged in
    emulator.fail_next(5, path="/query", status=503)

    with pytest.raises(CallFailedError, match="503 SERVER_UNAVAILABLE") as caught:
        read_all(connector.read_leads(None))

    assert caught.value.retryable
    assert emulator.traffic.failed["status"] == 3
    connector.close()


def test_refusals_are_not_retried(emulator: SalesforceEmulator, tmp_path: Path) -> None:
    _leads(emulator, 1)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits)
    connector.check()
    emulator.org.set_api_usage(100, 100)

    with pytest.raises(BudgetExhaustedError, match="REQUEST_LIMIT_EXCEEDED"):
        read_all(connector.read_leads(None))

    assert waits == []
    connector.close()


def test_a_failed_write_is_not_repeated_by_the_transport(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    [lead] = _leads(emulator, 1)
    waits: list[float] = []
    connector: SalesforceConnector = _fast(emulator, tmp_path, waits)
    connector.check()
    emulator.fail_next(3, path="/composite/sobjects", status=503)

    [result] = connector.write_leads([LeadWrite("l0@example.com", lead, {"Title": "CTO"})])

    assert result.status is WriteStatus.retryable  # the engine decides when to try again
    assert emulator.traffic.failed["status"] == 1
    assert emulator.org.get(lead).get("Title") is None
    connector.close()


def test_bulk_job_polls_and_result_downloads_are_retried(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    ids = _leads(emulator, 3)
    waits: list[float] = []
    connector = _fast(emulator, tmp_path, waits, bulk_threshold=1)
    connector.check()
    emulator.fail_next(1, path="/jobs/ingest/", method="GET", status=503)  # the job's state
    emulator.fail_next(1, "reset", path="/successfulResults")

    results = connector.write_leads(
        [LeadWrite(f"l{n}@example.com", lead, {"Title": "CTO"}) for n, lead in enumerate(ids)]
    )

    assert [result.status for result in results] == [WriteStatus.ok] * 3
    assert emulator.traffic.failed == {"status": 1, "reset": 1, "hang": 0}
    assert emulator.org.calls["bulk_create"] == 1  # one job, not a second one
    assert {emulator.org.get(lead)["Title"] for lead in ids} == {"CTO"}
    connector.close()
