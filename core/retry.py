"""Retrying passing failures: exponential backoff with jitter, honouring ``Retry-After``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)


class RetryableError(Exception):
    """A failure worth trying again, optionally after the delay the system asked for."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _wait(backoff: Callable[[RetryCallState], float]) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        asked = getattr(error, "retry_after", None)
        return max(delay, float(asked)) if asked is not None else delay

    return wait


def retrying(
    *,
    attempts: int = 5,
    budget_s: float = 60.0,
    initial_s: float = 0.5,
    max_wait_s: float = 30.0,
    on: tuple[type[BaseException], ...] = (RetryableError,),
    sleep: Callable[[float], Any] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` for calls that may fail with ``on``.

    Waits grow exponentially with full jitter from ``initial_s`` up to ``max_wait_s``, but
    never less than an error's ``retry_after``; gives up after ``attempts`` tries or
    ``budget_s`` seconds, re-raising the last error.
    """
    options: dict[str, Any] = {}
    if sleep is not None:
        options["sleep"] = sleep
    return Retrying(
        retry=retry_if_exception_type(on),
        wait=_wait(wait_random_exponential(multiplier=initial_s, max=max_wait_s)),
        stop=stop_after_attempt(attempts) | stop_after_delay(budget_s),
        reraise=True,
        **options,
    )
