"""Where the figures behind a system's API limits live: in this process, or shared.

Connections that name the same ``budget_key`` (one HubSpot portal, one Salesforce org)
share one :class:`SharedLimits`: every connector of theirs, in every process and on every
worker, counts its calls in the same sliding windows, obeys the same pauses (a 429 or
``Retry-After`` seen by one slows all) and reads the same daily usage figures. The
engine hands a connector its :class:`SharedLimits` in
:attr:`funnelsync.connector.ConnectorContext.limits`; the backends (Redis, the state
database) live in ``funnelsync.sync.limits``. Without a ``budget_key`` a connector keeps
its figures in a :class:`LocalLimits`, in its own process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

USAGE_TTL_S = 300.0
"""How long a daily usage figure stays true once observed. After that it is unknown until
the next answer says it again (otherwise a budget spent yesterday would stop every call,
and so every refresh, for ever)."""


@runtime_checkable
class SharedLimits(Protocol):
    """The rate-limit windows, pauses and daily usage of one vendor account.

    Each method is atomic across every process sharing the store. ``limiter`` names one
    window of the account (e.g. ``general``, ``search``).
    """

    def take(self, limiter: str, calls: int, per_s: float) -> float:
        """Count one call if it fits: at most ``calls`` per ``per_s`` seconds and no pause.

        Returns 0 when the call was counted, else the seconds to wait before asking again.
        """
        ...

    def pause(self, limiter: str, seconds: float) -> None:
        """Let no call through ``limiter`` for ``seconds`` (extends, never shortens)."""
        ...

    def observe_usage(self, used: int, allowance: int) -> None:
        """Record the system's own figures: ``used`` of ``allowance`` calls today."""
        ...

    def count_usage(self, calls: int) -> None:
        """Add ``calls`` the system did not report to the usage (if a figure is known)."""
        ...

    def usage(self) -> tuple[int, int] | None:
        """``(used, allowance)`` as last observed within :data:`USAGE_TTL_S`, else None."""
        ...


class LocalLimits:
    """:class:`SharedLimits` kept in this process (thread-safe): one connection's own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}
        self._paused_until: dict[str, float] = {}
        self._usage: tuple[int, int, float] | None = None

    def take(self, limiter: str, calls: int, per_s: float) -> float:
        """See :meth:`SharedLimits.take`."""
        with self._lock:
            now = self._clock()
            wait = self._paused_until.get(limiter, 0.0) - now
            if wait > 0:
                return wait
            sent = self._sent.setdefault(limiter, deque())
            while sent and now - sent[0] >= per_s:
                sent.popleft()
            if len(sent) < calls:
                sent.append(now)
                return 0.0
            return max(per_s - (now - sent[0]), 0.001)

    def pause(self, limiter: str, seconds: float) -> None:
        """See :meth:`SharedLimits.pause`."""
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[limiter] = max(self._paused_until.get(limiter, 0.0), until)

    def observe_usage(self, used: int, allowance: int) -> None:
        """See :meth:`SharedLimits.observe_usage`."""
        with self._lock:
            self._usage = (used, allowance, self._clock())

    def count_usage(self, calls: int) -> None:
        """See :meth:`SharedLimits.count_usage`."""
        with self._lock:
            if self._usage is not None:
                used, allowance, at = self._usage
                self._usage = (used + calls, allowance, at)

    def usage(self) -> tuple[int, int] | None:
        """See :meth:`SharedLimits.usage`."""
        with self._lock:
            if self._usage is None or self._clock() - self._usage[2] > USAGE_TTL_S:
                return None
            return self._usage[0], self._usage[1]
