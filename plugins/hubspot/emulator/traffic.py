"""Rate limits, the daily allowance and injected failures (knobs for tests and benchmarks).

HubSpot counts calls in a rolling ten-second window per app and per day per portal, and
says how many are left in ``X-HubSpot-RateLimit-*`` headers on every response but the
search (and association batch) endpoints, which are exempt from the ten-second window;
search answers carry the daily headers only (as recorded real answers do; the
``search_daily_headers`` variant turns them off). Search has its own limit of 5 requests
a second. Over a limit the answer is 429 with a body naming the limit (the
``rate_limit_body`` variant picks its shape); HubSpot documents no ``Retry-After``, the
emulator sends one unless told not to.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from funnelsync.plugins.hubspot.emulator.errors import ApiError, rate_limited
from funnelsync.plugins.hubspot.emulator.variants import AnswerVariants, RateLimitBody


@dataclass
class TrafficConfig:
    """The limits and failure knobs of an emulated portal."""

    ten_second_limit: int = 190
    interval_ms: int = 10_000
    search_per_second: int = 5
    daily_limit: int = 1_000_000
    retry_after: bool = True
    """Send ``Retry-After`` (whole seconds) with window 429s."""
    error_rate: float = 0.0
    """Share of calls answered with a random 429, 500, 502 or 503."""
    error_retry_after: int | None = 1
    """``Retry-After`` sent with those random failures."""
    latency_s: float = 0.0
    seed: int = 0


@dataclass
class Fault:
    """Answer the next ``count`` calls whose path contains ``path`` with ``status``."""

    status: int
    count: int
    path: str = ""
    retry_after: int | None = None


@dataclass
class Hang:
    """Hold the answer to the next ``count`` calls whose path contains ``path``."""

    count: int
    path: str
    seconds: float


Window = Literal["ten_second", "search", "exempt"]


@dataclass(frozen=True)
class LoggedCall:
    """One authenticated call as the limits saw it: when, in which window, refused or not."""

    at: float
    """``time.monotonic()`` when it was counted."""
    window: Window
    refused: bool


@dataclass(frozen=True)
class Refusal:
    """A call refused before it reached the data: status, body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class Traffic:
    """Counts calls against the limits and decides which ones to refuse (thread-safe)."""

    def __init__(self, config: TrafficConfig, variants: AnswerVariants | None = None) -> None:
        self.config = config
        self.variants = variants or AnswerVariants()
        self.daily_used = 0
        self.faults: list[Fault] = []
        self.hangs: list[Hang] = []
        self._window: deque[float] = deque()
        self._search: deque[float] = deque()
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()
        self.log: list[LoggedCall] = []
        """Every authenticated call, in order (the request log of the limits)."""

    def admit(self, path: str, exempt: bool, search: bool) -> Refusal | None:
        """Count one authenticated call; the refusal to answer with, if it is refused."""
        window: Window = "search" if search else "exempt" if exempt else "ten_second"
        with self._lock:
            now = time.monotonic()
            refusal = self._admit(path, exempt, search, now)
            self.log.append(LoggedCall(now, window, refusal is not None))
            return refusal

    def most_in_window(self, window: Window = "ten_second") -> int:
        """The most calls (refused ones included) the log holds in any one ``window``'s
        interval (ten seconds by default, one for search): at most its limit when callers
        kept to it."""
        per_s = self.config.interval_ms / 1000 if window == "ten_second" else 1.0
        with self._lock:
            times = [call.at for call in self.log if call.window == window]
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= per_s:
                first += 1
            most = max(most, last - first + 1)
        return most

    def _admit(self, path: str, exempt: bool, search: bool, now: float) -> Refusal | None:
        shape = self.variants.rate_limit_body
        if self.daily_used >= self.config.daily_limit:
            return Refusal(429, rate_limited("DAILY", shape), {})
        self.daily_used += 1
        if search:
            refusal = self._over(self._search, self.config.search_per_second, 1.0, now)
            if refusal is not None:
                return Refusal(429, rate_limited("SECONDLY", shape), refusal)
        elif not exempt:
            per_s = self.config.interval_ms / 1000
            refusal = self._over(self._window, self.config.ten_second_limit, per_s, now)
            if refusal is not None:
                return Refusal(429, rate_limited("TEN_SECONDLY_ROLLING", shape), refusal)
        return self._fault(path, shape)

    def _over(
        self, sent: deque[float], limit: int, per_s: float, now: float
    ) -> dict[str, str] | None:
        while sent and now - sent[0] >= per_s:
            sent.popleft()
        if len(sent) < limit:
            sent.append(now)
            return None
        wait = math.ceil(per_s - (now - sent[0]))
        return {"Retry-After": str(max(wait, 1))} if self.config.retry_after else {}

    def _fault(self, path: str, shape: RateLimitBody) -> Refusal | None:
        for fault in self.faults:
            if fault.count > 0 and fault.path in path:
                fault.count -= 1
                return _refusal(fault.status, fault.retry_after, shape)
        if self.config.error_rate and self._random.random() < self.config.error_rate:
            status = self._random.choice((429, 500, 502, 503))
            return _refusal(status, self.config.error_retry_after, shape)
        return None

    def hang_for(self, path: str) -> float:
        """How long to hold the answer to a call to ``path`` (0: not at all)."""
        with self._lock:
            for hang in self.hangs:
                if hang.count > 0 and hang.path in path:
                    hang.count -= 1
                    return hang.seconds
        return 0.0

    def headers(self, *, exempt: bool = False, search: bool = False) -> dict[str, str]:
        """The rate-limit headers of a response: all of them for a call in the
        ten-second window, the daily ones for a search (if that variant is on), none for
        other exempt calls."""
        if search and self.variants.search_daily_headers:
            with self._lock:
                return self._daily()
        if exempt:
            return {}
        with self._lock:
            per_s = self.config.interval_ms / 1000
            now = time.monotonic()
            while self._window and now - self._window[0] >= per_s:
                self._window.popleft()
            limit = self.config.ten_second_limit
            return {
                "X-HubSpot-RateLimit-Max": str(limit),
                "X-HubSpot-RateLimit-Remaining": str(max(limit - len(self._window), 0)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.config.interval_ms),
                **self._daily(),
            }

    def _daily(self) -> dict[str, str]:
        remaining = max(self.config.daily_limit - self.daily_used, 0)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.config.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(remaining),
        }


def _refusal(status: int, retry_after: int | None, shape: RateLimitBody) -> Refusal:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        return Refusal(429, rate_limited("TEN_SECONDLY_ROLLING", shape), headers)
    error = ApiError(status, "INTERNAL_ERROR", f"Injected failure ({status}); try again later.")
    return Refusal(status, error.body(), headers)
