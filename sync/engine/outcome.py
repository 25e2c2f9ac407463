"""How a run ended: the rules that turn its counts into ``ok``, ``partial`` or ``failed``.

The first rule that applies decides, in this order:

1. the run stopped on an error: ``failed``;
2. reading or writing stopped early (a system's API budget, a signal): ``partial``;
3. the run could read and write nothing at all (it read rows, every one was quarantined,
   and no write landed): ``failed``;
4. a system refused a write: ``partial`` (sales or marketing did not get what the contract
   says);
5. writes were left for the next run (the system asked to retry later): ``partial``;
6. a hand-off could not be delivered to a lead's owner (retried next run): ``partial``;
7. more than ``max_quarantined_share`` of the rows read were quarantined: ``partial``;
8. otherwise ``ok`` (bad rows under the share stay in quarantine, see ``errors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from funnelsync.run_report import ConnectionCounts, RunStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    """A run's status and the rule that decided it, in words."""

    status: RunStatus
    rule: str


def _per_connection(counts: Mapping[str, ConnectionCounts], attribute: str) -> str:
    return ", ".join(
        f"{name} {getattr(c, attribute)}" for name, c in counts.items() if getattr(c, attribute)
    )


def decide(
    counts: Mapping[str, ConnectionCounts],
    stops: Sequence[str],
    max_quarantined_share: float,
    error: str | None = None,
    undelivered: Sequence[str] = (),
) -> Outcome:
    """The status of a run with these per-connection ``counts``.

    ``stops`` says why reading or writing stopped early (empty when it did not); ``error``
    is what stopped a failed run; ``undelivered`` lists hand-off deliveries that failed.
    """
    if error is not None:
        return Outcome(RunStatus.failed, error)
    if stops:
        return Outcome(RunStatus.partial, "stopped early, resumed next run: " + "; ".join(stops))
    rows = sum(c.rows_read for c in counts.values())
    bad = sum(c.rows_quarantined for c in counts.values())
    landed = sum(c.created + c.updated for c in counts.values())
    refused = sum(c.refused for c in counts.values())
    held = sum(c.held for c in counts.values())
    if rows > 0 and bad == rows and landed == 0:
        return Outcome(
            RunStatus.failed,
            f"nothing could be read or written ({bad} of {rows} rows read quarantined, "
            f"{refused} writes refused, {held} left for later, none written)",
        )
    if refused:
        return Outcome(
            RunStatus.partial,
            f"{refused} writes refused by the system "
            f"({_per_connection(counts, 'refused')}); see `funnelsync errors`",
        )
    if held:
        return Outcome(
            RunStatus.partial,
            f"{held} writes left for the next run ({_per_connection(counts, 'held')})",
        )
    if undelivered:
        return Outcome(
            RunStatus.partial,
            f"{len(undelivered)} hand-off deliveries failed, retried next run "
            f"(first: {undelivered[0]}); see `funnelsync errors`",
        )
    share = bad / rows if rows else 0.0
    measured = f"{bad} of {rows} rows read quarantined ({share:.1%}"
    if share > max_quarantined_share:
        return Outcome(
            RunStatus.partial,
            f"{measured}, more than max_quarantined_share {max_quarantined_share:.0%})",
        )
    return Outcome(
        RunStatus.ok,
        f"every planned write landed; {measured}, allowed up to {max_quarantined_share:.0%})",
    )
