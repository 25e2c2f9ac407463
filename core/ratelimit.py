"""Staying under a system's rate limits and within a run's share of its daily allowance.

Both keep their figures in a :class:`~funnelsync.shared_limits.SharedLimits`: by default
one of the connection's own (:class:`~funnelsync.shared_limits.LocalLimits`), or the one
the engine hands over for a ``budget_key``, shared with every process using that account.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from funnelsync.connector import BudgetExhaustedError
from funnelsync.shared_limits import LocalLimits, SharedLimits


class RateLimiter:
    """At most ``calls`` per ``per_s`` seconds (sliding window); ``acquire`` waits for room.

    Shared by every thread of a connector (and, through ``limits``, by every connector of
    the same account), so the connector stays just under the limit instead of provoking a
    storm of 429s. ``calls`` and ``per_s`` may be changed at any time (the system's
    headers say what they are).
    """

    def __init__(
        self,
        calls: int,
        per_s: float,
        *,
        limits: SharedLimits | None = None,
        name: str = "general",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls < 1 or per_s <= 0:
            raise ValueError("a rate limit needs calls >= 1 and per_s > 0")
        self.calls = calls
        self.per_s = per_s
        self.limits: SharedLimits = limits if limits is not None else LocalLimits()
        self.name = name
        self._sleep = sleep

    def acquire(self) -> None:
        """Block until one more call fits in the window, then count it."""
        while True:
            wait = self.limits.take(self.name, self.calls, self.per_s)
            if wait <= 0:
                return
            self._sleep(max(wait, 0.001))

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the system said so, e.g. with ``Retry-After``)."""
        self.limits.pause(self.name, seconds)

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

    def __init__(self, share: float, limits: SharedLimits | None = None) -> None:
        if not 0 < share <= 1:
            raise ValueError("the budget share must be in (0, 1]")
        self.share = share
        self.limits: SharedLimits = limits if limits is not None else LocalLimits()

    @property
    def used(self) -> int | None:
        """Calls used today, as the system last said (``None``: not known)."""
        usage = self.limits.usage()
        return usage[0] if usage is not None else None

    @property
    def allowance(self) -> int | None:
        """The daily allowance, as the system last said (``None``: not known)."""
        usage = self.limits.usage()
        return usage[1] if usage is not None else None

    def observe(self, used: int, allowance: int) -> None:
        """Record the system's latest figures: ``used`` of ``allowance`` calls today."""
        self.limits.observe_usage(used, allowance)

    def count(self, calls: int = 1) -> None:
        """Count ``calls`` the system's figures do not include yet."""
        self.limits.count_usage(calls)

    def check(self) -> None:
        """Raise :class:`BudgetExhaustedError` if the run may make no more calls."""
        usage = self.limits.usage()
        if usage is None or usage[1] <= 0:
            return
        used, allowance = usage
        if used >= self.share * allowance:
            raise BudgetExhaustedError(
                f"API budget reached: {used} of {allowance} daily calls used, "
                f"this run may use up to {self.share:.0%}"
            )
