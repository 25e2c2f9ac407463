"""Staying under a system's rate limits and within a run's share of its daily allowance."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from funnelsync.connector import BudgetExhaustedError


class RateLimiter:
    """At most ``calls`` per ``per_s`` seconds (sliding window); ``acquire`` waits for room.

    Shared by every thread of a connector, so the connector stays just under the limit
    instead of provoking a storm of 429s.
    """

    def __init__(
        self,
        calls: int,
        per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls < 1 or per_s <= 0:
            raise ValueError("a rate limit needs calls >= 1 and per_s > 0")
        self.calls = calls
        self.per_s = per_s
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def acquire(self) -> None:
        """Block until one more call fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.per_s:
                    self._sent.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._sent) < self.calls:
                    self._sent.append(now)
                    return
                if wait <= 0:
                    wait = self.per_s - (now - self._sent[0])
            self._sleep(max(wait, 0.001))

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the system said so, e.g. with ``Retry-After``)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe_remaining(self, remaining: int, window_s: float) -> None:
        """The system says ``remaining`` calls are left in its current window: respect that."""
        if remaining <= 0:
            self.pause(window_s)


class CallBudget:
    """The share of a system's daily API allowance one run may use.

    ``observe`` takes the system's own usage figures (from response headers); ``check``
    raises :class:`BudgetExhaustedError` once usage reaches ``share`` of the allowance,
    so the engine can end the run cleanly as ``partial``.
    """

    def __init__(self, share: float) -> None:
        if not 0 < share <= 1:
            raise ValueError("the budget share must be in (0, 1]")
        self.share = share
        self.used: int | None = None
        self.allowance: int | None = None

    def observe(self, used: int, allowance: int) -> None:
        """Record the system's latest figures: ``used`` of ``allowance`` calls today."""
        self.used, self.allowance = used, allowance

    def check(self) -> None:
        """Raise :class:`BudgetExhaustedError` if the run may make no more calls."""
        if self.used is None or self.allowance is None or self.allowance <= 0:
            return
        if self.used >= self.share * self.allowance:
            raise BudgetExhaustedError(
                f"API budget reached: {self.used} of {self.allowance} daily calls used, "
                f"this run may use up to {self.share:.0%}"
            )
