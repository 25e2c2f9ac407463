"""What one run did, per connection: the object `funnelsync sync --json` prints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class RunStatus(StrEnum):
    """How a run ended."""

    ok = "ok"
    """Every planned write landed; rows quarantined on read stayed under the allowed share."""
    partial = "partial"
    """Sales or marketing did not get everything the contract says: a write was refused or
    left for the next run, reading or writing stopped early (API budget, signal), the
    share of rows quarantined on read went over ``max_quarantined_share``, or a hand-off
    could not be delivered (retried next run)."""
    failed = "failed"
    """The run stopped on an error, or could read and write nothing at all."""


class ApiAllowance(BaseModel):
    """One of a system's API allowances, as the system itself last reported it."""

    limit: int
    remaining: int


class ApiCalls(BaseModel):
    """Calls made to a system, split into reads and writes, and the API allowances the
    system reported while they were made."""

    read: int = 0
    write: int = 0
    allowances: dict[str, ApiAllowance] = Field(
        default_factory=dict,
        description="Window (``day``, ``10 s``…) → calls allowed and left, as the system "
        "last said; empty when it said nothing.",
    )

    def observe_allowance(self, window: str, limit: int, remaining: int) -> None:
        """Record what the system says is left of its allowance per ``window``."""
        self.allowances[window] = ApiAllowance(limit=limit, remaining=max(remaining, 0))


class ConnectionCounts(BaseModel):
    """Record counts for one connection in one run."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = Field(
        default=0, description="Records in quarantine after this run's reads and writes."
    )
    newly_quarantined: int = Field(
        default=0, description="Of ``quarantined``, the records not in quarantine before."
    )
    rows_read: int = Field(
        default=0, description="Rows read from the system (leads, activities, unparsable rows)."
    )
    rows_quarantined: int = Field(default=0, description="Of ``rows_read``, those quarantined.")
    refused: int = Field(default=0, description="Writes the system refused in this run.")
    held: int = Field(
        default=0, description="Writes left for the next run (retry later, budget, signal)."
    )
    activities_read: int = 0
    field_warnings: int = Field(
        default=0,
        description="Optional values left empty (unreadable dates) or read one of two ways "
        "(ambiguous dates); listed by `funnelsync errors --warnings`.",
    )
    api_calls: ApiCalls = Field(default_factory=ApiCalls)


class HandoffCounts(BaseModel):
    """Hand-offs to lead owners in one run."""

    recorded: int = Field(default=0, description="Hand-offs this run's stage moves caused.")
    delivered: int = Field(default=0, description="Deliveries that succeeded in this run.")
    failed: list[str] = Field(
        default_factory=list, description="Deliveries that failed (retried next run), why."
    )


class RunReport(BaseModel):
    """The outcome of one sync run."""

    run_id: str
    status: RunStatus
    status_rule: str = Field(default="", description="Which rule decided ``status``, and why.")
    dry_run: bool = Field(default=False, description="A plan: nothing was written.")
    started_at: datetime
    duration_s: float
    connections: dict[str, ConnectionCounts]
    leads: int = Field(description="Canonical leads (persons) in the workspace.")
    touched: int = Field(default=0, description="Leads recomputed in this run.")
    stages: dict[str, int] = Field(description="Leads per stage, success path then detours.")
    mqls: int = Field(description="Leads at or past the MQL stage on the success path.")
    activities: int = Field(default=0, description="Activities read from every system.")
    activities_without_lead: int = Field(
        default=0, description="Activities whose email matches no lead in any system."
    )
    handoffs: HandoffCounts = Field(default_factory=HandoffCounts)
    notes: list[str] = Field(default_factory=list, description="Things to look at.")
    error: str | None = None
