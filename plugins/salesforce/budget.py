"""How much of the org's daily API allowance funnelsync may use, and when to stop writing.

Salesforce's allowance is per org over a rolling 24 hours, shared by every user and
integration; ``Sforce-Limit-Info`` says how much of it the whole org has used. funnelsync
knows its own calls, so ``daily_budget_share`` is measured on those: a
:class:`UsageLedger` counts them per hour, keeps the last 24 hours in a small JSON file in
the workspace's state directory (``salesforce-usage-<connection>.json``), and so carries
them from run to run. ``org_floor`` adds a limit on the whole org: stop once fewer than
that many calls are left to everyone.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from funnelsync.connector import BudgetExhaustedError
from funnelsync.shared_limits import LocalLimits, SharedLimits

logger = logging.getLogger(__name__)

_HOUR_S = 3600
_WINDOW_HOURS = 24


def ledger_path(state_dir: Path, connection: str) -> Path:
    """The file that holds a connection's own call counts."""
    safe = re.sub(r"[^\w.-]", "_", connection)
    return state_dir / f"salesforce-usage-{safe}.json"


class UsageLedger:
    """funnelsync's own calls per hour over the last 24 hours, optionally kept in a file.

    A file that cannot be read counts as empty (the figure then starts over); it is
    written whole, through a temporary file, by :meth:`save` (a write that fails is logged
    as a warning, not raised: the sync's own outcome matters more than this count).
    """

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._hours: dict[int, int] = self._load()

    def _hour(self) -> int:
        return int(self._clock() // _HOUR_S)

    def _load(self) -> dict[int, int]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            hours = {int(hour): int(count) for hour, count in data["calls_per_hour"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}
        return hours

    def count(self, calls: int = 1) -> None:
        """Count ``calls`` made now."""
        hour = self._hour()
        self._hours[hour] = self._hours.get(hour, 0) + calls

    def used(self) -> int:
        """Calls made in the last 24 hours (by whole hours: the current one and 23 before)."""
        first = self._hour() - _WINDOW_HOURS + 1
        return sum(count for hour, count in self._hours.items() if hour >= first)

    def save(self) -> None:
        """Write the last 24 hours' counts to the file (if there is one)."""
        if self.path is None:
            return
        first = self._hour() - _WINDOW_HOURS + 1
        kept = {str(hour): count for hour, count in sorted(self._hours.items()) if hour >= first}
        temporary = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps({"calls_per_hour": kept}), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:
            logger.warning("cannot keep funnelsync's API call count in %s: %s", self.path, exc)


class SalesforceBudget:
    """The org's usage (from response headers), funnelsync's own, and the limits on both."""

    def __init__(
        self,
        share: float,
        floor: int | None,
        ledger: UsageLedger,
        limits: SharedLimits | None = None,
    ) -> None:
        self.share = share
        self.floor = floor
        self.ledger = ledger
        self.limits: SharedLimits = limits if limits is not None else LocalLimits()
        """Where the org's figures are kept: shared by the connections naming the org's
        ``budget_key``, so one process's answer tells all of them."""

    @property
    def used(self) -> int | None:
        """The whole org's calls in the last 24 hours, as Salesforce last said."""
        usage = self.limits.usage()
        return usage[0] if usage is not None else None

    @property
    def allowance(self) -> int | None:
        """The org's daily allowance, as Salesforce last said."""
        usage = self.limits.usage()
        return usage[1] if usage is not None else None

    def observe(self, used: int, allowance: int) -> None:
        """Record the org's latest figures: ``used`` of ``allowance`` calls."""
        self.limits.observe_usage(used, allowance)

    @property
    def own(self) -> int:
        """funnelsync's own calls in the last 24 hours."""
        return self.ledger.used()

    def stop_reason(self) -> str | None:
        """Why writing must stop now, or ``None`` (also when the figures are not known yet)."""
        usage = self.limits.usage()
        if usage is None or not usage[1]:
            return None
        (used, allowance), own = usage, self.own
        if own >= self.share * allowance:
            return (
                f"API budget reached: funnelsync made {own} calls in the last 24 hours, "
                f"its share is up to {self.share:.0%} of the org's {allowance} daily calls"
            )
        left = allowance - used
        if self.floor is not None and left < self.floor:
            return (
                f"API budget reached: the org has {left} of its {allowance} daily calls "
                f"left, below org_floor {self.floor}"
            )
        return None

    def check(self) -> None:
        """Raise :class:`BudgetExhaustedError` if no more writes may be made."""
        reason = self.stop_reason()
        if reason is not None:
            raise BudgetExhaustedError(reason)

    def summary(self) -> list[str]:
        """What ``check`` shows: the org's usage, funnelsync's own, and the verdict."""
        if self.used is None or not self.allowance:
            return []
        allowance = self.allowance
        lines = [
            f"API usage: the org has used {self.used} of {allowance} daily calls "
            f"({self.used / allowance:.0%}); funnelsync {self.own} in the last 24 hours "
            f"({self.own / allowance:.0%}; its share: up to {self.share:.0%}"
            + (f"; org_floor: {self.floor} left" if self.floor is not None else "")
            + ")"
        ]
        reason = self.stop_reason()
        if reason is None:
            lines.append("API budget: the next sync may write")
        else:
            lines.append(f"warning: the next sync would not write to Salesforce: {reason}")
        return lines
