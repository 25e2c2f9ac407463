"""Staying under HubSpot's limits: the ten-second window, search's own limit, the budget.

One :class:`ApiLimits` per connector: every call waits for room in its limiter first and
reports the response headers after. ``X-HubSpot-RateLimit-Max`` and
``-Interval-Milliseconds`` set the ten-second limiter (less 5% headroom, unless the
settings fix it); ``-Remaining`` of 0 pauses it for the interval; ``-Daily`` and
``-Daily-Remaining`` feed the :class:`~funnelsync.ratelimit.CallBudget`. Real search
answers carry the daily headers (the docs say they carry none): a search whose answer
has them is counted by them, one without them adds one to the budget's count.
"""

from __future__ import annotations

from collections.abc import Mapping

from funnelsync.plugins.hubspot.settings import HubSpotSettings
from funnelsync.ratelimit import CallBudget, RateLimiter
from funnelsync.run_report import ApiCalls
from funnelsync.shared_limits import LocalLimits, SharedLimits

_START_CALLS = 95
"""Calls per ten seconds before HubSpot's headers say more: under the lowest tier's 100."""


def headroom(limit: int) -> int:
    """The calls per window to aim for when HubSpot allows ``limit``: 5% less, at least 1."""
    return max(1, limit - max(1, limit // 20))


class ApiLimits:
    """The limiters and the daily budget of one connector, kept in ``shared`` (the
    portal's, shared by every connection naming its ``budget_key``) or in the connector."""

    def __init__(
        self,
        settings: HubSpotSettings,
        shared: SharedLimits | None = None,
        calls: ApiCalls | None = None,
    ) -> None:
        self.calls = calls if calls is not None else ApiCalls()
        """Where what HubSpot says is left of its allowances is recorded for the run report."""
        rate = settings.rate_limit
        self._fixed = rate.calls_per_interval is not None
        figures = shared if shared is not None else LocalLimits()
        self.general = RateLimiter(
            rate.calls_per_interval or _START_CALLS, rate.interval_s, limits=figures
        )
        self.search = RateLimiter(rate.search_per_second, 1.0, limits=figures, name="search")
        self.budget = CallBudget(settings.daily_budget_share, figures)

    def observe(self, headers: Mapping[str, str]) -> bool:
        """Take in the ``X-HubSpot-RateLimit-*`` headers of a response (if it has them);
        whether they included the daily count."""
        found = {key.lower(): value for key, value in headers.items()}
        limit = _number(found.get("x-hubspot-ratelimit-max"))
        interval_ms = _number(found.get("x-hubspot-ratelimit-interval-milliseconds"))
        if limit and interval_ms and not self._fixed:
            # RateLimiter reads these on every acquire; ints and floats swap atomically.
            self.general.calls = headroom(limit)
            self.general.per_s = interval_ms / 1000
        remaining = _number(found.get("x-hubspot-ratelimit-remaining"))
        if remaining is not None:
            self.general.observe_remaining(remaining, self.general.per_s)
            if limit and interval_ms:
                self.calls.observe_allowance(f"{interval_ms / 1000:g} s", limit, remaining)
        daily = _number(found.get("x-hubspot-ratelimit-daily"))
        daily_remaining = _number(found.get("x-hubspot-ratelimit-daily-remaining"))
        if daily is None or daily_remaining is None:
            return False
        self.budget.observe(daily - daily_remaining, daily)
        self.calls.observe_allowance("day", daily, daily_remaining)
        return True

    def count_unreported(self) -> None:
        """Count a call whose response had no daily headers (search) against the budget."""
        self.budget.count(1)
        used, allowance = self.budget.used, self.budget.allowance
        if used is not None and allowance is not None:
            self.calls.observe_allowance("day", allowance, allowance - used)


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
