"""The retry helper: exponential backoff, never shorter than what the system asked for."""

from __future__ import annotations

import pytest

from funnelsync.retry import RetryableError, retrying


class _Flaky:
    """Fails ``times`` times with ``error``, then answers ``"done"``."""

    def __init__(self, times: int, error: Exception) -> None:
        self.left = times
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error
        return "done"


def test_a_retry_waits_for_the_retry_after_the_error_asks_for() -> None:
    waits: list[float] = []
    call = _Flaky(2, RetryableError("429 rate limited", retry_after=7))
    assert retrying(initial_s=0.5, max_wait_s=30, sleep=waits.append)(call) == "done"
    assert waits == [7.0, 7.0]


def test_retry_after_longer_than_the_backoff_cap_is_still_honoured() -> None:
    waits: list[float] = []
    call = _Flaky(1, RetryableError("503 maintenance", retry_after=45))
    retrying(max_wait_s=30, budget_s=600, sleep=waits.append)(call)
    assert waits == [45.0]


def test_without_retry_after_waits_back_off_exponentially_within_the_cap() -> None:
    waits: list[float] = []
    call = _Flaky(4, RetryableError("502 bad gateway"))
    retrying(attempts=5, initial_s=0.5, max_wait_s=3, sleep=waits.append)(call)
    assert len(waits) == 4
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(3, 0.5 * 2**attempt)


def test_it_gives_up_after_the_attempts_with_the_last_error() -> None:
    waits: list[float] = []
    call = _Flaky(10, RetryableError("still locked", retry_after=1))
    with pytest.raises(RetryableError, match="still locked"):
        retrying(attempts=3, sleep=waits.append)(call)
    assert call.calls == 3
    assert waits == [1.0, 1.0]


def test_other_errors_are_not_retried() -> None:
    waits: list[float] = []
    call = _Flaky(1, ValueError("bad input"))
    with pytest.raises(ValueError, match="bad input"):
        retrying(sleep=waits.append)(call)
    assert call.calls == 1
    assert waits == []


def test_by_default_it_tries_five_times_and_waits_at_most_thirty_seconds() -> None:
    waits: list[float] = []
    call = _Flaky(10, RetryableError("503"))
    with pytest.raises(RetryableError):
        retrying(initial_s=100, sleep=waits.append)(call)
    assert call.calls == 5
    assert len(waits) == 4
    assert all(wait <= 30 for wait in waits)


def test_errors_without_retry_after_may_be_retried_too() -> None:
    """``on`` may name errors of other libraries, which carry no ``retry_after``."""
    waits: list[float] = []
    call = _Flaky(1, ConnectionResetError("peer reset"))
    assert retrying(on=(ConnectionResetError,), initial_s=0.5, sleep=waits.append)(call) == "done"
    [wait] = waits
    assert 0 <= wait <= 1
