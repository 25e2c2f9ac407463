"""Slow, failing and hung answers (knobs for tests and benchmarks).

Salesforce documents 500 (``UNKNOWN_EXCEPTION``), 502 and 503 (``SERVER_UNAVAILABLE``)
answers and sends no ``Retry-After`` and no 429 of its own; proxies in front of an org
may send both, so each is a knob here. Besides answers, a call may get none: the
connection is reset, or the answer never comes (a hang, until its time is up or the
emulator stops). Every fault strikes before the call reaches the org, so a failed call
changed nothing and does not count against the API allowance.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Literal

from funnelsync.plugins.salesforce.emulator.api_errors import ApiError

FaultKind = Literal["status", "reset", "hang"]


@dataclass
class TrafficConfig:
    """Latency and random failures of every call."""

    latency_s: float = 0.0
    """Added before every answer."""
    error_rate: float = 0.0
    """Share of calls answered with a random status of :attr:`statuses`."""
    statuses: tuple[int, ...] = (500, 502, 503)
    """The statuses random failures pick from (add 429 for a proxy that rate-limits)."""
    retry_after: int | None = None
    """``Retry-After`` seconds sent with random failures (Salesforce itself sends none)."""
    reset_rate: float = 0.0
    """Share of calls whose connection is reset without an answer."""
    seed: int = 0


@dataclass
class Fault:
    """The next ``count`` calls whose path contains ``path`` (and, if given, whose method
    is ``method``) fail as ``kind`` says."""

    kind: FaultKind
    count: int
    path: str = ""
    status: int = 503
    """For ``status`` faults: the answer's status."""
    retry_after: int | None = None
    """For ``status`` faults: ``Retry-After`` seconds to send."""
    hang_s: float = 3600.0
    """For ``hang`` faults: how long to hold the call before closing it unanswered."""
    method: str | None = None
    """Only calls with this HTTP method (``None``: any)."""


@dataclass(frozen=True)
class Failure:
    """What to do instead of answering a call."""

    kind: FaultKind
    status: int = 0
    retry_after: int | None = None
    hang_s: float = 0.0

    def error(self) -> ApiError:
        """The error body of a ``status`` failure, as Salesforce words it."""
        if self.status == 503:
            return ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable.")
        if self.status == 429:
            return ApiError(429, "TOO_MANY_REQUESTS", "Too many requests; try again later.")
        return ApiError(self.status, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")


class Traffic:
    """Decides, per call, whether it fails and how (thread-safe)."""

    def __init__(self, config: TrafficConfig | None = None) -> None:
        self.config = config or TrafficConfig()
        self.faults: list[Fault] = []
        self.failed: dict[FaultKind, int] = {"status": 0, "reset": 0, "hang": 0}
        """Calls failed so far, by kind."""
        self.stopping = threading.Event()
        """Set when the emulator stops: hung calls end."""
        self._random = random.Random(self.config.seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Fail the next calls as ``fault`` says (before any random failure)."""
        with self._lock:
            self.faults.append(fault)

    def admit(self, method: str, path: str) -> Failure | None:
        """Wait the latency; then how this call fails, or ``None`` to answer it."""
        if self.config.latency_s:
            time.sleep(self.config.latency_s)
        with self._lock:
            failure = self._planted(method, path) or self._random_failure()
            if failure is not None:
                self.failed[failure.kind] += 1
            return failure

    def _planted(self, method: str, path: str) -> Failure | None:
        for fault in self.faults:
            if fault.count > 0 and fault.path in path and fault.method in (None, method):
                fault.count -= 1
                return Failure(fault.kind, fault.status, fault.retry_after, fault.hang_s)
        return None

    def _random_failure(self) -> Failure | None:
        config = self.config
        draw = self._random.random()
        if draw < config.reset_rate:
            return Failure("reset")
        if draw < config.reset_rate + config.error_rate:
            return Failure("status", self._random.choice(config.statuses), config.retry_after)
        return None

    def hang(self, seconds: float) -> None:
        """Hold a call for ``seconds``, or until the emulator stops."""
        self.stopping.wait(seconds)
